#include "plugins/exec/exec_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>

#include "common/strings.h"
#include "plugins/exec/exec_driver_config.h"
#include "plugins/transport/command_transport.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kRoles = {"active", "standby", "down"};

TEST(ExecProbeReply, ReadsEveryField) {
  MemberStatus s = ParseExecProbeReply(
      R"({"up":true,"connections":42,"version":"7.2","role":"standby",
          "sync":{"ok":false,"state":"resyncing","lost_messages":3,"external_cache_entries":40},
          "accepting_new_connections":false,"config_digest":"d1","future_field":[1,2]})",
      kRoles);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.connections, 42);
  EXPECT_EQ(s.version, "7.2");
  EXPECT_EQ(s.role, "standby");
  EXPECT_EQ(s.sync.ok, false);
  EXPECT_EQ(s.sync.state, "resyncing");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kLostMessages), 3);
  EXPECT_EQ(s.sync.values.at(SyncMetric::kExternalCacheEntries), 40);
  EXPECT_EQ(s.accepting_new_connections, false);
  EXPECT_EQ(s.config_digest, "d1");
}

TEST(ExecProbeReply, GarbageMakesTheMemberDownWithTheReason) {
  struct Case {
    const char* reply;
    const char* reason;
  } cases[] = {
      {"", "invalid JSON at byte offset 0"},
      {"{\"up\":tru", "invalid JSON"},
      {"[1]", "must print one JSON object"},
      {"{\"connections\":1}", "\"up\" must be true or false"},
      {"{\"up\":true,\"connections\":\"many\"}", "\"connections\" must be a number >= 0"},
      {"{\"up\":true,\"connections\":-1}", "\"connections\" must be a number >= 0"},
      {"{\"up\":true,\"role\":\"primary\"}",
       "role \"primary\" is not one of active, standby, down"},
      {"{\"up\":true,\"sync\":{\"lost_messages\":\"x\"}}",
       "\"sync.lost_messages\" must be a number"},
  };
  for (const auto& c : cases) {
    MemberStatus s = ParseExecProbeReply(c.reply, kRoles);
    EXPECT_FALSE(s.up) << c.reply;
    EXPECT_THAT(s.error, HasSubstr(c.reason)) << c.reply;
  }
}

TEST(ExecProbeReply, AMemberTheProgramCallsDownCarriesItsError) {
  MemberStatus s = ParseExecProbeReply(R"({"up":false,"error":"API said 503"})", kRoles);
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.error, "API said 503");
}

class ExecDriverTest : public ::testing::Test {
 protected:
  std::unique_ptr<Driver> Make(const std::string& script,
                               Duration timeout = std::chrono::seconds(5)) {
    std::string program = dir_.Write("member", "#!/bin/sh\n" + script, 0755);
    MemberConfig member;
    member.cluster = "edge";
    member.name = "fw1";
    member.address = "10.0.0.1";
    member.settings.Set("program", program);
    member.settings.Set("args", std::vector<std::string>{"--site", "lab"});
    member.settings.Set("timeout", timeout);
    SharedResources shared;
    DriverContext context{shared};
    return ExecDriverDescriptor().create(member, context);
  }
  ProbeContext Soon() {
    auto now = std::chrono::steady_clock::now();
    return {now + std::chrono::seconds(5), now};
  }
  testing::TempDir dir_;
};

TEST_F(ExecDriverTest, ProbeSendsTheMemberAndArgumentsAndReadsTheReply) {
  auto driver = Make("cat > " + dir_.File("request") + "\necho \"$@\" > " + dir_.File("args") +
                     "\necho '{\"up\":true,\"connections\":5,\"role\":\"active\"}'\n");
  MemberStatus s = driver->Probe(Soon());
  EXPECT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.connections, 5);
  std::string request = testing::ReadFile(dir_.File("request"));
  EXPECT_THAT(request, HasSubstr("\"operation\":\"probe\""));
  EXPECT_THAT(request, HasSubstr("\"cluster\":\"edge\""));
  EXPECT_THAT(request, HasSubstr("\"name\":\"fw1\",\"address\":\"10.0.0.1\""));
  EXPECT_EQ(testing::ReadFile(dir_.File("args")), "--site lab\n");
}

TEST_F(ExecDriverTest, ParametersReachTheProgramAsJsonNeverThroughAShell) {
  auto driver =
      Make("cat > " + dir_.File("request") + "\necho '{\"ok\":true,\"output\":\"moved\"}'\n");
  std::string hostile = "50; touch " + dir_.File("pwned") + " $(touch " + dir_.File("pwned2") + ")";
  ActionResult r = driver->Perform({Action::kSetPriority, {{"priority", hostile}}});
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.output, "moved");
  EXPECT_THAT(testing::ReadFile(dir_.File("request")),
              HasSubstr("\"action\":\"set_priority\",\"params\":{\"priority\":\"50; touch "));
  struct stat st;
  EXPECT_NE(stat(dir_.File("pwned").c_str(), &st), 0);
  EXPECT_NE(stat(dir_.File("pwned2").c_str(), &st), 0);
}

TEST_F(ExecDriverTest, AFailingProgramGivesItsExitStatusAndStderr) {
  auto driver = Make("echo 'cannot reach API' >&2\nexit 4\n");
  MemberStatus s = driver->Probe(Soon());
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("exited with status 4: cannot reach API"));
  ActionResult r = driver->Perform({Action::kConnect, {}});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("exited with status 4"));
}

TEST_F(ExecDriverTest, AHangingProgramIsKilledAtTheTimeout) {
  auto driver = Make("sleep 30\n", std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  MemberStatus s = driver->Probe(Soon());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("timed out"));
}

TEST_F(ExecDriverTest, AProgramReportingFailureFailsTheAction) {
  auto driver = Make("cat >/dev/null\necho '{\"ok\":false,\"error\":\"no such member\"}'\n");
  ActionResult r = driver->Perform({Action::kDisconnect, {}});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "no such member");
}

// A rehearsal names the program call a run makes: the program records each call's
// arguments and stdin, and the rehearsal's line must be that call, while the rehearsal
// itself never starts the program.
class ExecDescribeTest : public ExecDriverTest {
 protected:
  ExecDescribeTest() {
    driver_ = Make("printf '%s\\n' \"$0\" \"$@\" > " + dir_.File("argv") + "\ncat > " +
                   dir_.File("stdin") + "\necho '{\"ok\":true}'\n");
  }
  std::vector<std::string> Described(const ActionRequest& request) {
    std::vector<std::string> lines = driver_->Describe(request);
    struct stat st;
    EXPECT_NE(stat(dir_.File("stdin").c_str(), &st), 0)
        << "describing " << ActionName(request.action) << " started the program";
    return lines;
  }
  // The call Perform made, written as a rehearsal writes it.
  std::vector<std::string> Performed(const ActionRequest& request) {
    ActionResult result = driver_->Perform(request);
    EXPECT_TRUE(result.ok) << ActionName(request.action) << ": " << result.error;
    std::string recorded_argv = testing::ReadFile(dir_.File("argv"));
    std::vector<std::string> argv;
    for (std::string_view word : SplitLines(recorded_argv)) argv.emplace_back(word);
    std::string stdin_data = testing::ReadFile(dir_.File("stdin"));
    std::remove(dir_.File("argv").c_str());
    std::remove(dir_.File("stdin").c_str());
    return {"local: " + ShellLine(argv) + ", stdin " + std::string(Trim(stdin_data))};
  }
  std::unique_ptr<Driver> driver_;
};

TEST_F(ExecDescribeTest, DescribeOfSetPriorityNamesTheProgramCallWithItsRequest) {
  std::vector<std::string> lines = Described({Action::kSetPriority, {{"priority", "50"}}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "local: " + dir_.File("member") +
                          " --site lab, stdin {\"protocol\":1,\"operation\":\"perform\","
                          "\"cluster\":\"edge\",\"member\":{\"name\":\"fw1\",\"address\":"
                          "\"10.0.0.1\"},\"action\":\"set_priority\",\"params\":{\"priority\":"
                          "\"50\"}}");
}

TEST_F(ExecDescribeTest, DescribeOfEachActionNamesExactlyTheCallItMakes) {
  for (Action action : ExecDriverDescriptor().actions) {
    ActionRequest request{action, {}};
    if (action == Action::kSetPriority) request.params = {{"priority", "50; touch pwned"}};
    if (action == Action::kUpgrade) request.params = {{"version", "7.3"}};
    if (action == Action::kRun) request.params = {{"command", "show \"state\"\n"}};
    std::vector<std::string> described = Described(request);
    EXPECT_EQ(described, Performed(request))
        << "the rehearsal of " << ActionName(action) << " differs from the call it makes";
  }
}

// A program printing JSON nested a million deep crashed the exporter: the reply was
// parsed recursively. Now the member is down, and the reason names the limit.
TEST_F(ExecDriverTest, AReplyNestedAMillionDeepMakesTheMemberDownNamingTheLimit) {
  auto driver = Make(
      "cat >/dev/null\nprintf '{\"up\":true,\"sync\":'\n"
      "head -c 1000000 /dev/zero | tr '\\0' '['\nhead -c 1000000 /dev/zero | tr '\\0' ']'\n"
      "echo '}'\n");
  MemberStatus s = driver->Probe(Soon());
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("JSON nested deeper than 64 levels"));
  ActionResult r = driver->Perform({Action::kConnect, {}});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("JSON nested deeper than 64 levels"));
}

// The reply is operator-written code's output: a repeated key must not pick a value.
TEST(ExecProbeReply, ARepeatedKeyOrANulMakesTheMemberDown) {
  MemberStatus twice = ParseExecProbeReply(R"({"up":false,"up":true})", kRoles);
  EXPECT_FALSE(twice.up);
  EXPECT_THAT(twice.error, HasSubstr("key \"up\" given twice"));
  MemberStatus nul = ParseExecProbeReply(R"({"up":true,"role":"active\u0000standby"})", kRoles);
  EXPECT_FALSE(nul.up);
  EXPECT_THAT(nul.error, HasSubstr("NUL character"));
}

TEST(ExecDriverConfig, RefusesAProgramThatIsNotExecutable) {
  testing::TempDir dir;
  MemberConfig member;
  member.settings.Set("program", dir.Write("not-a-program", "text", 0644));
  member.settings.Set("args", std::vector<std::string>{});
  member.settings.Set("timeout", Duration(1000));
  SharedResources shared;
  DriverContext context{shared};
  EXPECT_THROW(ExecDriverDescriptor().create(member, context), std::runtime_error);
}

// Output beyond the limit was cut silently and the rest parsed as the reply; the cut is
// now the reason the member is down, whatever the cut-off text would have parsed as.
TEST_F(ExecDriverTest, OutputBeyondTheLimitMakesTheMemberDownNamingTheLimit) {
  auto driver = Make(
      "cat >/dev/null\nprintf '{\"up\":true,\"version\":\"'\n"
      "head -c 5000000 /dev/zero | tr '\\0' 'a'\necho '\"}'\n");
  MemberStatus s = driver->Probe(Soon());
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("printed more than 4194304 bytes on stdout")) << s.error;
  ActionResult r = driver->Perform({Action::kConnect, {}});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("printed more than 4194304 bytes on stdout")) << r.error;
}

}  // namespace
}  // namespace cutover
