#include "lab/traffic/session_lifetime.h"

#include <gtest/gtest.h>

namespace cutover::traffic {
namespace {

TEST(SessionLifetime, ForeverNeverEnds) {
  ParseResult<SessionLifetime> parsed = SessionLifetime::Parse("forever");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  std::mt19937_64 random(1);
  EXPECT_FALSE(parsed.value().Sample(random).has_value());
  EXPECT_EQ(parsed.value().ToString(), "forever");
}

TEST(SessionLifetime, ExponentialHasTheGivenMean) {
  ParseResult<SessionLifetime> parsed = SessionLifetime::Parse("exp:60s");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  EXPECT_EQ(parsed.value().kind(), SessionLifetime::Kind::kExponential);
  EXPECT_EQ(parsed.value().mean(), Duration(60000));
  EXPECT_EQ(parsed.value().ToString(), "exp:1m");

  std::mt19937_64 random(7);
  double total = 0;
  int shorter_than_mean = 0;
  constexpr int kSamples = 20000;
  for (int i = 0; i < kSamples; ++i) {
    Duration sample = *parsed.value().Sample(random);
    ASSERT_GE(sample.count(), 1);
    total += static_cast<double>(sample.count());
    if (sample < Duration(60000)) ++shorter_than_mean;
  }
  EXPECT_NEAR(total / kSamples, 60000, 60000 * 0.05);
  // An exponential distribution ends 1 - 1/e (63%) of its sessions before the mean.
  EXPECT_NEAR(static_cast<double>(shorter_than_mean) / kSamples, 0.632, 0.02);
}

TEST(SessionLifetime, FixedIsExact) {
  ParseResult<SessionLifetime> parsed = SessionLifetime::Parse("fixed:1m30s");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  std::mt19937_64 random(1);
  EXPECT_EQ(*parsed.value().Sample(random), Duration(90000));
}

TEST(SessionLifetime, BadValuesAreRefusedWithWhatToWriteInstead) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {
           Case{"",
                "session lifetime '' is not a distribution (use forever, exp:MEAN or "
                "fixed:DURATION, e.g. exp:60s)"},
           Case{"60s",
                "session lifetime '60s' is not a distribution (use forever, exp:MEAN or "
                "fixed:DURATION, e.g. exp:60s)"},
           Case{"normal:60s",
                "session lifetime 'normal:60s': unknown distribution 'normal' (use "
                "forever, exp:MEAN or fixed:DURATION, e.g. exp:60s)"},
           Case{"exp:",
                "session lifetime 'exp:': '' is not a positive duration (write it like "
                "500ms, 60s or 5m)"},
           Case{"exp:60",
                "session lifetime 'exp:60': '60' is not a positive duration (write it "
                "like 500ms, 60s or 5m)"},
           Case{"exp:0s",
                "session lifetime 'exp:0s': '0s' is not a positive duration (write it "
                "like 500ms, 60s or 5m)"},
           Case{"Forever",
                "session lifetime 'Forever' is not a distribution (use forever, "
                "exp:MEAN or fixed:DURATION, e.g. exp:60s)"},
       }) {
    ParseResult<SessionLifetime> parsed = SessionLifetime::Parse(c.text);
    ASSERT_FALSE(parsed.ok()) << "'" << c.text << "' was accepted";
    EXPECT_EQ(parsed.error(), c.error);
  }
}

}  // namespace
}  // namespace cutover::traffic
