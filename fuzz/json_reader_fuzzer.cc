// The one JSON reader (common/json_reader.h) on text from anyone: operator API bodies
// with the operator limits, program answers with the machine limits. A document it
// accepts must keep the promises: no deeper than the limit, no repeated key, no NUL.
#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "common/json_reader.h"

namespace {

// Depth counted as ReadJson counts it: each open object or array is one level.
void Check(const rapidjson::Value& value, std::size_t depth, const cutover::JsonLimits& limits) {
  if (value.IsString() && limits.refuse_nul &&
      std::string_view(value.GetString(), value.GetStringLength()).find('\0') !=
          std::string_view::npos)
    __builtin_trap();  // a NUL got through
  if (!value.IsObject() && !value.IsArray()) return;
  if (depth + 1 > limits.max_depth) __builtin_trap();  // deeper than the limit
  if (value.IsArray()) {
    for (const auto& element : value.GetArray()) Check(element, depth + 1, limits);
    return;
  }
  std::set<std::string_view> keys;
  for (const auto& member : value.GetObject()) {
    std::string_view key(member.name.GetString(), member.name.GetStringLength());
    if (limits.refuse_duplicate_keys && !keys.insert(key).second) __builtin_trap();
    if (limits.refuse_nul && key.find('\0') != std::string_view::npos) __builtin_trap();
    Check(member.value, depth + 1, limits);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  for (const cutover::JsonLimits& limits : {cutover::JsonLimits{}, cutover::MachineJsonLimits()}) {
    auto read = cutover::ReadJson(text, limits);
    if (read.ok()) {
      Check(read.value(), 0, limits);
    } else {
      cutover::IsJsonSyntaxError(read.error());
    }
  }
  return 0;
}
