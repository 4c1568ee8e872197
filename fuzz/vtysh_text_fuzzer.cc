// vtysh's text outputs: `show version`, `show running-config`, refused commands.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/frr_bgp/frr_bgp_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view output(reinterpret_cast<const char*>(data), size);
  cutover::ParseFrrVersion(output);
  cutover::FirstVtyshError(output);
  cutover::MemberPolicyConfig(output, {"cutover-m1-in"}, "10.251.1.2");
  return 0;
}
