#include "common/strings.h"

#include <gtest/gtest.h>

#include <cmath>

namespace cutover {
namespace {

TEST(Strings, SplitLinesKeepsEmptyLinesAndDropsCarriageReturns) {
  auto lines = SplitLines("a\r\n\nb\n");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "a");
  EXPECT_EQ(lines[1], "");
  EXPECT_EQ(lines[2], "b");
}

TEST(Strings, SplitFieldsFoldsRunsOfBlanks) {
  auto fields = SplitFields("  1 (local)\t 10.0.0.1   100%  ");
  ASSERT_EQ(fields.size(), 4u);
  EXPECT_EQ(fields[1], "(local)");
  EXPECT_EQ(fields[3], "100%");
}

TEST(Strings, ParseUintIsStrict) {
  EXPECT_EQ(ParseUint("742"), 742u);
  EXPECT_FALSE(ParseUint("").has_value());
  EXPECT_FALSE(ParseUint("-1").has_value());
  EXPECT_FALSE(ParseUint("12a").has_value());
  EXPECT_FALSE(ParseUint(" 1").has_value());
}

TEST(Strings, ParseDoubleReadsPrometheusSpecialValues) {
  EXPECT_TRUE(std::isnan(*ParseDouble("NaN")));
  EXPECT_TRUE(std::isinf(*ParseDouble("+Inf")));
  EXPECT_LT(*ParseDouble("-Inf"), 0);
  EXPECT_DOUBLE_EQ(*ParseDouble("0.25"), 0.25);
  EXPECT_FALSE(ParseDouble("abc").has_value());
}

TEST(Strings, DigestChangesWithContentAndIsStable) {
  EXPECT_EQ(Fnv1aHex("table inet filter"), Fnv1aHex("table inet filter"));
  EXPECT_NE(Fnv1aHex("table inet filter"), Fnv1aHex("table inet filter "));
  EXPECT_EQ(Fnv1aHex("").size(), 16u);
}

TEST(Strings, IsValidUtf8FollowsRfc3629) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("R81.10 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("2.4\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
}

TEST(Strings, ReplaceInvalidUtf8ReplacesEachBadByte) {
  EXPECT_EQ(ReplaceInvalidUtf8("2.4\xff\xfe"), "2.4\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(ReplaceInvalidUtf8("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(ReplaceInvalidUtf8("a\xe2\x82"), "a\xef\xbf\xbd\xef\xbf\xbd");
}

}  // namespace
}  // namespace cutover
