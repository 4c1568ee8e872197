// The one way cutover reads a YAML document (the cluster configuration and upgrade
// plans): parsed by yaml-cpp, then checked for what yaml-cpp accepts silently. A key
// given twice in one mapping is kept twice, and readers disagree on which one counts
// (a lookup finds the first, a loop over the mapping ends on the last), so it is refused.
// The scalar readers below are the one set of rules for the values in those files: each
// returns the value or a message that starts with the key and ends with the fix; the
// caller adds "file:line: ". Quoted and plain scalars are read alike ("5" is 5), so a
// quoted placeholder such as "{{samples}}" reads the same once expanded.
// Pure functions; thread-safe.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/duration.h"
#include "common/parse_result.h"

namespace cutover {

struct YamlProblem {
  int line = 0;  // 1-based; 0 when the problem concerns the whole document
  std::string message;
};

struct YamlDocument {
  YAML::Node root;
  // Syntax errors (then root is empty) or repeated keys (root is still usable, so a
  // loader can report its other errors in the same run).
  std::vector<YamlProblem> problems;
  bool syntax_ok = true;
};

// A syntax error's message ends with the likely fix.
YamlDocument ParseYaml(const std::string& text);

// Every key given more than once in any mapping of the (first) document in `text`, at the
// line of each repeat.
std::vector<YamlProblem> RepeatedKeys(const std::string& text);

// A key of a mapping and its value; false when the mapping has no such key.
struct YamlEntry {
  YAML::Node key;
  YAML::Node value;
  bool present = false;
  explicit operator bool() const { return present; }
};

YamlEntry FindYamlEntry(const YAML::Node& map, std::string_view key);

// 1-based line of a node; 0 when it has none (a node built in code, an empty document).
int YamlLine(const YAML::Node& node);
// yaml-cpp marks a null value ("timeout:" with nothing after it) at the next token, often
// the next line: the line of a null or missing value is its key's.
int YamlLine(const YamlEntry& entry);

// Any scalar, as written ("" too). Refuses empty values, lists and mappings.
ParseResult<std::string> ReadYamlString(const YAML::Node& node, std::string_view key);

// Whole numbers, from minimum to maximum (inclusive): decimal digits with an optional sign
// and nothing else, so no "1.0", "1e3", "0x10", "010" (YAML 1.1 reads it as octal 8),
// " 5" or "5s".
constexpr std::int64_t kNoMinimum = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kNoMaximum = std::numeric_limits<std::int64_t>::max();
ParseResult<std::int64_t> ParseYamlInteger(std::string_view text, std::string_view key,
                                           std::int64_t minimum = kNoMinimum,
                                           std::int64_t maximum = kNoMaximum);
ParseResult<std::int64_t> ReadYamlInteger(const YAML::Node& node, std::string_view key,
                                          std::int64_t minimum = kNoMinimum,
                                          std::int64_t maximum = kNoMaximum);

// true or false, in lower case. yes/no, on/off, y/n and True/FALSE are refused: YAML 1.1
// readers (and yaml-cpp's as<bool>) take them as booleans, YAML 1.2 readers as strings.
ParseResult<bool> ParseYamlBool(std::string_view text, std::string_view key);
ParseResult<bool> ReadYamlBool(const YAML::Node& node, std::string_view key);

// Prometheus durations (common/duration.h): "30s", "1h30m", "500ms"; no bare numbers,
// fractions, signs or spaces.
enum class DurationMinimum { kZero, kAboveZero };
ParseResult<Duration> ParseYamlDuration(std::string_view text, std::string_view key,
                                        DurationMinimum minimum = DurationMinimum::kZero);
ParseResult<Duration> ReadYamlDuration(const YAML::Node& node, std::string_view key,
                                       DurationMinimum minimum = DurationMinimum::kZero);

// A list of scalars ([] too). A single value is refused, not read as a list of one.
ParseResult<std::vector<std::string>> ReadYamlStringList(const YAML::Node& node,
                                                         std::string_view key);

}  // namespace cutover
