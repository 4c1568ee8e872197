// `conntrackd -s network` as a Linux member prints it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/linux_fw/linux_fw_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cutover::ParseConntrackdNetworkStats(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
