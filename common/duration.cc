#include "common/duration.h"

#include <array>
#include <cctype>
#include <cstdint>

namespace cutover {
namespace {

struct Unit {
  std::string_view name;
  std::int64_t millis;
};

// Longest names first where one is a prefix of another ("ms" before "m").
constexpr std::array<Unit, 6> kUnits{{{"w", 7 * 24 * 3600 * 1000LL},
                                      {"d", 24 * 3600 * 1000LL},
                                      {"h", 3600 * 1000LL},
                                      {"m", 60 * 1000LL},
                                      {"s", 1000LL},
                                      {"ms", 1LL}}};

}  // namespace

std::optional<Duration> ParseDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t last_unit_index = 0;
  bool first = true;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    std::int64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1'000'000'000'000LL) return std::nullopt;
      ++i;
    }
    std::size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::size_t index = kUnits.size();
    for (std::size_t u = 0; u < kUnits.size(); ++u) {
      if (kUnits[u].name == unit) index = u;
    }
    if (index == kUnits.size()) return std::nullopt;
    // Units must decrease: "1s1m" is as wrong in Prometheus as here.
    if (!first && index <= last_unit_index) return std::nullopt;
    first = false;
    last_unit_index = index;
    total += value * kUnits[index].millis;
  }
  return Duration(total);
}

std::string FormatDuration(Duration duration) {
  std::int64_t left = duration.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out.push_back('-');
    left = -left;
  }
  for (const Unit& unit : kUnits) {
    if (unit.name == "w") continue;  // weeks read worse than days in status lines
    if (left >= unit.millis) {
      out += std::to_string(left / unit.millis);
      out += unit.name;
      left %= unit.millis;
    }
  }
  return out;
}

}  // namespace cutover
