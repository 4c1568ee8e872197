// What a parser of command output returns: the value, or why the output could not be
// read (naming the command and quoting what it printed). Never a guessed value.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace cutover {

template <typename T>
class ParseResult {
 public:
  ParseResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  static ParseResult Error(std::string why) { return ParseResult(ErrorTag{std::move(why)}); }

  bool ok() const { return std::holds_alternative<T>(value_); }
  const T& value() const { return std::get<T>(value_); }
  T& value() { return std::get<T>(value_); }
  const std::string& error() const { return std::get<ErrorTag>(value_).why; }

 private:
  struct ErrorTag {
    std::string why;
  };
  explicit ParseResult(ErrorTag error) : value_(std::move(error)) {}
  std::variant<T, ErrorTag> value_;
};

}  // namespace cutover
