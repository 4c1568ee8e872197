// The cluster configuration (cutover.yml) as an operator writes it, with every built-in
// driver registered so driver settings are validated too. The seeds' credential files
// are stand-ins (fuzz_credentials.h), so a seed loads without errors.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_credentials.h"
#include "plugins/builtin_drivers.h"
#include "plugins/core/cluster_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cutover::DriverRegistry* registry = [] {
    auto* r = new cutover::DriverRegistry;
    cutover::RegisterBuiltinDrivers(*r);
    cutover::fuzz::WriteFuzzCredentials();
    return r;
  }();
  std::string yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = cutover::LoadConfigString(yaml, "cutover.yml", *registry);
  loaded.ErrorText();
  return 0;
}
