#include "lab/traffic/session_lifetime.h"

#include <algorithm>
#include <cmath>

namespace cutover::traffic {

ParseResult<SessionLifetime> SessionLifetime::Parse(std::string_view text) {
  const std::string usage = " (use forever, exp:MEAN or fixed:DURATION, e.g. exp:60s)";
  if (text == "forever") return Forever();
  std::size_t colon = text.find(':');
  if (colon == std::string_view::npos)
    return ParseResult<SessionLifetime>::Error("session lifetime '" + std::string(text) +
                                               "' is not a distribution" + usage);
  std::string_view name = text.substr(0, colon);
  std::string_view value = text.substr(colon + 1);
  Kind kind;
  if (name == "exp") {
    kind = Kind::kExponential;
  } else if (name == "fixed") {
    kind = Kind::kFixed;
  } else {
    return ParseResult<SessionLifetime>::Error("session lifetime '" + std::string(text) +
                                               "': unknown distribution '" + std::string(name) +
                                               "'" + usage);
  }
  std::optional<Duration> duration = ParseDuration(value);
  if (!duration || duration->count() <= 0)
    return ParseResult<SessionLifetime>::Error(
        "session lifetime '" + std::string(text) + "': '" + std::string(value) +
        "' is not a positive duration (write it like 500ms, 60s or 5m)");
  return SessionLifetime(kind, *duration);
}

std::optional<Duration> SessionLifetime::Sample(std::mt19937_64& random) const {
  switch (kind_) {
    case Kind::kForever:
      return std::nullopt;
    case Kind::kFixed:
      return mean_;
    case Kind::kExponential: {
      std::exponential_distribution<double> distribution(1.0 / static_cast<double>(mean_.count()));
      // At least 1 ms: a session gets to open before it ends.
      double millis = std::clamp(std::round(distribution(random)), 1.0, 1e15);
      return Duration(static_cast<Duration::rep>(millis));
    }
  }
  return std::nullopt;
}

std::string SessionLifetime::ToString() const {
  switch (kind_) {
    case Kind::kForever:
      return "forever";
    case Kind::kFixed:
      return "fixed:" + FormatDuration(mean_);
    case Kind::kExponential:
      return "exp:" + FormatDuration(mean_);
  }
  return "forever";
}

}  // namespace cutover::traffic
