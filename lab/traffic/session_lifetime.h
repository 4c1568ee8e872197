// How long a long-lived session stays open before it closes normally and is replaced:
// "forever" (default), "exp:60s" (exponentially distributed, mean 60 s, like real client
// sessions), "fixed:30s", or a weighted mix of those, "70%exp:20s,25%fixed:2m,5%forever",
// so that a drained member's sessions end over a realistic time. A normal close is not a
// broken session. Immutable after Parse; safe to share between threads.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/duration.h"
#include "common/parse_result.h"

namespace cutover::traffic {

class SessionLifetime {
 public:
  static ParseResult<SessionLifetime> Parse(std::string_view text);
  static SessionLifetime Forever() { return SessionLifetime({{100, Kind::kForever, Duration{0}}}); }

  // A lifetime for one new session (its kind drawn by weight first, for a mix); nullopt
  // means it never ends on its own.
  std::optional<Duration> Sample(std::mt19937_64& random) const;
  // What Parse reads back to the same lifetime: "exp:1m" or "70%exp:20s,30%forever".
  std::string ToString() const;

 private:
  enum class Kind { kForever, kExponential, kFixed };
  struct Part {
    double percent;  // of new sessions
    Kind kind;
    Duration mean;
  };

  static ParseResult<Part> ParseKind(std::string_view text);
  static ParseResult<SessionLifetime> ParseMix(std::string_view text);
  static std::optional<Duration> SampleKind(const Part& part, std::mt19937_64& random);
  static std::string KindToString(const Part& part);

  explicit SessionLifetime(std::vector<Part> parts) : parts_(std::move(parts)) {}
  std::vector<Part> parts_;  // a plain kind is one part at 100%
};

}  // namespace cutover::traffic
