// The probe's one-round-trip script, run by a real /bin/sh: sections come back intact
// whatever the commands print, and a cut-short answer is an error, not a partial probe.
#include "plugins/transport/probe_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/process.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

std::string RunScript(const std::string& script) {
  ProcessOptions options;
  options.timeout = std::chrono::seconds(10);
  ProcessResult result = RunProcess({"sh", "-c", script}, options);
  EXPECT_EQ(result.exit_status, 0) << result.err;
  return result.out;
}

TEST(ProbeScriptTest, EachSectionKeepsItsOutputAndExitStatus) {
  std::string script = BuildProbeScript({{"count", "echo 406"},
                                         {"no_newline", "printf 'no newline'"},
                                         {"empty", "true"},
                                         {"failing", "echo 'oops' >&2; exit 3"},
                                         {"blank_lines", "printf 'a\\n\\nb\\n\\n'"}},
                                        {});
  auto sections = SplitProbeOutput(RunScript(script),
                                   {"count", "no_newline", "empty", "failing", "blank_lines"});
  ASSERT_TRUE(sections.ok()) << sections.error();
  const auto& s = sections.value();
  EXPECT_EQ(s.at("count").output, "406\n");
  EXPECT_EQ(s.at("count").exit_status, 0);
  EXPECT_EQ(s.at("no_newline").output, "no newline");
  EXPECT_EQ(s.at("empty").output, "");
  EXPECT_EQ(s.at("failing").output, "oops\n");
  EXPECT_EQ(s.at("failing").exit_status, 3);
  EXPECT_EQ(s.at("blank_lines").output, "a\n\nb\n\n");
}

TEST(ProbeScriptTest, EnvironmentValuesAreQuotedNotInterpreted) {
  std::string script = BuildProbeScript({{"show", "printf '%s' \"$SOME_FILE\""}},
                                        {{"SOME_FILE", "/tmp/x'; echo INJECTED; '$(id)"}});
  auto sections = SplitProbeOutput(RunScript(script), {"show"});
  ASSERT_TRUE(sections.ok()) << sections.error();
  EXPECT_EQ(sections.value().at("show").output, "/tmp/x'; echo INJECTED; '$(id)");
}

TEST(ProbeScriptTest, ACommandWithASyntaxErrorFailsOnlyItsOwnSection) {
  std::string script =
      BuildProbeScript({{"broken", "echo 'unterminated"}, {"after", "echo fine"}}, {});
  auto sections = SplitProbeOutput(RunScript(script), {"broken", "after"});
  ASSERT_TRUE(sections.ok()) << sections.error();
  EXPECT_NE(sections.value().at("broken").exit_status, 0);
  EXPECT_EQ(sections.value().at("after").output, "fine\n");
}

TEST(ProbeScriptTest, CommandsDoNotReadTheTransportsInput) {
  std::string script = BuildProbeScript({{"reader", "cat"}, {"after", "echo fine"}}, {});
  ProcessOptions options;
  options.timeout = std::chrono::seconds(10);
  options.stdin_data = "@@cutover-end after 0\n";
  ProcessResult result = RunProcess({"sh", "-c", script}, options);
  auto sections = SplitProbeOutput(result.out, {"reader", "after"});
  ASSERT_TRUE(sections.ok()) << sections.error();
  EXPECT_EQ(sections.value().at("reader").output, "");
  EXPECT_EQ(sections.value().at("after").output, "fine\n");
}

TEST(ProbeScriptTest, AnAnswerCutShortNamesTheUnfinishedSection) {
  std::string full = RunScript(BuildProbeScript({{"one", "echo 1"}, {"two", "echo 2"}}, {}));
  std::string cut = full.substr(0, full.find("@@cutover-end two"));
  auto sections = SplitProbeOutput(cut, {"one", "two"});
  ASSERT_FALSE(sections.ok());
  EXPECT_THAT(sections.error(), HasSubstr("'two'"));

  auto nothing = SplitProbeOutput("", {"one"});
  ASSERT_FALSE(nothing.ok());
  EXPECT_THAT(nothing.error(), HasSubstr("'one'"));
}

TEST(ProbeScriptTest, AMismatchedEndMarkerIsAnError) {
  auto sections = SplitProbeOutput("@@cutover-begin one\n1\n@@cutover-end two 0\n", {"one"});
  ASSERT_FALSE(sections.ok());
  EXPECT_THAT(sections.error(), HasSubstr("malformed end marker"));
}

}  // namespace
}  // namespace cutover
