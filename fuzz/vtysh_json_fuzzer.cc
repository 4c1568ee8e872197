// vtysh's `show bgp ipv4 unicast <prefix> json`, `show bgp neighbors <n> json` and a
// member's `advertised-routes json`, then the role decisions on whatever was read.
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
  auto announced = cutover::ParseAdvertisedPath(json, "10.251.100.0/24");
  if (announced.ok())
    cutover::DecideAnnouncedRole(announced.value(), state.ok() ? state.value() : "Established",
                                 "10.251.1.1", "10.251.100.0/24", 64601, 3);
  if (paths.ok()) {
    cutover::DecideBgpRole(paths.value(), state.ok() ? state.value() : "Established", neighbor,
                           "10.251.100.0/24");
  }
  return 0;
}
