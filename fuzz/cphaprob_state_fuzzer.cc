// `cphaprob state` as a gateway prints it: whatever the SSH session returned.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugins/checkpoint/checkpoint_parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = cutover::ParseCphaprobState(input);
  if (parsed.ok()) {
    const auto& state = parsed.value();
    // The driver reads the local row and its role: a parse that succeeds must allow it.
    if (state.local_index >= state.members.size()) __builtin_trap();
    cutover::CheckpointRole(state.local().state);
  }
  return 0;
}
