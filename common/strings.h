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
// characters; "nothing" for empty output.
std::string QuoteCommandOutput(std::string_view text);
// Stable 64-bit FNV-1a digest as 16 hex digits. Used to see that something changed,
// not to resist an attacker.
std::string Fnv1aHex(std::string_view data);

}  // namespace cutover
