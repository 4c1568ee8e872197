// vtysh's `show bgp ipv4 unicast <prefix> json` and `show bgp neighbors <n> json`, then
// the role decision on whatever paths were read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "plugins/frr_bgp/frr_bgp_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  const std::string neighbor = "10.251.1.2";
  auto paths = cutover::ParseBgpPrefixPaths(json);
  auto state = cutover::ParseBgpNeighborState(json, neighbor);
  if (paths.ok()) {
    cutover::DecideBgpRole(paths.value(), state.ok() ? state.value() : "Established", neighbor,
                           "10.251.100.0/24");
  }
  return 0;
}
