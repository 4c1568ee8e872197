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

TEST(ShellLine, LeavesWordsAShellReadsAsThemselvesUnquoted) {
  EXPECT_EQ(ShellLine({"conntrackd", "-C", "/etc/conntrackd/conntrackd.conf", "-c"}),
            "conntrackd -C /etc/conntrackd/conntrackd.conf -c");
  EXPECT_EQ(ShellLine({"vtysh", "-c", "configure terminal", "-c", "end"}),
            "vtysh -c 'configure terminal' -c end");
  EXPECT_EQ(ShellLine({"apt-get", "install", "keepalived=1:2.2.8-1+deb12u1", "", "~", "#x"}),
            "apt-get install 'keepalived=1:2.2.8-1+deb12u1' '' '~' '#x'");
  EXPECT_EQ(ShellLine({}), "");
}

// A rehearsal's line is only true if it is the same command: the shell must read it back
// as exactly the words that would be sent.
TEST(ShellLine, PosixShellSplitsItBackIntoTheSameWords) {
  std::vector<std::string> argv = {"printf", "%s\\n"};
  argv.insert(argv.end(), kHostileWords.begin(), kHostileWords.end());
  for (std::string word : {"a=b", "~root", "#comment", "x,y", "user@host:22", "100%", "-1+2"})
    argv.push_back(word);
  ProcessResult shell = RunProcess({"/bin/sh", "-c", ShellLine(argv)}, {});
  ASSERT_TRUE(shell.started) << shell.error;
  ASSERT_EQ(shell.exit_status, 0) << shell.err;
  std::string expected;
  for (std::size_t i = 2; i < argv.size(); ++i) expected += argv[i] + "\n";
  EXPECT_EQ(shell.out, expected);
}

class NamedTransport : public CommandTransport {
 public:
  CommandResult Run(const std::vector<std::string>&, Duration) override {
    ADD_FAILURE() << "DescribePlan must not run anything";
    return {};
  }
  std::string Target() const override { return "ssh root@10.0.0.1:22"; }
};

TEST(DescribePlan, SaysWhereEachCommandGoesOrWhyNothingWouldBeSent) {
  NamedTransport transport;
  CommandPlan plan{
      {{"commit_sync", {"conntrackd", "-c"}, {}}, {"resync", {"conntrackd", "-n"}, {}}}, {}};
  EXPECT_EQ(DescribePlan(transport, plan),
            (std::vector<std::string>{"ssh root@10.0.0.1:22: conntrackd -c",
                                      "ssh root@10.0.0.1:22: conntrackd -n"}));
  EXPECT_EQ(DescribePlan(transport, CommandPlan::Refused("upgrade: upgrade_command is empty")),
            (std::vector<std::string>{"nothing would be sent: upgrade: upgrade_command is empty"}));
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
