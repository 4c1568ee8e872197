// Patroni's REST API answers (GET /patroni, /cluster, /config) and the revert patch built
// from whatever configuration was read.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/patroni/patroni_api.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view json(reinterpret_cast<const char*>(data), size);
  cutover::ParsePatroniStatus(json);
  cutover::ParsePatroniCluster(json);
  auto config = cutover::ParsePatroniConfig(json);
  if (config.ok()) cutover::PatroniRevertPatch(config.value());
  return 0;
}
