#include "plugins/transport/command_transport.h"

#include <gtest/gtest.h>

#include "common/process.h"

namespace cutover {
namespace {

// Words an attacker-controlled member name or parameter could contain.
const std::vector<std::string> kHostileWords = {
    "plain",
    "",
    "two words",
    "it's",
    "say \"hi\"",
    "$(touch /tmp/pwned)",
    "`id`",
    "a;b",
    "a|b",
    "a&&b",
    "line1\nline2",
    "$HOME",
    "*",
    "back\\slash",
    "'",
    "''",
    "-n",
    "tab\there",
};

TEST(ShellQuote, WrapsPlainWordsInSingleQuotes) {
  EXPECT_EQ(ShellQuote("abc"), "'abc'");
  EXPECT_EQ(ShellQuote(""), "''");
  EXPECT_EQ(ShellQuote("$(id)"), "'$(id)'");
}

TEST(ShellQuote, EndsQuotingAroundAnEscapedSingleQuote) {
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(ShellQuote("'"), "''\\'''");
}

TEST(ShellJoin, QuotesEveryWordSeparately) {
  EXPECT_EQ(ShellJoin({"cphaprob", "-a", "if"}), "'cphaprob' '-a' 'if'");
  EXPECT_EQ(ShellJoin({"echo", "a b"}), "'echo' 'a b'");
  EXPECT_EQ(ShellJoin({}), "");
}

// The property the SSH transport relies on: a POSIX shell turns ShellJoin(argv) back
// into exactly argv, whatever the words contain.
TEST(ShellJoin, PosixShellSplitsItBackIntoTheSameWords) {
  std::vector<std::string> argv = {"printf", "%s\\n"};
  argv.insert(argv.end(), kHostileWords.begin(), kHostileWords.end());
  ProcessResult shell = RunProcess({"/bin/sh", "-c", ShellJoin(argv)}, {});
  ASSERT_TRUE(shell.started) << shell.error;
  ASSERT_EQ(shell.exit_status, 0) << shell.err;
  std::string expected;
  for (const auto& word : kHostileWords) expected += word + "\n";
  EXPECT_EQ(shell.out, expected);
}

TEST(CommandResultDescribe, NamesTheTransportErrorOrTheExitStatusAndFirstStderrLine) {
  CommandResult failed;
  failed.error = "ssh root@fw1:22: host key unknown";
  EXPECT_EQ(failed.Describe(), "ssh root@fw1:22: host key unknown");

  CommandResult exited;
  exited.completed = true;
  exited.exit_status = 2;
  exited.err = "\ncphaprob: not found\nmore\n";
  EXPECT_EQ(exited.Describe(), "exit status 2: cphaprob: not found");
}

}  // namespace
}  // namespace cutover
