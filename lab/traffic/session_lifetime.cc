#include "lab/traffic/session_lifetime.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>

namespace cutover::traffic {
namespace {

// Rounding a third to 33.33% is fine; a missing part is not.
constexpr double kPercentTolerance = 0.01;

bool IsDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "70", "33.33" or "-5" (refused later with its own message); nothing else, so that
// "1e2", "inf" or " 70" are not read as a share.
std::optional<double> ParsePercent(std::string_view text) {
  std::string_view number = text.substr(!text.empty() && text.front() == '-' ? 1 : 0);
  std::size_t dot = number.find('.');
  if (!IsDigits(number.substr(0, dot)) ||
      (dot != std::string_view::npos && !IsDigits(number.substr(dot + 1))))
    return std::nullopt;
  double value = 0;
  std::from_chars_result result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

// The shortest spelling that reads back to the same number: 70, 33.33.
std::string FormatPercent(double percent) {
  char buffer[64];
  std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, percent);
  return std::string(buffer, result.ptr);
}

}  // namespace

ParseResult<SessionLifetime> SessionLifetime::Parse(std::string_view text) {
  if (text.find_first_of("%,") != std::string_view::npos) return ParseMix(text);
  ParseResult<Part> part = ParseKind(text);
  if (!part.ok()) return ParseResult<SessionLifetime>::Error(part.error());
  return SessionLifetime({part.value()});
}

ParseResult<SessionLifetime::Part> SessionLifetime::ParseKind(std::string_view text) {
  const std::string usage = " (use forever, exp:MEAN or fixed:DURATION, e.g. exp:60s)";
  if (text == "forever") return Part{100, Kind::kForever, Duration{0}};
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return ParseResult<Part>::Error("session lifetime '" + std::string(text) +
                                    "' is not a distribution" + usage);
  std::string_view name = text.substr(0, colon);
  std::string_view value = text.substr(colon + 1);
  Kind kind;
  if (name == "exp") {
    kind = Kind::kExponential;
  } else if (name == "fixed") {
    kind = Kind::kFixed;
  } else {
    return ParseResult<Part>::Error("session lifetime '" + std::string(text) +
                                    "': unknown distribution '" + std::string(name) + "'" + usage);
  }
  std::optional<Duration> duration = ParseDuration(value);
  if (!duration || duration->count() <= 0)
    return ParseResult<Part>::Error(
        "session lifetime '" + std::string(text) + "': '" + std::string(value) +
        "' is not a positive duration (write it like 500ms, 60s or 5m)");
  return Part{100, kind, *duration};
}

ParseResult<SessionLifetime> SessionLifetime::ParseMix(std::string_view text) {
  const std::string quoted = "session lifetime '" + std::string(text) + "'";
  std::vector<Part> parts;
  double total = 0;
  std::size_t start = 0;
  for (int number = 1;; ++number) {
    std::size_t comma = text.find(',', start);
    std::string_view part = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (part.empty())
      return ParseResult<SessionLifetime>::Error(
          quoted + ": part " + std::to_string(number) +
          " is empty (separate PERCENT%KIND parts by single commas, e.g. 70%exp:20s,30%forever)");
    const std::string quoted_part = "session lifetime '" + std::string(part) + "'";
    std::size_t percent_sign = part.find('%');
    if (percent_sign == std::string_view::npos)
      return ParseResult<SessionLifetime>::Error(
          quoted_part + ": each part of a mix starts with its percentage (write e.g. 30%" +
          std::string(part) + ")");
    std::string_view percent_text = part.substr(0, percent_sign);
    std::string_view kind_text = part.substr(percent_sign + 1);
    std::optional<double> percent = ParsePercent(percent_text);
    if (!percent)
      return ParseResult<SessionLifetime>::Error(quoted_part + ": '" + std::string(percent_text) +
                                                 "' is not a percentage (write e.g. 70%exp:20s)");
    if (*percent <= 0)
      return ParseResult<SessionLifetime>::Error(
          quoted_part + ": " + std::string(percent_text) +
          "% would never be drawn (give each part more than 0%, or leave it out)");
    if (kind_text.empty())
      return ParseResult<SessionLifetime>::Error(
          quoted_part + ": no distribution after the percentage (write e.g. 70%exp:20s)");
    ParseResult<Part> kind = ParseKind(kind_text);
    if (!kind.ok()) return ParseResult<SessionLifetime>::Error(kind.error());
    kind.value().percent = *percent;
    parts.push_back(kind.value());
    total += *percent;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  // The small epsilon keeps 33.33+33.33+33.33 (99.99 give or take a bit) inside.
  if (std::fabs(total - 100) > kPercentTolerance + 1e-9)
    return ParseResult<SessionLifetime>::Error(quoted + ": the percentages add up to " +
                                               FormatPercent(std::round(total * 1e6) / 1e6) +
                                               ", not 100");
  return SessionLifetime(std::move(parts));
}

std::optional<Duration> SessionLifetime::Sample(std::mt19937_64& random) const {
  // A plain kind draws nothing extra, so a seed gives the same lifetimes as before mixes.
  if (parts_.size() == 1) return SampleKind(parts_.front(), random);
  double total = 0;
  for (const Part& part : parts_) total += part.percent;
  double pick = std::uniform_real_distribution<double>(0, total)(random);
  for (const Part& part : parts_) {
    if (pick < part.percent) return SampleKind(part, random);
    pick -= part.percent;
  }
  return SampleKind(parts_.back(), random);  // pick landed on total through rounding
}

std::optional<Duration> SessionLifetime::SampleKind(const Part& part, std::mt19937_64& random) {
  switch (part.kind) {
    case Kind::kForever:
      return std::nullopt;
    case Kind::kFixed:
      return part.mean;
    case Kind::kExponential: {
      std::exponential_distribution<double> distribution(1.0 /
                                                         static_cast<double>(part.mean.count()));
      // At least 1 ms: a session gets to open before it ends.
      double millis = std::clamp(std::round(distribution(random)), 1.0, 1e15);
      return Duration(static_cast<Duration::rep>(millis));
    }
  }
  return std::nullopt;
}

std::string SessionLifetime::ToString() const {
  if (parts_.size() == 1) return KindToString(parts_.front());
  std::string text;
  for (const Part& part : parts_) {
    if (!text.empty()) text += ',';
    text += FormatPercent(part.percent) + "%" + KindToString(part);
  }
  return text;
}

std::string SessionLifetime::KindToString(const Part& part) {
  switch (part.kind) {
    case Kind::kForever:
      return "forever";
    case Kind::kFixed:
      return "fixed:" + FormatDuration(part.mean);
    case Kind::kExponential:
      return "exp:" + FormatDuration(part.mean);
  }
  return "forever";
}

}  // namespace cutover::traffic
