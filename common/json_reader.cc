#include "common/json_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <unordered_set>
#include <vector>

#include "common/strings.h"

namespace cutover {
namespace {

constexpr std::string_view kSyntaxPrefix = "invalid JSON at byte offset ";

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// A key for an error message: control bytes escaped and long keys shortened, so a hostile
// text cannot flood or garble a log line or an answer.
std::string QuotedKey(std::string_view key) { return "[" + QuoteForMessage(key, 40) + "]"; }

std::string At(std::size_t offset) { return " at byte offset " + std::to_string(offset); }

// Forwards SAX events to the document while keeping the limits, and remembers where in
// the text's structure the parser is, so errors can name the field.
class LimitedHandler {
 public:
  LimitedHandler(rapidjson::Document& document, const JsonLimits& limits)
      : document_(document), limits_(limits) {}

  bool Null() { return document_.Null() && Done(); }
  bool Bool(bool b) { return document_.Bool(b) && Done(); }
  bool Int(int i) { return document_.Int(i) && Done(); }
  bool Uint(unsigned i) { return document_.Uint(i) && Done(); }
  bool Int64(std::int64_t i) { return document_.Int64(i) && Done(); }
  bool Uint64(std::uint64_t i) { return document_.Uint64(i) && Done(); }
  bool Double(double d) { return document_.Double(d) && Done(); }
  bool RawNumber(const char* str, rapidjson::SizeType length, bool copy) {
    return document_.RawNumber(str, length, copy) && Done();
  }
  bool String(const char* str, rapidjson::SizeType length, bool copy) {
    if (limits_.refuse_nul && std::memchr(str, '\0', length) != nullptr)
      return Fail("NUL character (\\u0000)" + In(), "cutover refuses NUL in strings");
    return document_.String(str, length, copy) && Done();
  }
  bool Key(const char* str, rapidjson::SizeType length, bool copy) {
    Frame& frame = frames_.back();
    std::string_view key(str, length);
    if (limits_.refuse_nul && key.find('\0') != std::string_view::npos)
      return Fail("NUL character (\\u0000) in a key" + In(), "cutover refuses NUL in strings");
    frame.key.assign(key);
    frame.in_member = true;
    if (limits_.refuse_duplicate_keys && !frame.keys.emplace(key).second)
      return Fail("key \"" + Path() + "\" given twice", "give each key once");
    return document_.Key(str, length, copy);
  }
  bool StartObject() { return Open(true) && document_.StartObject(); }
  bool EndObject(rapidjson::SizeType count) {
    frames_.pop_back();
    return document_.EndObject(count) && Done();
  }
  bool StartArray() { return Open(false) && document_.StartArray(); }
  bool EndArray(rapidjson::SizeType count) {
    frames_.pop_back();
    return document_.EndArray(count) && Done();
  }

  // Why the handler stopped the parser, if it did: "<what> at byte offset N (<note>)".
  bool stopped() const { return !what_.empty(); }
  std::string Error(std::size_t offset) const { return what_ + At(offset) + " (" + note_ + ")"; }

  // The path of the value being read, e.g. "alerts[0].labels.x"; empty at the top level.
  std::string Path() const {
    std::string path;
    for (const Frame& frame : frames_) {
      if (frame.object) {
        if (!frame.in_member) break;
        if (IsPlainName(frame.key)) {
          path += (path.empty() ? "" : ".") + frame.key;
        } else {
          path += QuotedKey(frame.key);
        }
      } else {
        path += "[" + std::to_string(frame.index) + "]";
      }
    }
    return path;
  }
  std::string In() const {
    std::string path = Path();
    return path.empty() ? "" : " in \"" + path + "\"";
  }

 private:
  struct Frame {
    bool object = false;
    bool in_member = false;                // objects: a key was read, its value not yet
    std::string key;                       // objects: the last key read
    std::size_t index = 0;                 // arrays: the element being read
    std::unordered_set<std::string> keys;  // objects, when duplicates are refused
  };

  bool Open(bool object) {
    if (frames_.size() >= limits_.max_depth) {
      const std::string limit = std::to_string(limits_.max_depth);
      return Fail("JSON nested deeper than " + limit + " levels", "cutover reads at most " + limit);
    }
    frames_.emplace_back().object = object;
    return true;
  }

  // A value ended: its container moves on to the next member or element.
  bool Done() {
    if (frames_.empty()) return true;
    Frame& frame = frames_.back();
    if (frame.object) {
      frame.in_member = false;
    } else {
      ++frame.index;
    }
    return true;
  }

  bool Fail(std::string what, std::string note) {
    what_ = std::move(what);
    note_ = std::move(note);
    return false;
  }

  rapidjson::Document& document_;
  const JsonLimits& limits_;
  std::vector<Frame> frames_;
  std::string what_, note_;
};

}  // namespace

ParseResult<rapidjson::Document> ReadJson(std::string_view text, const JsonLimits& limits) {
  using Result = ParseResult<rapidjson::Document>;
  constexpr unsigned kValidating =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  constexpr unsigned kPassing = rapidjson::kParseIterativeFlag;
  rapidjson::MemoryStream stream(text.data(), text.size());
  rapidjson::Document document;
  LimitedHandler handler(document, limits);
  rapidjson::ParseResult parsed;
  auto generate = [&](rapidjson::Document&) {
    rapidjson::Reader reader;
    parsed = limits.validate_utf8 ? reader.Parse<kValidating>(stream, handler)
                                  : reader.Parse<kPassing>(stream, handler);
    return !parsed.IsError();
  };
  document.Populate(generate);

  if (parsed.IsError()) {
    const std::size_t offset = parsed.Offset();
    if (handler.stopped()) return Result::Error(handler.Error(offset));
    if (parsed.Code() == rapidjson::kParseErrorStringInvalidEncoding)
      return Result::Error("invalid UTF-8" + handler.In() + At(offset) +
                           " (JSON text must be UTF-8)");
    return Result::Error(std::string(kSyntaxPrefix) + std::to_string(offset) + ": " +
                         rapidjson::GetParseError_En(parsed.Code()));
  }
  // The parser takes a NUL byte for the end of the text: whatever follows must not be
  // silently ignored.
  if (stream.Tell() != text.size())
    return Result::Error(std::string(kSyntaxPrefix) + std::to_string(stream.Tell()) +
                         ": a NUL byte, which JSON text cannot contain");
  return document;
}

ParseResult<rapidjson::Document> ReadJsonObject(std::string_view text, const std::string& what) {
  auto parsed = ReadJson(text, MachineJsonLimits());
  if (!parsed.ok())
    return ParseResult<rapidjson::Document>::Error(what + " is not JSON cutover reads (" +
                                                   parsed.error() + "); it gave " +
                                                   QuoteCommandOutput(text));
  if (!parsed.value().IsObject())
    return ParseResult<rapidjson::Document>::Error(
        what + " gave JSON that is not an object: " + QuoteCommandOutput(text));
  return parsed;
}

bool IsJsonSyntaxError(std::string_view error) { return StartsWith(error, kSyntaxPrefix); }

}  // namespace cutover
