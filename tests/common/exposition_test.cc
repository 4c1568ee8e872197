#include "common/exposition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace cutover {
namespace {

TEST(ExpositionWriter, WritesHelpTypeAndSamples) {
  ExpositionWriter out;
  out.Family("cutover_member_up", "1 if up.\nSecond line \\ here", "gauge");
  out.MemberSample("cutover_member_up", "edge", "fw1", 1);
  out.MemberSample("cutover_member_up", "edge", "fw2", 0, {"role", "active"});
  EXPECT_EQ(out.text(),
            "# HELP cutover_member_up 1 if up.\\nSecond line \\\\ here\n"
            "# TYPE cutover_member_up gauge\n"
            "cutover_member_up{ha_cluster=\"edge\",member=\"fw1\"} 1\n"
            "cutover_member_up{ha_cluster=\"edge\",member=\"fw2\",role=\"active\"} 0\n");
}

// Versions and digests come from members' own output: quotes, backslashes and newlines in
// them must not break the exposition.
TEST(ExpositionWriter, EscapesLabelValues) {
  ExpositionWriter out;
  out.Sample("m", {{"version", "R81.10 \"Take 335\"\\x\nnext"}}, 1);
  EXPECT_EQ(out.text(), "m{version=\"R81.10 \\\"Take 335\\\"\\\\x\\nnext\"} 1\n");
}

TEST(ExpositionWriter, WritesSpecialAndFractionalValues) {
  ExpositionWriter out;
  out.Sample("a", {}, std::numeric_limits<double>::quiet_NaN());
  out.Sample("b", {}, std::numeric_limits<double>::infinity());
  out.Sample("c", {}, -std::numeric_limits<double>::infinity());
  out.Sample("d", {}, 0.0125);
  out.Sample("e", {}, 1234567890123.0);
  EXPECT_EQ(out.text(), "a NaN\nb +Inf\nc -Inf\nd 0.0125\ne 1234567890123\n");
}

// Prometheus refuses the whole scrape on one label value that is not UTF-8, so every
// member of every cluster would vanish because one member printed a stray byte.
TEST(ExpositionWriter, LabelValuesAreAlwaysValidUtf8) {
  ExpositionWriter out;
  out.Family("m", "help with a bad byte \xff", "gauge");
  out.MemberSample("m", "edge", "fw\xc3", 1, {"version", "2.4\xff\xfe"});
  EXPECT_EQ(out.text(),
            "# HELP m help with a bad byte \xef\xbf\xbd\n# TYPE m gauge\n"
            "m{ha_cluster=\"edge\",member=\"fw\xef\xbf\xbd\",version=\"2.4\xef\xbf\xbd\xef\xbf\xbd\"} "
            "1\n");
}

}  // namespace
}  // namespace cutover
