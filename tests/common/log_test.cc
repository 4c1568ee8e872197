#include "common/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/strings.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string LoggedLine(std::string_view value) {
  ::testing::internal::CaptureStderr();
  log::Warn("alert received", {{"alertname", value}});
  return ::testing::internal::GetCapturedStderr();
}

// An alert label is outside input: a CR would let it forge a second log line in a
// terminal, ESC would drive the terminal, NUL would cut the line for C tools.
TEST(Log, ControlCharactersInValuesAreQuotedAndEscaped) {
  std::string value = std::string("a\rb\x1b[2Jc\nd\te") + '\0' + "f\x7f";
  std::string line = LoggedLine(value);
  EXPECT_THAT(line, HasSubstr(R"(alertname="a\rb\u001b[2Jc\nd\te\u0000f\u007f")")) << line;
  ASSERT_FALSE(line.empty());
  std::string_view body(line.data(), line.size() - 1);
  for (char c : body)
    EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
        << "raw control byte " << static_cast<int>(c) << " in: " << line;
  EXPECT_EQ(line.back(), '\n');
}

TEST(Log, PlainValuesStayBareAndQuotesAreEscaped) {
  EXPECT_THAT(LoggedLine("HighLoad"), HasSubstr(" alertname=HighLoad\n"));
  EXPECT_THAT(LoggedLine("say \"hi\"\\"), HasSubstr(R"( alertname="say \"hi\"\\")"));
  EXPECT_THAT(LoggedLine(""), HasSubstr(R"( alertname="")"));
}

TEST(Log, InvalidUtf8IsReplacedSoTheLineStaysText) {
  std::string line = LoggedLine("v\xff\xfe");
  EXPECT_TRUE(IsValidUtf8(line)) << line;
  EXPECT_THAT(line, HasSubstr("alertname=\"v\xef\xbf\xbd\xef\xbf\xbd\""));
  EXPECT_THAT(LoggedLine("caf\xc3\xa9"), HasSubstr(" alertname=caf\xc3\xa9\n"));
}

}  // namespace
}  // namespace cutover
