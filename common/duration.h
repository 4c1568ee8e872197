// Durations written the way Prometheus writes them: "250ms", "5s", "1m30s", "2h", "7d".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cutover {

using Duration = std::chrono::milliseconds;

// Returns nullopt for anything that is not a sequence of <integer><unit> with units
// ms, s, m, h, d, w in decreasing order.
std::optional<Duration> ParseDuration(std::string_view text);

// The shortest Prometheus-style spelling: 1500ms -> "1s500ms", 90s -> "1m30s".
std::string FormatDuration(Duration duration);

}  // namespace cutover
