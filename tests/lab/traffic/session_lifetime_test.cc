#include "lab/traffic/session_lifetime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

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

// A lab run's seed must give the same sessions as before mixes existed: a plain kind
// takes nothing from the random stream to pick its part.
TEST(SessionLifetime, PlainKindDrawsTheSameLifetimesAsBeforeMixes) {
  ParseResult<SessionLifetime> parsed = SessionLifetime::Parse("exp:20s");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  std::mt19937_64 random(42);
  std::mt19937_64 reference(42);
  std::exponential_distribution<double> exponential(1.0 / 20000);
  for (int i = 0; i < 100; ++i) {
    Duration expected(
        static_cast<Duration::rep>(std::max(1.0, std::round(exponential(reference)))));
    EXPECT_EQ(*parsed.value().Sample(random), expected) << "draw " << i;
  }
}

TEST(SessionLifetime, MixesReadBackTheWayTheyArePrinted) {
  struct Case {
    const char* text;
    const char* printed;
  };
  for (const Case& c : {
           Case{"70%exp:20s,25%fixed:2m,5%forever", "70%exp:20s,25%fixed:2m,5%forever"},
           Case{"70%exp:60s,30%fixed:90s", "70%exp:1m,30%fixed:1m30s"},
           Case{"33.33%fixed:1s,33.33%fixed:2s,33.33%fixed:3s",
                "33.33%fixed:1s,33.33%fixed:2s,33.33%fixed:3s"},
           Case{"070.50%exp:1s,29.5%forever", "70.5%exp:1s,29.5%forever"},
           Case{"99.995%exp:1s,0.005%forever", "99.995%exp:1s,0.005%forever"},
           Case{"50%exp:1s,50%exp:1s", "50%exp:1s,50%exp:1s"},
           // One part at 100% is the plain kind.
           Case{"100%exp:20s", "exp:20s"},
           Case{"100.00%forever", "forever"},
           Case{"99.995%fixed:1m", "fixed:1m"},
       }) {
    ParseResult<SessionLifetime> parsed = SessionLifetime::Parse(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.error();
    EXPECT_EQ(parsed.value().ToString(), c.printed) << c.text;
    ParseResult<SessionLifetime> again = SessionLifetime::Parse(parsed.value().ToString());
    ASSERT_TRUE(again.ok()) << c.printed << " does not read back: " << again.error();
    EXPECT_EQ(again.value().ToString(), c.printed);
  }
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
           // Mixes.
           Case{"70%exp:20s,20%fixed:1m",
                "session lifetime '70%exp:20s,20%fixed:1m': the percentages add up to 90, "
                "not 100"},
           Case{"70%exp:20s,40.5%fixed:1m",
                "session lifetime '70%exp:20s,40.5%fixed:1m': the percentages add up to "
                "110.5, not 100"},
           Case{"33.33%fixed:1s,33.33%fixed:2s,33.32%fixed:3s",
                "session lifetime '33.33%fixed:1s,33.33%fixed:2s,33.32%fixed:3s': the "
                "percentages add up to 99.98, not 100"},
           Case{"abc%exp:1s",
                "session lifetime 'abc%exp:1s': 'abc' is not a percentage (write e.g. "
                "70%exp:20s)"},
           Case{"70%exp:20s,1e1%forever,20%fixed:1m",
                "session lifetime '1e1%forever': '1e1' is not a percentage (write e.g. "
                "70%exp:20s)"},
           Case{"70%exp:20s, 30%forever",
                "session lifetime ' 30%forever': ' 30' is not a percentage (write e.g. "
                "70%exp:20s)"},
           Case{"70.%exp:20s,30%forever",
                "session lifetime '70.%exp:20s': '70.' is not a percentage (write e.g. "
                "70%exp:20s)"},
           Case{"%exp:20s",
                "session lifetime '%exp:20s': '' is not a percentage (write e.g. 70%exp:20s)"},
           Case{"70%exp:20s,,30%forever",
                "session lifetime '70%exp:20s,,30%forever': part 2 is empty (separate "
                "PERCENT%KIND parts by single commas, e.g. 70%exp:20s,30%forever)"},
           Case{"70%exp:20s,30%forever,",
                "session lifetime '70%exp:20s,30%forever,': part 3 is empty (separate "
                "PERCENT%KIND parts by single commas, e.g. 70%exp:20s,30%forever)"},
           Case{",",
                "session lifetime ',': part 1 is empty (separate PERCENT%KIND parts by "
                "single commas, e.g. 70%exp:20s,30%forever)"},
           Case{"100%exp:20s,0%forever",
                "session lifetime '0%forever': 0% would never be drawn (give each part "
                "more than 0%, or leave it out)"},
           Case{"110%exp:20s,-10%forever",
                "session lifetime '-10%forever': -10% would never be drawn (give each part "
                "more than 0%, or leave it out)"},
           Case{"70%exp:20s,fixed:1m",
                "session lifetime 'fixed:1m': each part of a mix starts with its "
                "percentage (write e.g. 30%fixed:1m)"},
           Case{"70%exp:20s,30%",
                "session lifetime '30%': no distribution after the percentage (write e.g. "
                "70%exp:20s)"},
           Case{"70%normal:60s,30%forever",
                "session lifetime 'normal:60s': unknown distribution 'normal' (use "
                "forever, exp:MEAN or fixed:DURATION, e.g. exp:60s)"},
           Case{"70%exp:60,30%forever",
                "session lifetime 'exp:60': '60' is not a positive duration (write it "
                "like 500ms, 60s or 5m)"},
           Case{"70%exp:20s,30%Forever",
                "session lifetime 'Forever' is not a distribution (use forever, "
                "exp:MEAN or fixed:DURATION, e.g. exp:60s)"},
           Case{"70%30%forever",
                "session lifetime '30%forever' is not a distribution (use forever, "
                "exp:MEAN or fixed:DURATION, e.g. exp:60s)"},
       }) {
    ParseResult<SessionLifetime> parsed = SessionLifetime::Parse(c.text);
    ASSERT_FALSE(parsed.ok()) << "'" << c.text << "' was accepted";
    EXPECT_EQ(parsed.error(), c.error) << c.text;
  }
}

// Each new session draws its kind by weight: over many draws, every part gets its share
// of sessions (within 5 standard deviations), and each exponential part keeps its mean.
// Parts are told apart by what they draw: nullopt is forever, a fixed part's exact
// duration, anything else the one exponential part.
TEST(SessionLifetime, MixGivesEachPartItsShareOfSessions) {
  constexpr int kSamples = 100000;
  const Duration kForever{-1};
  struct Share {
    const char* part;
    Duration lifetime;  // kForever, a fixed duration, or the exponential part's mean
    double fraction;
    bool exponential = false;
  };
  struct Case {
    const char* text;
    std::vector<Share> shares;
  };
  for (const Case& c : {
           Case{"70%exp:20s,25%fixed:2m,5%forever",
                {{"exp:20s", Duration(20000), 0.70, true},
                 {"fixed:2m", Duration(120000), 0.25},
                 {"forever", kForever, 0.05}}},
           Case{"5%forever,70%exp:20s,25%fixed:2m",
                {{"exp:20s", Duration(20000), 0.70, true},
                 {"fixed:2m", Duration(120000), 0.25},
                 {"forever", kForever, 0.05}}},
           Case{"50%forever,50%fixed:1s",
                {{"forever", kForever, 0.5}, {"fixed:1s", Duration(1000), 0.5}}},
           Case{"33.33%fixed:1s,33.33%fixed:2s,33.34%fixed:3s",
                {{"fixed:1s", Duration(1000), 0.3333},
                 {"fixed:2s", Duration(2000), 0.3333},
                 {"fixed:3s", Duration(3000), 0.3334}}},
           Case{"99%exp:1m,1%forever",
                {{"exp:1m", Duration(60000), 0.99, true}, {"forever", kForever, 0.01}}},
           Case{"0.5%fixed:1s,99.5%fixed:2s",
                {{"fixed:1s", Duration(1000), 0.005}, {"fixed:2s", Duration(2000), 0.995}}},
       }) {
    ParseResult<SessionLifetime> parsed = SessionLifetime::Parse(c.text);
    ASSERT_TRUE(parsed.ok()) << parsed.error();
    std::mt19937_64 random(2024);
    std::map<Duration, int> drawn;  // by Share::lifetime
    double exponential_total = 0;
    Duration exponential_mean{0};
    for (const Share& share : c.shares)
      if (share.exponential) exponential_mean = share.lifetime;
    for (int i = 0; i < kSamples; ++i) {
      std::optional<Duration> lifetime = parsed.value().Sample(random);
      if (!lifetime) {
        ++drawn[kForever];
      } else if (std::any_of(c.shares.begin(), c.shares.end(), [&](const Share& share) {
                   return !share.exponential && share.lifetime == *lifetime;
                 })) {
        ++drawn[*lifetime];
      } else {
        ASSERT_NE(exponential_mean.count(), 0)
            << c.text << ": drew " << lifetime->count() << " ms, which no part gives";
        ++drawn[exponential_mean];
        exponential_total += static_cast<double>(lifetime->count());
      }
    }
    for (const Share& share : c.shares) {
      double fraction = static_cast<double>(drawn[share.lifetime]) / kSamples;
      double tolerance = 5 * std::sqrt(share.fraction * (1 - share.fraction) / kSamples);
      EXPECT_NEAR(fraction, share.fraction, tolerance)
          << c.text << ": part " << share.part << " got the wrong share of new sessions";
      if (share.exponential) {
        double mean = exponential_total / drawn[share.lifetime];
        // The standard error of the mean is mean/sqrt(n): under 0.4% here.
        EXPECT_NEAR(mean, static_cast<double>(share.lifetime.count()),
                    share.lifetime.count() * 0.02)
            << c.text << ": part " << share.part << " lost its mean";
      }
    }
  }
}

// Two exponential parts cannot be told apart draw by draw; their weighted mean and tail
// can: 80%exp:10s,20%exp:60s has mean 0.8*10+0.2*60 = 20 s, and
// 0.8*e^-6 + 0.2*e^-1 = 7.56% of its sessions outlive a minute (an even split: 18.5%).
TEST(SessionLifetime, MixOfExponentialsHasTheWeightedMeanAndTail) {
  ParseResult<SessionLifetime> parsed = SessionLifetime::Parse("80%exp:10s,20%exp:60s");
  ASSERT_TRUE(parsed.ok()) << parsed.error();
  std::mt19937_64 random(99);
  constexpr int kSamples = 100000;
  double total = 0;
  int longer_than_a_minute = 0;
  for (int i = 0; i < kSamples; ++i) {
    Duration sample = *parsed.value().Sample(random);
    total += static_cast<double>(sample.count());
    if (sample > Duration(60000)) ++longer_than_a_minute;
  }
  EXPECT_NEAR(total / kSamples, 20000, 20000 * 0.02);
  EXPECT_NEAR(static_cast<double>(longer_than_a_minute) / kSamples,
              0.8 * std::exp(-6.0) + 0.2 * std::exp(-1.0), 0.005);
}

}  // namespace
}  // namespace cutover::traffic
