#include "common/duration.h"

#include <gtest/gtest.h>

namespace cutover {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, ReadsPrometheusStyleDurations) {
  EXPECT_EQ(ParseDuration("250ms"), milliseconds(250));
  EXPECT_EQ(ParseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(ParseDuration("1m30s"), milliseconds(90000));
  EXPECT_EQ(ParseDuration("2h"), milliseconds(7200000));
  EXPECT_EQ(ParseDuration("1d"), milliseconds(86400000));
  EXPECT_EQ(ParseDuration("1h1m1s1ms"), milliseconds(3661001));
}

TEST(ParseDuration, RefusesWhatPrometheusRefuses) {
  for (const char* bad : {"", "5", "s", "-5s", "5 s", "1s1m", "5sec", "1.5s", "5s5s", "ms"})
    EXPECT_FALSE(ParseDuration(bad).has_value()) << bad;
}

TEST(FormatDuration, WritesTheShortestSpelling) {
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(milliseconds(1500)), "1s500ms");
  EXPECT_EQ(FormatDuration(milliseconds(90000)), "1m30s");
  EXPECT_EQ(FormatDuration(milliseconds(86400000 * 8LL)), "8d");
}

}  // namespace
}  // namespace cutover
