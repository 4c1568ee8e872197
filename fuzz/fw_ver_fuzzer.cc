// `fw ver` as a gateway prints it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/checkpoint/checkpoint_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cutover::ParseFwVer(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
