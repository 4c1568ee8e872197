// How long a long-lived session stays open before it closes normally and is replaced:
// "forever" (default), "exp:60s" (exponentially distributed, mean 60 s, like real client
// sessions) or "fixed:30s". A normal close is not a broken session.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "common/duration.h"
#include "common/parse_result.h"

namespace cutover::traffic {

class SessionLifetime {
 public:
  enum class Kind { kForever, kExponential, kFixed };

  static ParseResult<SessionLifetime> Parse(std::string_view text);
  static SessionLifetime Forever() { return SessionLifetime(Kind::kForever, Duration{0}); }

  Kind kind() const { return kind_; }
  Duration mean() const { return mean_; }
  // A lifetime for one new session; nullopt means it never ends on its own.
  std::optional<Duration> Sample(std::mt19937_64& random) const;
  std::string ToString() const;

 private:
  SessionLifetime(Kind kind, Duration mean) : kind_(kind), mean_(mean) {}
  Kind kind_;
  Duration mean_;
};

}  // namespace cutover::traffic
