// A whole runtime API reply ("show info;show stat"): split into outputs, each parsed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/haproxy/haproxy_stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view reply(reinterpret_cast<const char*>(data), size);
  auto outputs = cutover::SplitCommandOutputs(reply);
  if (!outputs) {
    cutover::ParseShowInfo(reply);
    return 0;
  }
  for (std::string_view output : *outputs) {
    // The split hands out views into the reply: they must stay inside it.
    if (output.data() < reply.data() || output.data() + output.size() > reply.data() + reply.size())
      __builtin_trap();
    cutover::ParseShowInfo(output);
    cutover::ParseShowStat(output);
  }
  return 0;
}
