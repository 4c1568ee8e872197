// Small text helpers shared by parsers and config code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

std::string_view Trim(std::string_view text);
std::vector<std::string_view> SplitLines(std::string_view text);
// Splits on runs of spaces and tabs.
std::vector<std::string_view> SplitFields(std::string_view text);
std::vector<std::string_view> Split(std::string_view text, char separator);
bool StartsWith(std::string_view text, std::string_view prefix);
std::string ToLower(std::string_view text);
// Whole-string non-negative integer; nullopt on anything else (no sign, no spaces).
std::optional<std::uint64_t> ParseUint(std::string_view text);
// Whole-string decimal number as Prometheus writes it, including NaN and +Inf/-Inf.
std::optional<double> ParseDouble(std::string_view text);
// What a command printed, for an error message: quoted, on one line, at most 160
// characters, control characters escaped; "nothing" for empty output.
std::string QuoteCommandOutput(std::string_view text);
// Appends `text` with '"' and '\\' backslashed and control characters escaped (\n, \r,
// \t, \u001b ...), as JSON and logfmt write them: text from outside (alert labels, member
// output, request bodies) must never put a raw CR, ESC or NUL into a log or a message.
void AppendEscaped(std::string& out, std::string_view text);
// `text` in double quotes for an error message: escaped, at most `max_shown` bytes (cut on
// a character boundary, then "..."), so a hostile value cannot flood or garble a line.
std::string QuoteForMessage(std::string_view text, std::size_t max_shown);
// Stable 64-bit FNV-1a digest as 16 hex digits. Used to see that something changed,
// not to resist an attacker.
std::string Fnv1aHex(std::string_view data);

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), as Prometheus and JSON readers require.
bool IsValidUtf8(std::string_view text);
// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by
// U+FFFD; unchanged when it is valid.
std::string ReplaceInvalidUtf8(std::string_view text);

}  // namespace cutover
