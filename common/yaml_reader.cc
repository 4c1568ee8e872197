#include "common/yaml_reader.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <cctype>
#include <charconv>
#include <map>
#include <sstream>

#include "common/strings.h"

namespace cutover {
namespace {

// Walks the parser's events rather than the loaded nodes: an alias is one event, so an
// anchor that contains itself or a tree of aliases growing exponentially costs nothing.
class RepeatedKeyFinder : public YAML::EventHandler {
 public:
  explicit RepeatedKeyFinder(std::vector<YamlProblem>* problems) : problems_(problems) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override { NodeDone(); }
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { NodeDone(); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    if (!frames_.empty() && frames_.back().is_map && frames_.back().expecting_key) {
      int line = mark.line + 1;
      auto [it, inserted] = frames_.back().key_lines.emplace(value, line);
      if (!inserted)
        problems_->push_back({line, "key '" + value + "' is given twice (first on line " +
                                        std::to_string(it->second) +
                                        "); keep one (YAML readers disagree on which one counts)"});
    }
    NodeDone();
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    frames_.push_back({false});
  }
  void OnSequenceEnd() override { EndContainer(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    frames_.push_back({true});
  }
  void OnMapEnd() override { EndContainer(); }

 private:
  struct Frame {
    bool is_map;
    bool expecting_key = true;
    std::map<std::string, int> key_lines;
  };

  // In a mapping, nodes alternate between key and value.
  void NodeDone() {
    if (!frames_.empty() && frames_.back().is_map)
      frames_.back().expecting_key = !frames_.back().expecting_key;
  }
  void EndContainer() {
    if (!frames_.empty()) frames_.pop_back();
    NodeDone();
  }

  std::vector<YamlProblem>* problems_;
  std::vector<Frame> frames_;
};

// A value for a message: single-quoted, control characters escaped, at most 80 bytes.
std::string Shown(std::string_view text) {
  std::string quoted = QuoteForMessage(text, 80);
  quoted.front() = '\'';
  quoted.back() = '\'';
  return quoted;
}

// What a node that is not a scalar is, for "must be X, not <what>".
const char* NotScalar(const YAML::Node& node) {
  if (!node.IsDefined()) return "missing";
  if (node.IsSequence()) return "a list";
  if (node.IsMap()) return "a mapping";
  return "empty";
}

// "<key> must be <expected>, not a list" and the like, for a node that is not a scalar.
std::string NotScalarMessage(const YAML::Node& node, std::string_view key,
                             std::string_view expected) {
  if (!node.IsDefined() || node.IsNull())
    return std::string(key) + " is " + NotScalar(node) + "; write " + std::string(expected);
  return std::string(key) + " must be " + std::string(expected) + ", not " + NotScalar(node);
}

bool IsDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}

bool HasSpace(std::string_view text) {
  for (char c : text)
    if (std::isspace(static_cast<unsigned char>(c))) return true;
  return false;
}

std::string IntegerExpected(std::int64_t minimum, std::int64_t maximum) {
  if (minimum == kNoMinimum && maximum == kNoMaximum) return "a whole number such as 10 or -1";
  if (maximum == kNoMaximum) return "a whole number of " + std::to_string(minimum) + " or more";
  if (minimum == kNoMinimum) return "a whole number of " + std::to_string(maximum) + " or less";
  return "a whole number from " + std::to_string(minimum) + " to " + std::to_string(maximum);
}

// Why `text` (not a whole number) is refused, for the forms people write by mistake.
std::string IntegerMistake(std::string_view text) {
  if (text.empty()) return " (it is empty)";
  if (HasSpace(text)) return " (spaces are refused)";
  std::string_view unsigned_part = text;
  if (unsigned_part[0] == '-' || unsigned_part[0] == '+') unsigned_part.remove_prefix(1);
  if (unsigned_part.size() > 1 && unsigned_part[0] == '0') {
    char base = static_cast<char>(std::tolower(static_cast<unsigned char>(unsigned_part[1])));
    if (base == 'x' || base == 'o' || base == 'b')
      return " (hexadecimal, octal and binary are refused; write it in decimal)";
    if (IsDigits(unsigned_part))
      return " (a leading zero is refused: YAML 1.1 readers take 010 as octal 8)";
  }
  std::size_t digits = 0;
  while (digits < unsigned_part.size() && unsigned_part[digits] >= '0' &&
         unsigned_part[digits] <= '9')
    ++digits;
  if (digits > 0 && digits < unsigned_part.size()) {
    char next = unsigned_part[digits];
    if (next == '.' || next == 'e' || next == 'E') return " (decimals and exponents are refused)";
    if (std::isalpha(static_cast<unsigned char>(next)))
      return " (units are refused: this is a plain number)";
  }
  return "";
}

// Why `text` (not a duration) is refused, for the forms people write by mistake.
std::string DurationMistake(std::string_view text) {
  if (text.empty()) return " (it is empty)";
  if (IsDigits(text) && text.size() <= 12)
    return " (it has no unit: " + std::string(text) + "s is " + std::string(text) + " seconds)";
  if (IsDigits(text)) return " (it has no unit)";
  if (HasSpace(text)) return " (spaces are refused)";
  if (text[0] == '-' || text[0] == '+') return " (signs are refused)";
  if (text.find('.') != std::string_view::npos)
    return " (fractions are refused; write 1s500ms for 1.5s)";
  return "";
}

}  // namespace

std::vector<YamlProblem> RepeatedKeys(const std::string& text) {
  std::vector<YamlProblem> problems;
  std::istringstream in(text);
  try {
    YAML::Parser parser(in);
    RepeatedKeyFinder finder(&problems);
    parser.HandleNextDocument(finder);
  } catch (const YAML::Exception&) {
    // Syntax errors are ParseYaml's to report.
  }
  return problems;
}

YamlDocument ParseYaml(const std::string& text) {
  YamlDocument document;
  try {
    document.root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    document.syntax_ok = false;
    std::string fix = "check indentation and quoting";
    // An unquoted "> 10" starts a YAML folded block.
    if (e.msg.find("block scalar") != std::string::npos)
      fix = "quote values that start with > or |, e.g. condition: \"> 10\"";
    document.problems.push_back(
        {e.mark.line >= 0 ? e.mark.line + 1 : 0, "not valid YAML: " + e.msg + " (" + fix + ")"});
    return document;
  }
  document.problems = RepeatedKeys(text);
  return document;
}

YamlEntry FindYamlEntry(const YAML::Node& map, std::string_view key) {
  if (!map.IsMap()) return {};
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == key)
      return {entry.first, entry.second, true};
  }
  return {};
}

int YamlLine(const YAML::Node& node) {
  if (!node.IsDefined() || node.Mark().line < 0) return 0;
  return node.Mark().line + 1;
}

int YamlLine(const YamlEntry& entry) {
  return entry.value.IsDefined() && !entry.value.IsNull() ? YamlLine(entry.value)
                                                          : YamlLine(entry.key);
}

ParseResult<std::string> ReadYamlString(const YAML::Node& node, std::string_view key) {
  if (!node.IsScalar()) {
    return ParseResult<std::string>::Error(
        node.IsDefined() && node.IsNull()
            ? std::string(key) + " is empty; write a value, or \"\" for an empty text"
            : NotScalarMessage(node, key, "a single value"));
  }
  return node.Scalar();
}

ParseResult<std::int64_t> ParseYamlInteger(std::string_view text, std::string_view key,
                                           std::int64_t minimum, std::int64_t maximum) {
  std::string expected = IntegerExpected(minimum, maximum);
  auto refuse = [&](std::string_view why) {
    return ParseResult<std::int64_t>::Error(std::string(key) + ": " + Shown(text) + " " +
                                            std::string(why) + "; write " + expected);
  };
  // The YAML 1.2 core schema's integer: [-+]?[0-9]+, read by one from_chars over the
  // whole text (which alone takes no '+').
  std::string_view digits = text;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  if (!IsDigits(digits) || (digits.size() > 1 && digits[0] == '0'))
    return refuse("is not a whole number" + IntegerMistake(text));
  std::string_view number = text[0] == '+' ? text.substr(1) : text;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec == std::errc::result_out_of_range) {
    if (minimum == kNoMinimum && maximum == kNoMaximum)
      expected =
          "a whole number from " + std::to_string(minimum) + " to " + std::to_string(maximum);
    return refuse("is out of range");
  }
  if (ec != std::errc() || end != number.data() + number.size())
    return refuse("is not a whole number");
  if (value < minimum || value > maximum) return refuse("is out of range");
  return value;
}

ParseResult<std::int64_t> ReadYamlInteger(const YAML::Node& node, std::string_view key,
                                          std::int64_t minimum, std::int64_t maximum) {
  if (!node.IsScalar())
    return ParseResult<std::int64_t>::Error(
        NotScalarMessage(node, key, IntegerExpected(minimum, maximum)));
  return ParseYamlInteger(node.Scalar(), key, minimum, maximum);
}

ParseResult<bool> ParseYamlBool(std::string_view text, std::string_view key) {
  if (text == "true") return true;
  if (text == "false") return false;
  std::string lower = ToLower(text);
  std::string why;
  if (lower == "true" || lower == "false") {
    why = " (write it in lower case)";
  } else {
    for (const char* yaml11 : {"y", "yes", "n", "no", "on", "off"}) {
      if (lower == yaml11)
        why =
            " (yes/no, on/off and y/n are refused: YAML 1.1 readers take them as booleans, "
            "YAML 1.2 readers as text)";
    }
  }
  return ParseResult<bool>::Error(std::string(key) + ": " + Shown(text) +
                                  " is not true or false; write true or false" + why);
}

ParseResult<bool> ReadYamlBool(const YAML::Node& node, std::string_view key) {
  if (!node.IsScalar())
    return ParseResult<bool>::Error(NotScalarMessage(node, key, "true or false"));
  return ParseYamlBool(node.Scalar(), key);
}

ParseResult<Duration> ParseYamlDuration(std::string_view text, std::string_view key,
                                        DurationMinimum minimum) {
  std::optional<Duration> duration = ParseDuration(text);
  bool above_zero = minimum == DurationMinimum::kAboveZero;
  if (duration && (!above_zero || duration->count() > 0)) return *duration;
  std::string why = duration ? "" : DurationMistake(text);
  return ParseResult<Duration>::Error(
      std::string(key) + ": " + Shown(text) + " is not a duration" +
      (above_zero ? " above zero" : "") + why +
      "; write it like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d");
}

ParseResult<Duration> ReadYamlDuration(const YAML::Node& node, std::string_view key,
                                       DurationMinimum minimum) {
  if (!node.IsScalar())
    return ParseResult<Duration>::Error(
        NotScalarMessage(node, key, "a duration such as 30s, 10m, 1h30m or 500ms"));
  return ParseYamlDuration(node.Scalar(), key, minimum);
}

ParseResult<std::vector<std::string>> ReadYamlStringList(const YAML::Node& node,
                                                         std::string_view key) {
  using Result = ParseResult<std::vector<std::string>>;
  if (node.IsScalar())
    return Result::Error(std::string(key) + " must be a list, not the single value " +
                         Shown(node.Scalar()) + "; write [" + Shown(node.Scalar()) +
                         "] for a list of one");
  if (!node.IsSequence())
    return Result::Error(NotScalarMessage(node, key, "a list such as [a, b] ([] for none)"));
  std::vector<std::string> items;
  std::size_t index = 0;
  for (const auto& item : node) {
    ++index;
    if (!item.IsScalar())
      return Result::Error(std::string(key) + ": item " + std::to_string(index) + " is " +
                           NotScalar(item) + "; each item must be a single value");
    items.push_back(item.Scalar());
  }
  return items;
}

}  // namespace cutover
