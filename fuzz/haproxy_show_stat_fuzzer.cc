// HAProxy's `show stat` CSV from the runtime API.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/haproxy/haproxy_stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto parsed = cutover::ParseShowStat(std::string_view(reinterpret_cast<const char*>(data), size));
  if (parsed.table) {
    for (const auto& [key, server] : parsed.table->servers)
      cutover::ServerStateFromStatus(server.status, server.backup);
  }
  return 0;
}
