// The one way cutover reads JSON it did not write itself (operator requests, webhooks,
// Prometheus answers, drivers' programs, vtysh, the journal): RapidJSON's iterative
// parser, so no input can exhaust the stack, with the checks it lacks: a nesting limit,
// well-formed UTF-8 and, where a person typed the text, no repeated keys and no NUL.
// Errors name the limit and the byte offset. Thread-safe: each call is independent.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/parse_result.h"

namespace cutover {

struct JsonLimits {
  // Containers open at once. Every JSON cutover reads is at most ~8 deep; 64 leaves room
  // for versions to come while keeping any DOM walk shallow.
  std::size_t max_depth = 64;
  // A repeated key could smuggle a second value past a reader that takes the other one.
  bool refuse_duplicate_keys = true;
  // "\u0000" in a string would cut it short wherever it is used as a C string.
  bool refuse_nul = true;
  // Off only to read records written before cutover wrote valid UTF-8 everywhere; the
  // caller then repairs what it takes (ReplaceInvalidUtf8).
  bool validate_utf8 = true;
};

// Limits for large answers of programs (Prometheus): depth and UTF-8 only, for speed.
inline JsonLimits MachineJsonLimits() {
  JsonLimits limits;
  limits.refuse_duplicate_keys = false;
  limits.refuse_nul = false;
  return limits;
}

// The document, or one sentence saying why not, such as
//   invalid JSON at byte offset 15: Missing a name for object member.
//   JSON nested deeper than 64 levels at byte offset 64 (cutover reads at most 64)
//   key "plan" given twice at byte offset 30 (give each key once)
ParseResult<rapidjson::Document> ReadJson(std::string_view text, const JsonLimits& limits = {});

// An answer a system gave (`what`: "GET /patroni"), read as a JSON object with the
// machine limits: the document, or one sentence naming `what` and quoting the answer's
// start, such as
//   GET /patroni is not JSON cutover reads (invalid JSON at byte offset 0: ...); it gave
//   "<html>..."
ParseResult<rapidjson::Document> ReadJsonObject(std::string_view text, const std::string& what);

// True when `error` (from ReadJson) is a syntax error, the kind a cut-off text causes.
bool IsJsonSyntaxError(std::string_view error);

}  // namespace cutover
