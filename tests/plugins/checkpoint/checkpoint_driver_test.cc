#include "plugins/checkpoint/checkpoint_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>

#include "common/strings.h"
#include "plugins/checkpoint/checkpoint_driver_config.h"
#include "plugins/core/cluster_config.h"
#include "plugins/core/registry.h"
#include "tests/plugins/checkpoint/checkpoint_fixtures.h"

namespace cutover {
namespace {

using testing::CheckpointFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// Records each command and answers with the next scripted result.
class FakeTransport : public CommandTransport {
 public:
  struct Call {
    std::vector<std::string> argv;
    Duration timeout;
  };
  CommandResult Run(const std::vector<std::string>& argv, Duration timeout) override {
    calls.push_back({argv, timeout});
    if (answers.empty()) return Exited(0, "");
    CommandResult next = answers.front();
    answers.pop_front();
    return next;
  }
  std::string Target() const override { return "ssh admin@gw-east-a:22"; }

  static CommandResult Exited(int status, std::string out, std::string err = {}) {
    CommandResult r;
    r.completed = true;
    r.exit_status = status;
    r.out = std::move(out);
    r.err = std::move(err);
    return r;
  }

  std::vector<Call> calls;
  std::deque<CommandResult> answers;
};

// What the probe script prints for one command: its output framed by markers, the way
// the script's cutover_section function frames it.
std::string Section(const std::string& name, const std::string& out, int status = 0) {
  return "@@cutover-begin " + name + "\n" + out + "\n@@cutover-end " + name + " " +
         std::to_string(status) + "\n";
}
std::string ErrSection(const std::string& name, const std::string& err) {
  return "@@cutover-begin " + name + "\n" + err + "\n@@cutover-end " + name + "\n";
}

// The sections a healthy active R81.10 member prints, each replaceable by a test.
struct ProbeOutput {
  std::string state = Section("state", CheckpointFixture("cphaprob_state.r80_40_style.txt"));
  std::string syncstat =
      Section("syncstat", CheckpointFixture("cphaprob_syncstat.r80_20_style.txt"));
  std::string pstat;
  std::string connections = Section("connections", CheckpointFixture("fw_tab_connections_s.txt"));
  std::string version = Section("version", CheckpointFixture("fw_ver.txt"));
  std::string digest = Section("digest", CheckpointFixture("fw_stat.txt"));
  std::string err;

  CommandResult Result() const {
    return FakeTransport::Exited(0, state + syncstat + pstat + connections + version + digest, err);
  }
};

class CheckpointDriverTest : public ::testing::Test {
 protected:
  CheckpointDriver& Driver(CheckpointSettings settings = {}) {
    auto transport = std::make_unique<FakeTransport>();
    transport_ = transport.get();
    driver_ = std::make_unique<CheckpointDriver>(std::move(settings), std::move(transport));
    return *driver_;
  }
  MemberStatus ProbeWith(const ProbeOutput& output) {
    if (!driver_) Driver();
    transport_->answers.push_back(output.Result());
    return driver_->Probe(Context());
  }
  static ProbeContext Context() {
    auto now = std::chrono::steady_clock::now();
    return {now + std::chrono::seconds(8), now};
  }

  FakeTransport* transport_ = nullptr;
  std::unique_ptr<CheckpointDriver> driver_;
};

// --- probe ------------------------------------------------------------------------------

TEST_F(CheckpointDriverTest, ProbeIsOneShellRoundTripRunningEveryCommand) {
  ProbeWith(ProbeOutput{});
  ASSERT_EQ(transport_->calls.size(), 1u) << "a probe must cost one SSH round trip";
  const std::vector<std::string>& argv = transport_->calls[0].argv;
  EXPECT_EQ(argv, driver_->ProbeCommand());
  ASSERT_EQ(argv.size(), 3u);
  EXPECT_EQ(argv[0], "sh");
  EXPECT_EQ(argv[1], "-c");
  for (const char* command : {"cphaprob state", "cphaprob syncstat", "fw ctl pstat",
                              "fw tab -t connections -s", "fw ver", "sh -c 'fw stat'"})
    EXPECT_THAT(argv[2], HasSubstr(command));
  EXPECT_LE(transport_->calls[0].timeout, std::chrono::seconds(8));
  EXPECT_GT(transport_->calls[0].timeout, std::chrono::seconds(7))
      << "the probe may use the time left before the deadline";
}

TEST_F(CheckpointDriverTest, HealthyActiveMemberReportsEveryField) {
  MemberStatus s = ProbeWith(ProbeOutput{});
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.role, "active");
  EXPECT_EQ(s.connections, 742);
  EXPECT_EQ(s.version, "R81.10");
  EXPECT_EQ(s.sync.ok, true);
  EXPECT_EQ(s.sync.state, "OK");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kLostMessages), 0);
  EXPECT_EQ(s.sync.values.at(SyncMetric::kSentMessages), 88412);
  EXPECT_EQ(s.sync.values.at(SyncMetric::kReceivedMessages), 5120);
  EXPECT_EQ(s.sync.values.at(SyncMetric::kRetransmissions), 2) << "2 sent + 0 received requests";
  EXPECT_EQ(s.accepting_new_connections, true);
  EXPECT_EQ(s.config_digest, Fnv1aHex(CheckpointFixture("fw_stat.txt")))
      << "the digest covers exactly what the digest command printed";
}

TEST_F(CheckpointDriverTest, SyncOffDuringConnectivityUpgradeIsReportedWithItsReason) {
  ProbeOutput out;
  out.syncstat = Section("syncstat", CheckpointFixture("cphaprob_syncstat.r81_style.txt"));
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.sync.ok, false);
  EXPECT_EQ(s.sync.state, "Off - Connectivity Upgrade (CU)");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kLostMessages), 14);
}

TEST_F(CheckpointDriverTest, StandbyMemberDoesNotAcceptNewConnections) {
  ProbeOutput out;
  out.state = Section("state", CheckpointFixture("cphaprob_state.r80_40_standby_local.txt"));
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.role, "standby");
  EXPECT_EQ(s.accepting_new_connections, false);
}

TEST_F(CheckpointDriverTest, ActiveWithAProblemIsActiveAttentionAndStillAccepts) {
  for (const char* fixture : {"cphaprob_state.active_paren_bang.txt",
                              "cphaprob_state.load_sharing_5_members_active_bang.txt",
                              "cphaprob_state.title_case_active_attention.txt"}) {
    ProbeOutput out;
    out.state = Section("state", CheckpointFixture(fixture));
    MemberStatus s = ProbeWith(out);
    ASSERT_TRUE(s.up) << fixture << ": " << s.error;
    EXPECT_EQ(s.role, "active_attention") << fixture;
    EXPECT_EQ(s.accepting_new_connections, true) << fixture;
  }
}

TEST_F(CheckpointDriverTest, EveryOtherStateMapsToItsRole) {
  struct Case {
    const char* fixture;
    const char* role;
  } cases[] = {{"cphaprob_state.r80_40_admin_down.txt", "down"},
               {"cphaprob_state.title_case_ready_initializing.txt", "ready"},
               {"cphaprob_state.init_local_peer_lost.txt", "initializing"},
               {"cphaprob_state.load_sharing_3_members_local_row3.txt", "active"},
               {"cphaprob_state.smb_style.txt", "active"},
               {"cphaprob_state.pre_r80_20_style.txt", "active"}};
  for (const Case& c : cases) {
    ProbeOutput out;
    out.state = Section("state", CheckpointFixture(c.fixture));
    MemberStatus s = ProbeWith(out);
    ASSERT_TRUE(s.up) << c.fixture << ": " << s.error;
    EXPECT_EQ(s.role, c.role) << c.fixture;
  }
}

TEST_F(CheckpointDriverTest, ActiveMemberWithNoAssignedLoadDoesNotAcceptNewConnections) {
  std::string state = CheckpointFixture("cphaprob_state.load_sharing_3_members_local_row3.txt");
  state.replace(state.find("34%"), 3, "0% ");
  ProbeOutput out;
  out.state = Section("state", state);
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.role, "active");
  EXPECT_EQ(s.accepting_new_connections, false);
}

TEST_F(CheckpointDriverTest, WithoutCphaprobSyncstatTheSyncSectionOfFwCtlPstatIsRead) {
  ProbeOutput out;
  out.syncstat = Section("syncstat", "", 127);
  out.err = ErrSection("syncstat", "sh: cphaprob: syncstat: not found");
  out.pstat = Section("pstat", CheckpointFixture("fw_ctl_pstat_sync.r80_10_style.txt"));
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.sync.ok, true);
  EXPECT_EQ(s.sync.state, "Able to Send/Receive sync packets");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kSentMessages), 1022771);
  EXPECT_EQ(s.sync.values.at(SyncMetric::kReceivedMessages), 310298);
  EXPECT_EQ(s.sync.values.at(SyncMetric::kRetransmissions), 8) << "3 sent + 5 received requests";
  EXPECT_EQ(s.sync.values.at(SyncMetric::kLostMessages), 0);
}

TEST_F(CheckpointDriverTest, FallbackCountsPacketsDroppedByNetAndOverloadAsLost) {
  ProbeOutput out;
  out.syncstat = Section("syncstat", "", 1);
  out.pstat = Section("pstat", CheckpointFixture("fw_ctl_pstat.full_unable_to_receive.txt"));
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.sync.ok, false);
  EXPECT_EQ(s.sync.state, "Unable to receive sync packets");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kLostMessages), 8) << "7 dropped by net + 1 overload";
}

TEST_F(CheckpointDriverTest, FallbackWithSyncOffReportsOffWithoutFigures) {
  ProbeOutput out;
  out.syncstat = Section("syncstat", "", 1);
  out.pstat = Section("pstat", CheckpointFixture("fw_ctl_pstat.full_sync_off.txt"));
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.sync.ok, false);
  EXPECT_EQ(s.sync.state, "off");
  EXPECT_THAT(s.sync.values, IsEmpty()) << "no counters were printed, none may be invented";
}

TEST_F(CheckpointDriverTest, WhenBothSyncCommandsFailTheMemberIsDownNamingBoth) {
  ProbeOutput out;
  out.syncstat = Section("syncstat", "", 127);
  out.pstat = Section("pstat", "", 1);
  out.err = ErrSection("syncstat", "sh: cphaprob: not found") +
            ErrSection("pstat", "fw: ctl pstat: operation not permitted");
  MemberStatus s = ProbeWith(out);
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("cphaprob syncstat exited with status 127: sh: cphaprob: "
                                 "not found, and fw ctl pstat exited with status 1: fw: ctl "
                                 "pstat: operation not permitted"));
}

TEST_F(CheckpointDriverTest, GarbageInTheStateSectionMakesTheMemberDownWithTheReason) {
  ProbeOutput out;
  out.state = Section("state", "#$%^ garbage ^%$#");
  MemberStatus s = ProbeWith(out);
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.role, "unknown");
  EXPECT_FALSE(s.connections.has_value()) << "a down member reports no numbers";
  EXPECT_THAT(s.error, HasSubstr("ssh admin@gw-east-a:22: cphaprob state: no member table"));
  EXPECT_THAT(s.error, HasSubstr("garbage"));
}

TEST_F(CheckpointDriverTest, GarbageInEachOtherSectionMakesTheMemberDown) {
  struct Case {
    std::string ProbeOutput::*field;
    std::string name;
    std::string expected;
  } cases[] = {{&ProbeOutput::syncstat, "syncstat", "cphaprob syncstat: no 'Sync status:'"},
               {&ProbeOutput::connections, "connections", "fw tab -s: no header line"},
               {&ProbeOutput::version, "version", "fw ver: no '<version> - Build <n>' line"}};
  for (const Case& c : cases) {
    ProbeOutput out;
    out.*c.field = Section(c.name, "garbage");
    MemberStatus s = ProbeWith(out);
    EXPECT_FALSE(s.up) << c.name;
    EXPECT_THAT(s.error, HasSubstr(c.expected));
  }
}

TEST_F(CheckpointDriverTest, StoppedClusterXlMakesTheMemberDownWithWhatCphaprobSaid) {
  ProbeOutput out;
  out.state = Section("state", "HA module not started.", 1);
  MemberStatus s = ProbeWith(out);
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("cphaprob state exited with status 1: HA module not started."));
}

TEST_F(CheckpointDriverTest, MissingSectionMakesTheMemberDown) {
  ProbeOutput out;
  out.version.clear();
  MemberStatus s = ProbeWith(out);
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("fw ver did not run"));
}

TEST_F(CheckpointDriverTest, SshFailureMakesTheMemberDownWithTheTransportError) {
  Driver();
  CommandResult refused;
  refused.error = "connect to 10.40.7.11:22: connection refused";
  transport_->answers.push_back(refused);
  MemberStatus s = driver_->Probe(Context());
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("probe did not complete: connect to 10.40.7.11:22: connection "
                                 "refused"));
}

TEST_F(CheckpointDriverTest, ClishLoginShellIsNamedAsTheLikelyCause) {
  Driver();
  transport_->answers.push_back(
      FakeTransport::Exited(1, "CLINFR0329  Invalid command:'sh -c ...'.\n"));
  MemberStatus s = driver_->Probe(Context());
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error, HasSubstr("must be expert mode (bash), not clish"));
}

TEST_F(CheckpointDriverTest, PassedDeadlineGivesDownWithoutConnecting) {
  Driver();
  auto now = std::chrono::steady_clock::now();
  MemberStatus s = driver_->Probe({now - std::chrono::milliseconds(1), now});
  EXPECT_FALSE(s.up);
  EXPECT_THAT(transport_->calls, IsEmpty());
}

TEST_F(CheckpointDriverTest, FailingDigestCommandLeavesTheDigestUnknownNotMadeUp) {
  ProbeOutput out;
  out.digest = Section("digest", "", 1);
  MemberStatus s = ProbeWith(out);
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.config_digest, "");
}

TEST_F(CheckpointDriverTest, DigestChangesWhenAPolicyIsInstalled) {
  MemberStatus before = ProbeWith(ProbeOutput{});
  ProbeOutput after_install;
  after_install.digest = Section("digest", CheckpointFixture("fw_stat.after_install.txt"));
  MemberStatus after = ProbeWith(after_install);
  EXPECT_NE(before.config_digest, "");
  EXPECT_NE(before.config_digest, after.config_digest);
}

TEST_F(CheckpointDriverTest, SectionsKeepTheCommandOutputExactly) {
  // The script echoes one newline before each end marker; exactly that one is removed.
  ProbeOutput out;
  out.digest = Section("digest", "no trailing newline");
  EXPECT_EQ(ProbeWith(out).config_digest, Fnv1aHex("no trailing newline"));
  out.digest = Section("digest", "two newlines\n\n");
  EXPECT_EQ(ProbeWith(out).config_digest, Fnv1aHex("two newlines\n\n"));
}

TEST_F(CheckpointDriverTest, ConfiguredDigestCommandIsQuotedIntoTheScript) {
  CheckpointSettings settings;
  settings.config_digest_command = "cpstat -f policy fw | grep 'Install time'";
  ProbeOutput out;
  Driver(settings);
  ProbeWith(out);
  EXPECT_THAT(transport_->calls[0].argv[2],
              HasSubstr("sh -c 'cpstat -f policy fw | grep '\\''Install time'\\'''"));
}

TEST_F(CheckpointDriverTest, EnvironmentScriptIsSourcedBeforeTheProbeAndActions) {
  CheckpointSettings settings;
  settings.environment_script = "/etc/profile.d/CP.sh";
  Driver(settings);
  ProbeWith(ProbeOutput{});
  EXPECT_THAT(transport_->calls[0].argv[2], HasSubstr(". '/etc/profile.d/CP.sh'\n"));
  driver_->Perform({Action::kDisconnect, {}});
  EXPECT_THAT(transport_->calls[1].argv,
              ElementsAre("sh", "-c", ". '/etc/profile.d/CP.sh' && exec \"$@\"", "cutover",
                          "clusterXL_admin", "down"));
}

// --- actions ----------------------------------------------------------------------------

TEST_F(CheckpointDriverTest, EachActionSendsItsCommand) {
  CheckpointSettings settings;
  settings.upgrade_command = "/home/admin/install_jumbo.sh --yes";
  struct Case {
    ActionRequest request;
    std::vector<std::string> argv;
  };
  using Params = std::map<std::string, std::string>;
  auto make = [](Action action, Params params, std::vector<std::string> argv) {
    return Case{ActionRequest{action, std::move(params)}, std::move(argv)};
  };
  const std::vector<Case> cases = {
      make(Action::kDisconnect, {}, {"clusterXL_admin", "down"}),
      make(Action::kConnect, {}, {"clusterXL_admin", "up"}),
      make(Action::kStartUpgradeMode, {}, {"cphacu", "start"}),
      make(Action::kStopUpgradeMode, {}, {"cphacu", "stop"}),
      make(Action::kDisableAcceleration, {}, {"fwaccel", "off", "-a"}),
      make(Action::kInstallPolicy, {}, {"sh", "-c", "fw fetch local"}),
      make(Action::kRun, {{"command", "cpwd_admin list"}}, {"sh", "-c", "cpwd_admin list"}),
      make(Action::kUpgrade, {{"version", "R81.20; rm -rf /"}},
           {"sh", "-c", "/home/admin/install_jumbo.sh --yes \"$@\"", "cutover-upgrade",
            "R81.20; rm -rf /"}),
      make(Action::kUpgrade, {},
           {"sh", "-c", "/home/admin/install_jumbo.sh --yes \"$@\"", "cutover-upgrade"}),
  };
  for (const Case& c : cases) {
    Driver(settings);
    ActionResult result = driver_->Perform(c.request);
    EXPECT_TRUE(result.ok) << ActionName(c.request.action) << ": " << result.error;
    ASSERT_EQ(transport_->calls.size(), 1u);
    EXPECT_EQ(transport_->calls[0].argv, c.argv) << ActionName(c.request.action);
    EXPECT_EQ(transport_->calls[0].timeout, c.request.action == Action::kUpgrade
                                                ? settings.upgrade_timeout
                                                : settings.action_timeout);
  }
}

TEST_F(CheckpointDriverTest, DisconnectSucceedsOnExitStatusWhateverItPrints) {
  Driver();
  transport_->answers.push_back(FakeTransport::Exited(0, "some unstable text\n"));
  ActionResult result = driver_->Perform({Action::kDisconnect, {}});
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.output, "some unstable text\n");
}

TEST_F(CheckpointDriverTest, FailingActionNamesTheCommandAndWhatItSaid) {
  Driver();
  transport_->answers.push_back(
      FakeTransport::Exited(1, "", "clusterXL_admin: cluster is not running\n"));
  ActionResult result = driver_->Perform({Action::kDisconnect, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "ssh admin@gw-east-a:22: clusterXL_admin down failed: exit status 1: "
            "clusterXL_admin: cluster is not running");
  EXPECT_EQ(result.output, "clusterXL_admin: cluster is not running\n");
}

TEST_F(CheckpointDriverTest, CphacuStartPutsTheReadyForFailoverLineFirst) {
  Driver();
  transport_->answers.push_back(FakeTransport::Exited(
      0, "Starting Connectivity Upgrade...\n" + CheckpointFixture("cphacu_start.completion.txt")));
  ActionResult result = driver_->Perform({Action::kStartUpgradeMode, {}});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_THAT(result.output, StartsWith("Connectivity upgrade status: Ready for Failover\n"));
  EXPECT_THAT(result.output, HasSubstr("Starting Connectivity Upgrade..."));
}

TEST_F(CheckpointDriverTest, CphacuStartWithoutTheCompletionLineStillSucceedsOnExitZero) {
  Driver();
  transport_->answers.push_back(FakeTransport::Exited(0, "Starting Connectivity Upgrade...\n"));
  ActionResult result = driver_->Perform({Action::kStartUpgradeMode, {}});
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.output, "Starting Connectivity Upgrade...\n");
}

TEST_F(CheckpointDriverTest, UpgradeWithoutAnUpgradeCommandIsRefusedWithTheFix) {
  Driver();
  ActionResult result = driver_->Perform({Action::kUpgrade, {{"version", "R81.20"}}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("set settings.upgrade_command"));
  EXPECT_THAT(transport_->calls, IsEmpty());
}

TEST_F(CheckpointDriverTest, RunWithoutACommandIsRefused) {
  Driver();
  ActionResult result = driver_->Perform({Action::kRun, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("parameter 'command' is missing"));
  EXPECT_THAT(transport_->calls, IsEmpty());
}

// --- rehearsal --------------------------------------------------------------------------
// Describe on the same driver, then Perform: the rehearsal's lines are the commands the
// run sent, and the rehearsal itself sent nothing.

class CheckpointDescribeTest : public CheckpointDriverTest {
 protected:
  std::vector<std::string> Described(const ActionRequest& request) {
    std::size_t before = transport_->calls.size();
    std::vector<std::string> lines = driver_->Describe(request);
    EXPECT_EQ(transport_->calls.size(), before)
        << "describing " << ActionName(request.action) << " sent a command to the gateway";
    return lines;
  }
  // What Perform sent, written as a rehearsal writes commands; a refusal that sent
  // nothing is written as the rehearsal's refusal line.
  std::vector<std::string> Performed(const ActionRequest& request) {
    transport_->calls.clear();
    ActionResult result = driver_->Perform(request);
    if (transport_->calls.empty()) return DescribeRefusal(result.error);
    EXPECT_TRUE(result.ok) << ActionName(request.action) << ": " << result.error;
    std::vector<std::string> lines;
    for (const auto& call : transport_->calls)
      lines.push_back("ssh admin@gw-east-a:22: " + ShellLine(call.argv));
    return lines;
  }
  static std::map<std::string, std::string> ParamsFor(Action action) {
    if (action == Action::kUpgrade) return {{"version", "R81.20; rm -rf /"}};
    if (action == Action::kRun) return {{"command", "cpwd_admin list"}};
    return {};
  }
};

TEST_F(CheckpointDescribeTest, DescribeOfDisconnectNamesTheClusterXlAdminCallItRuns) {
  Driver();
  EXPECT_THAT(Described({Action::kDisconnect, {}}),
              ElementsAre("ssh admin@gw-east-a:22: clusterXL_admin down"));
}

TEST_F(CheckpointDescribeTest, DescribeOfEachActionNamesExactlyTheCommandsItSends) {
  for (std::string environment : {"", "/etc/profile.d/CP.sh"}) {
    CheckpointSettings settings;
    settings.upgrade_command = "/home/admin/install_jumbo.sh --yes";
    settings.environment_script = environment;
    Driver(settings);
    for (Action action : CheckpointDriverDescriptor().actions) {
      ActionRequest request{action, ParamsFor(action)};
      std::vector<std::string> described = Described(request);
      EXPECT_FALSE(described.empty()) << ActionName(action);
      EXPECT_EQ(described, Performed(request))
          << "the rehearsal of " << ActionName(action) << " (environment_script '" << environment
          << "') differs from what it runs";
    }
  }
}

TEST_F(CheckpointDescribeTest, DescribeShowsTheVersionAsItsOwnArgumentAndTheEnvironment) {
  CheckpointSettings settings;
  settings.upgrade_command = "/home/admin/install_jumbo.sh --yes";
  settings.environment_script = "/etc/profile.d/CP.sh";
  Driver(settings);
  EXPECT_THAT(Described({Action::kUpgrade, {{"version", "R81.20; rm -rf /"}}}),
              ElementsAre("ssh admin@gw-east-a:22: sh -c '. '\\''/etc/profile.d/CP.sh'\\'' && "
                          "exec \"$@\"' cutover sh -c '/home/admin/install_jumbo.sh --yes "
                          "\"$@\"' cutover-upgrade 'R81.20; rm -rf /'"));
}

TEST_F(CheckpointDescribeTest, DescribeOfARefusedActionSaysWhyNothingWouldBeSent) {
  Driver();
  EXPECT_THAT(Described({Action::kUpgrade, {{"version", "R81.20"}}}),
              ElementsAre(HasSubstr("nothing would be sent: upgrade: driver checkpoint has no "
                                    "upgrade_command")));
  EXPECT_EQ(Described({Action::kRun, {}}), Performed({Action::kRun, {}}));
  EXPECT_THAT(
      Described({Action::kResync, {}}),
      ElementsAre("nothing would be sent: driver checkpoint does not perform action 'resync'"));
}

// --- descriptor -------------------------------------------------------------------------

TEST(CheckpointDescriptor, DeclaresItsActionsRolesAndSettings) {
  DriverDescriptor d = CheckpointDriverDescriptor();
  EXPECT_EQ(d.name, "checkpoint");
  EXPECT_TRUE(d.needs_credentials);
  EXPECT_THAT(d.actions,
              ElementsAre(Action::kDisconnect, Action::kConnect, Action::kStartUpgradeMode,
                          Action::kStopUpgradeMode, Action::kDisableAcceleration, Action::kUpgrade,
                          Action::kInstallPolicy, Action::kRun));
  EXPECT_THAT(d.roles, ElementsAre("active", "active_attention", "standby", "ready", "down",
                                   "initializing", "lost", "unknown"));
  for (const ConfigKey& key : d.config) EXPECT_FALSE(key.help.empty()) << key.name;
  ASSERT_NE(d.FindKey("config_digest_command"), nullptr);
  EXPECT_EQ(d.FindKey("config_digest_command")->default_value, "fw stat");
  EXPECT_EQ(d.FindKey("install_policy_command")->default_value, "fw fetch local");
  EXPECT_EQ(d.FindKey("action_timeout")->default_value, "10m");
}

TEST(CheckpointDescriptor, LoaderFillsDefaultsAndTheFactoryReadsThem) {
  testing::TempDir dir;
  std::string key = dir.Write("id_ed25519", "not really a key\n", 0600);
  std::string known_hosts = dir.Write("known_hosts", "");
  DriverRegistry registry;
  registry.Add(CheckpointDriverDescriptor());
  ConfigLoadResult loaded = LoadConfigString(
      "credentials:\n"
      "  gaia: {user: admin, identity_file: " +
          key + ", known_hosts_file: " + known_hosts +
          "}\n"
          "clusters:\n"
          "  - name: east\n"
          "    driver: checkpoint\n"
          "    credentials: gaia\n"
          "    settings: {upgrade_command: /home/admin/upgrade.sh, action_timeout: 90s}\n"
          "    members:\n"
          "      - {name: gw-east-a, address: '10.40.7.11'}\n",
      "cutover.yml", registry);
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  const MemberConfig& member = loaded.config.clusters[0].members[0];
  CheckpointSettings s = CheckpointSettingsFrom(member.settings);
  EXPECT_EQ(s.upgrade_command, "/home/admin/upgrade.sh");
  EXPECT_EQ(s.action_timeout, std::chrono::seconds(90));
  EXPECT_EQ(s.config_digest_command, "fw stat");
  EXPECT_EQ(s.upgrade_timeout, std::chrono::hours(2));
  SharedResources shared;
  DriverContext context{shared};
  EXPECT_NE(registry.Find("checkpoint")->create(member, context), nullptr);
}

TEST(CheckpointDescriptor, FactoryRefusesMissingCredentialsAndBadAddresses) {
  DriverDescriptor d = CheckpointDriverDescriptor();
  SharedResources shared;
  DriverContext context{shared};
  MemberConfig member;
  member.name = "gw-east-a";
  member.where = "cutover.yml:9";
  member.address = "10.40.7.11";
  member.credentials = {"gaia", "admin", "", "/etc/cutover/known_hosts", "", ""};
  try {
    d.create(member, context);
    ADD_FAILURE() << "a member without an identity file must be refused";
  } catch (const std::runtime_error& e) {
    // MemberSet adds the member's file:line in front.
    EXPECT_THAT(e.what(),
                HasSubstr("credentials \"gaia\" need user, identity_file and known_hosts_file"));
  }
  member.credentials.identity_file = "/etc/cutover/id_ed25519";
  member.address = "";
  try {
    d.create(member, context);
    ADD_FAILURE() << "an empty address must be refused";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is not host, host:port or [v6]:port"));
  }
}

}  // namespace
}  // namespace cutover
