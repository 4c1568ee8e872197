// The exec protocol: what an operator-supplied program prints on stdout, read as a probe
// answer and as a perform answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/exec/exec_driver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string json(reinterpret_cast<const char*>(data), size);
  cutover::ParseExecProbeReply(json, {"active", "standby"});
  cutover::ParseExecPerformReply(json);
  return 0;
}
