// LinuxFwDriver over a recording transport. Probes run the driver's real probe script
// in /bin/sh with stand-in `conntrack`, `conntrackd` and `nft` commands that print the
// captured fixtures, so the script, the section markers and the parsers are exercised
// together.
// Actions check the exact argv the member would receive and that bad parameters never
// reach it; a rehearsal (Describe) names exactly those commands and sends none.
#include "plugins/linux_fw/linux_fw_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <stdexcept>

#include "common/strings.h"
#include "plugins/linux_fw/linux_fw_driver_config.h"
#include "plugins/transport/local_transport.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

struct Calls {
  std::vector<std::vector<std::string>> argv;
};

// Records every argv and answers through `respond`.
class RecordingTransport : public CommandTransport {
 public:
  using Responder = std::function<CommandResult(const std::vector<std::string>&, Duration)>;
  RecordingTransport(std::shared_ptr<Calls> calls, Responder respond)
      : calls_(std::move(calls)), respond_(std::move(respond)) {}
  CommandResult Run(const std::vector<std::string>& argv, Duration timeout) override {
    calls_->argv.push_back(argv);
    return respond_(argv, timeout);
  }
  std::string Target() const override { return "fake fw1"; }

 private:
  std::shared_ptr<Calls> calls_;
  Responder respond_;
};

CommandResult Exited(int status, std::string out = {}, std::string err = {}) {
  CommandResult r;
  r.completed = true;
  r.exit_status = status;
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

std::string FixturePath(const std::string& name) {
  return std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/linux_fw/fixtures/" + name;
}

ProbeContext Deadline(std::chrono::milliseconds from_now = std::chrono::seconds(10)) {
  auto now = std::chrono::steady_clock::now();
  return {now + from_now, now};
}

// A member whose commands are shell stand-ins in a temporary bin directory.
class FakeMember {
 public:
  FakeMember() {
    settings.conntrackd_config = "/etc/conntrackd/site a.conf";  // a space, to test quoting
    settings.vrrp_state_file = dir.Write("vrrp-state", "INSTANCE VI_1 MASTER 150\n");
    settings.vrrp_track_file = dir.File("vrrp-priority");
    settings.version_command = "echo 6.1.0-28-amd64";
    config_file = dir.Write("ruleset", "table inet filter { }\n");
    settings.config_digest_command = "cat " + config_file;
    settings.interfaces = {"eth1", "eth2 ext"};
    settings.upgrade_command = "echo \"installing $1\"";
    ConntrackPrints(FixturePath("conntrack_count.txt"));
    ConntrackdPrints(FixturePath("conntrackd_stats_receiver_lossy.txt"),
                     FixturePath("conntrackd_network_receiver_lossy.txt"));
  }

  void ConntrackPrints(const std::string& fixture, int status = 0) {
    Stub("conntrack", "cat '" + fixture + "'; exit " + std::to_string(status));
  }
  void ConntrackdPrints(const std::string& stats, const std::string& network) {
    // Refuses a wrong -C path so the test notices if the config path is lost or split.
    Stub("conntrackd",
         "[ \"$1\" = -C ] && [ \"$2\" = '/etc/conntrackd/site a.conf' ] || "
         "{ echo \"conntrackd stand-in: unexpected arguments $*\"; exit 2; }\n"
         "case \"$3 $4\" in\n"
         "  '-s network') cat '" +
             network +
             "' ;;\n"
             "  '-s ') cat '" +
             stats +
             "' ;;\n"
             "  *) echo \"conntrackd stand-in: unexpected arguments $*\"; exit 2 ;;\n"
             "esac");
  }
  // A stand-in `nft` holding the lab's two counters: `nft list counter inet co_firewall
  // forwarded|invalid` prints the captured listing; any other counter gets nft's captured
  // answer for a counter the ruleset lacks, with its exit status 1.
  void NftHoldsTheLabCounters(const std::string& forwarded = "nft_counter_forwarded.txt",
                              const std::string& invalid = "nft_counter_with_comment.txt") {
    Stub("nft",
         "case \"$*\" in\n"
         "  'list counter inet co_firewall forwarded') cat '" +
             FixturePath(forwarded) +
             "' ;;\n"
             "  'list counter inet co_firewall invalid') cat '" +
             FixturePath(invalid) +
             "' ;;\n"
             "  *) cat '" +
             FixturePath("nft_counter_missing.txt") +
             "' >&2; exit 1 ;;\n"
             "esac");
    settings.forwarded_counter = "inet co_firewall forwarded";
    settings.invalid_counter = "inet co_firewall invalid";
  }
  void ConntrackdNotRunning() {
    Stub("conntrackd", "cat '" + FixturePath("conntrackd_not_running.txt") + "' >&2; exit 1");
  }
  void Stub(const std::string& name, const std::string& body) {
    dir.Write("bin/" + name, "#!/bin/sh\n" + body + "\n", 0755);
  }

  // The driver, with a transport that runs what it is given in a local sh whose PATH
  // finds the stand-ins first.
  std::unique_ptr<LinuxFwDriver> Driver() {
    auto local = std::make_shared<LocalTransport>(
        std::vector<std::string>{"env", "PATH=" + dir.File("bin") + ":/usr/bin:/bin"});
    return std::make_unique<LinuxFwDriver>(
        settings, std::make_unique<RecordingTransport>(
                      calls, [local](const std::vector<std::string>& argv, Duration timeout) {
                        return local->Run(argv, timeout);
                      }));
  }

  testing::TempDir dir;
  LinuxFwSettings settings;
  std::string config_file;
  std::shared_ptr<Calls> calls = std::make_shared<Calls>();
};

TEST(LinuxFwProbeTest, OneRoundTripFillsEveryField) {
  FakeMember member;
  MemberStatus status = member.Driver()->Probe(Deadline());

  ASSERT_TRUE(status.up) << status.error;
  ASSERT_EQ(member.calls->argv.size(), 1u) << "a probe must be one SSH round trip";
  EXPECT_EQ(member.calls->argv[0][0], "sh");
  EXPECT_EQ(member.calls->argv[0][1], "-c");
  EXPECT_EQ(status.connections, 406);
  EXPECT_EQ(status.role, "active");
  EXPECT_EQ(status.accepting_new_connections, true);
  EXPECT_EQ(status.version, "6.1.0-28-amd64");
  EXPECT_EQ(status.config_digest, Fnv1aHex("table inet filter { }\n"));
  EXPECT_EQ(status.sync.ok, true);
  EXPECT_EQ(status.sync.state, "running, syncing over UDP on lt-b");
  const auto& v = status.sync.values;
  EXPECT_EQ(v.at(SyncMetric::kInternalCacheEntries), 0);
  EXPECT_EQ(v.at(SyncMetric::kExternalCacheEntries), 406);
  EXPECT_EQ(v.at(SyncMetric::kLostMessages), 191);
  EXPECT_EQ(v.at(SyncMetric::kMalformedMessages), 0);
  EXPECT_EQ(v.at(SyncMetric::kSentMessages), 71);
  EXPECT_EQ(v.at(SyncMetric::kReceivedMessages), 395);
  EXPECT_EQ(v.count(SyncMetric::kRetransmissions), 0u) << "conntrackd 1.4.7 prints none";
}

TEST(LinuxFwProbeTest, BackupIsStandbyAndGetsNoNewConnections) {
  FakeMember member;
  member.dir.Write("vrrp-state", "INSTANCE VI_1 BACKUP 100\n");
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.role, "standby");
  EXPECT_EQ(status.accepting_new_connections, false);
}

// The site's membership command as a stand-in that refuses anything but the single
// argument `status`, so a lost or split argument shows as a down member.
void SiteCommandAnswers(FakeMember& member, const std::string& answer, int status = 0) {
  member.Stub("cluster-member",
              "[ \"$#\" = 1 ] && [ \"$1\" = status ] || "
              "{ echo \"cluster-member stand-in: unexpected arguments $*\"; exit 2; }\n"
              "printf '%s' '" +
                  answer + "'\nexit " + std::to_string(status));
  member.settings.cluster_command = "cluster-member";
}

TEST(LinuxFwProbeTest, SiteCommandDecidesRoleAndAcceptingInALoadSharingCluster) {
  FakeMember member;
  SiteCommandAnswers(member, "role=ready\naccepting=0\nupgrade_mode=on\n");
  // keepalived says MASTER, but with a site command the VRRP file is not the authority.
  member.dir.Write("vrrp-state", "INSTANCE VI_1 MASTER 150\n");
  MemberStatus status = member.Driver()->Probe(Deadline());

  ASSERT_TRUE(status.up) << status.error;
  ASSERT_EQ(member.calls->argv.size(), 1u) << "the status must ride the same round trip";
  EXPECT_EQ(status.role, "ready");
  EXPECT_EQ(status.accepting_new_connections, false);
  EXPECT_EQ(status.connections, 406) << "everything else is probed as without a site command";
  EXPECT_EQ(status.version, "6.1.0-28-amd64");
  EXPECT_EQ(status.sync.ok, true);
  EXPECT_EQ(status.sync.values.at(SyncMetric::kExternalCacheEntries), 406);
}

TEST(LinuxFwProbeTest, ADrainingMemberStaysActiveButTakesNoNewConnections) {
  FakeMember member;
  SiteCommandAnswers(member, "role=active\naccepting=0\n");
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.role, "active");
  EXPECT_EQ(status.accepting_new_connections, false);
}

TEST(LinuxFwProbeTest, WithASiteCommandTheVrrpStateFileNeedNotExist) {
  FakeMember member;
  SiteCommandAnswers(member, "role=active\naccepting=1\n");
  member.settings.vrrp_state_file = member.dir.File("never-written");
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.role, "active");
  EXPECT_EQ(status.accepting_new_connections, true);
  ASSERT_EQ(member.calls->argv.size(), 1u);
  EXPECT_THAT(member.calls->argv[0][2], Not(HasSubstr("@@cutover-begin vrrp_state")))
      << "the VRRP state file must not be read at all";
}

TEST(LinuxFwProbeTest, AFailingSiteStatusTakesTheMemberDownWithItsWords) {
  FakeMember member;
  SiteCommandAnswers(member, "cluster-member: bgpd is not running\n", 3);
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.role, "unknown");
  EXPECT_THAT(status.error, HasSubstr("`cluster-member status` exited 3"));
  EXPECT_THAT(status.error, HasSubstr("bgpd is not running"));
}

TEST(LinuxFwProbeTest, AGarbledSiteStatusTakesTheMemberDownNamingTheLine) {
  FakeMember member;
  SiteCommandAnswers(member, "role=active\nmembership: in\naccepting=1\n");
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("`cluster-member status`"));
  EXPECT_THAT(status.error, HasSubstr("membership: in"));
}

TEST(LinuxFwProbeTest, ConfigurationChangeChangesTheDigest) {
  FakeMember member;
  auto driver = member.Driver();
  std::string before = driver->Probe(Deadline()).config_digest;
  member.dir.Write("ruleset", "table inet filter { chain input { } }\n");
  std::string after = driver->Probe(Deadline()).config_digest;
  EXPECT_FALSE(before.empty());
  EXPECT_NE(before, after);
}

TEST(LinuxFwProbeTest, AFailingConntrackTakesTheMemberDownNamingTheCommand) {
  FakeMember member;
  member.Stub("conntrack",
              "echo 'conntrack v1.4.7 (conntrack-tools): Operation failed: Operation not "
              "permitted' >&2; exit 1");
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.role, "unknown");
  EXPECT_THAT(status.error, HasSubstr("`conntrack -C` exited 1"));
  EXPECT_THAT(status.error, HasSubstr("Operation not permitted"));
}

TEST(LinuxFwProbeTest, UnparseableConntrackOutputTakesTheMemberDown) {
  FakeMember member;
  member.ConntrackPrints(FixturePath("conntrackd_stats_receiver.txt"));  // wrong command
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("conntrack -C"));
  EXPECT_THAT(status.error, HasSubstr("cache internal"));
}

TEST(LinuxFwProbeTest, GarbledConntrackdStatisticsTakeTheMemberDown) {
  FakeMember member;
  member.ConntrackdPrints(FixturePath("conntrack_count.txt"),
                          FixturePath("conntrackd_network_receiver_lossy.txt"));
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("conntrackd -C '/etc/conntrackd/site a.conf' -s"));
}

TEST(LinuxFwProbeTest, ConntrackdNotRunningLeavesMemberUpWithSyncNotOk) {
  FakeMember member;
  member.ConntrackdNotRunning();
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.sync.ok, false);
  EXPECT_THAT(status.sync.state, HasSubstr("conntrackd not answering"));
  EXPECT_THAT(status.sync.state, HasSubstr("can't connect: is conntrackd running?"));
  EXPECT_THAT(status.sync.values, IsEmpty());
  EXPECT_EQ(status.connections, 406);
}

TEST(LinuxFwProbeTest, MissingVrrpStateFileSaysHowToProvideIt) {
  FakeMember member;
  member.settings.vrrp_state_file = member.dir.File("never-written");
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("never-written"));
  EXPECT_THAT(status.error, HasSubstr("notify script"));
}

TEST(LinuxFwProbeTest, GarbageInTheVrrpStateFileTakesTheMemberDown) {
  FakeMember member;
  member.dir.Write("vrrp-state", "PRIMARY\n");
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("PRIMARY"));
}

TEST(LinuxFwProbeTest, FailingVersionCommandTakesTheMemberDown) {
  FakeMember member;
  member.settings.version_command = "echo 'no such tool' >&2; exit 127";
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("exited 127"));
  EXPECT_THAT(status.error, HasSubstr("no such tool"));
}

TEST(LinuxFwProbeTest, EmptyVersionAndDigestCommandsSwitchThoseFiguresOff) {
  FakeMember member;
  member.settings.version_command = "";
  member.settings.config_digest_command = "";
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.version, "");
  EXPECT_EQ(status.config_digest, "");
}

TEST(LinuxFwProbeTest, TheMembersOwnCountersShowForwardedPacketsAndInvalidStateDrops) {
  FakeMember member;
  member.NftHoldsTheLabCounters();
  MemberStatus status = member.Driver()->Probe(Deadline());

  ASSERT_TRUE(status.up) << status.error;
  ASSERT_EQ(member.calls->argv.size(), 1u) << "the counters must ride the same round trip";
  EXPECT_EQ(status.forwarded_packets, 14);
  EXPECT_EQ(status.forwarded_bytes, 1988);
  EXPECT_EQ(status.invalid_state_drops, 0) << "no session broke: 0, not a missing figure";
  EXPECT_EQ(status.connections, 406) << "everything else is probed as without counters";
}

TEST(LinuxFwProbeTest, WithoutCounterSettingsNoCounterIsReadOrReported) {
  FakeMember member;
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.forwarded_packets, std::nullopt);
  EXPECT_EQ(status.forwarded_bytes, std::nullopt);
  EXPECT_EQ(status.invalid_state_drops, std::nullopt);
  ASSERT_EQ(member.calls->argv.size(), 1u);
  EXPECT_THAT(member.calls->argv[0][2], Not(HasSubstr("nft list counter")));
}

TEST(LinuxFwProbeTest, OneCounterAloneIsReadAlone) {
  FakeMember member;
  member.NftHoldsTheLabCounters();
  member.settings.forwarded_counter.clear();
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.forwarded_packets, std::nullopt);
  EXPECT_EQ(status.invalid_state_drops, 0);
}

// A gate asking "did invalid-state drops rise?" must not read a counter the ruleset lacks
// as "no": the member goes down, and the gate finds no figure and holds the step.
TEST(LinuxFwProbeTest, ACounterTheRulesetLacksTakesTheMemberDownNamingTheCommand) {
  FakeMember member;
  member.NftHoldsTheLabCounters();
  member.settings.invalid_counter = "inet co_firewall dropped_invalid";
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.role, "unknown");
  EXPECT_THAT(status.error,
              HasSubstr("`nft list counter inet co_firewall dropped_invalid` exited 1"));
  EXPECT_THAT(status.error, HasSubstr("No such file or directory"));
  EXPECT_THAT(status.error, HasSubstr("the counter invalid_counter names"));
}

TEST(LinuxFwProbeTest, ACounterListingWithoutTotalsTakesTheMemberDown) {
  FakeMember member;
  member.NftHoldsTheLabCounters("nft_counter_stateless.txt");
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("`nft list counter inet co_firewall forwarded`"));
  EXPECT_THAT(status.error, HasSubstr("'packets N bytes N'"));
}

TEST(LinuxFwProbeTest, CountersAreReadWhileConntrackdIsNotAnswering) {
  FakeMember member;
  member.NftHoldsTheLabCounters();
  member.ConntrackdNotRunning();
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.sync.ok, false);
  EXPECT_EQ(status.forwarded_packets, 14) << "the member still forwards; its counters count";
  EXPECT_EQ(status.invalid_state_drops, 0);
}

// A pair the routers select has no keepalived: the role is what set_role recorded.
TEST(LinuxFwProbeTest, WithARoleFileTheRoleIsWhatSetRoleLastWrote) {
  FakeMember member;
  member.settings.role_file = member.dir.Write("role", "BACKUP\n");
  // A stale VRRP file must not decide: with role_file it is not read at all.
  member.dir.Write("vrrp-state", "INSTANCE VI_1 MASTER 150\n");
  MemberStatus status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.role, "standby");
  EXPECT_EQ(status.accepting_new_connections, false);
  ASSERT_EQ(member.calls->argv.size(), 1u);
  EXPECT_THAT(member.calls->argv[0][2], Not(HasSubstr("@@cutover-begin vrrp_state")));

  member.dir.Write("role", "MASTER\n");
  status = member.Driver()->Probe(Deadline());
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.role, "active");
  EXPECT_EQ(status.accepting_new_connections, true);
}

TEST(LinuxFwProbeTest, AMissingRoleFileTakesTheMemberDownSayingWhoWritesIt) {
  FakeMember member;
  member.settings.role_file = member.dir.File("never-written-role");
  MemberStatus status = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.role, "unknown");
  EXPECT_THAT(status.error, HasSubstr("never-written-role"));
  EXPECT_THAT(status.error, HasSubstr("set_role writes this file (role_file)"));
  EXPECT_THAT(status.error, Not(HasSubstr("keepalived")));
}

TEST(LinuxFwProbeTest, AnEmptyOrGarbledRoleFileTakesTheMemberDown) {
  FakeMember member;
  member.settings.role_file = member.dir.Write("role", "\n");
  MemberStatus empty = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(empty.up);
  EXPECT_THAT(empty.error, HasSubstr("the role file is empty"));

  member.dir.Write("role", "PRIMARY\n");
  MemberStatus garbled = member.Driver()->Probe(Deadline());
  EXPECT_FALSE(garbled.up);
  EXPECT_THAT(garbled.error, HasSubstr("PRIMARY"));
}

TEST(LinuxFwSettingsTest, CounterSettingsNameFamilyTableAndCounter) {
  LinuxFwSettings s;
  EXPECT_EQ(ValidateLinuxFwSettings(s), std::nullopt) << "no counters is valid";
  for (std::string good : {"inet co_firewall forwarded", "ip6 filter fwd-v6.count",
                           "netdev ingress _drops", "  inet  co_firewall  forwarded  "}) {
    s.forwarded_counter = good;
    EXPECT_EQ(ValidateLinuxFwSettings(s), std::nullopt) << "'" << good << "' was refused";
  }
  s.forwarded_counter.clear();
  for (std::string bad : {"co_firewall forwarded", "inet co_firewall forwarded extra",
                          "inet co_firewall", "inet co_firewall forwarded;reboot",
                          "inet co_firewall $(reboot)", "inet co_firewall 'forwarded'",
                          "inet6 co_firewall forwarded", "inet co_firewall 1forwarded"}) {
    s.invalid_counter = bad;
    auto problem = ValidateLinuxFwSettings(s);
    ASSERT_NE(problem, std::nullopt) << "'" << bad << "' was accepted";
    EXPECT_THAT(*problem, HasSubstr("invalid_counter '" + bad + "'"));
    EXPECT_THAT(*problem, HasSubstr("FAMILY TABLE NAME, e.g. 'inet co_firewall invalid'"));
    EXPECT_THROW(LinuxFwDriver(s, std::make_unique<LocalTransport>()), std::invalid_argument);
  }
}

TEST(LinuxFwSettingsTest, ARoleFileIsForPairsWithoutASiteCommand) {
  LinuxFwSettings s;
  s.role_file = "/run/cutover/role";
  EXPECT_EQ(ValidateLinuxFwSettings(s), std::nullopt);
  s.cluster_command = "/usr/local/sbin/cluster-member";
  auto problem = ValidateLinuxFwSettings(s);
  ASSERT_NE(problem, std::nullopt);
  EXPECT_THAT(*problem, HasSubstr("role_file and cluster_command are both set"));
  EXPECT_THAT(*problem, HasSubstr("remove role_file"));
}

TEST(LinuxFwProbeTest, TransportFailureIsReportedAsIs) {
  auto calls = std::make_shared<Calls>();
  LinuxFwDriver driver({}, std::make_unique<RecordingTransport>(
                               calls, [](const std::vector<std::string>&, Duration) {
                                 CommandResult r;
                                 r.error = "ssh root@10.0.0.1:22: connection timed out";
                                 return r;
                               }));
  MemberStatus status = driver.Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("connection timed out"));
}

TEST(LinuxFwProbeTest, AnswerCutShortTakesTheMemberDown) {
  auto calls = std::make_shared<Calls>();
  LinuxFwDriver driver({}, std::make_unique<RecordingTransport>(
                               calls, [](const std::vector<std::string>&, Duration) {
                                 return Exited(0,
                                               "@@cutover-begin conntrack_count\n406\n\n"
                                               "@@cutover-end conntrack_count 0\n"
                                               "@@cutover-begin conntrackd_stats\ncache");
                               }));
  MemberStatus status = driver.Probe(Deadline());
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("conntrackd_stats"));
}

TEST(LinuxFwProbeTest, ProbeWaitsNoLongerThanTheDeadline) {
  auto calls = std::make_shared<Calls>();
  Duration given{0};
  LinuxFwDriver driver({}, std::make_unique<RecordingTransport>(
                               calls, [&given](const std::vector<std::string>&, Duration t) {
                                 given = t;
                                 return Exited(0);
                               }));
  driver.Probe(Deadline(std::chrono::seconds(3)));
  EXPECT_GT(given.count(), 0);
  EXPECT_LE(given.count(), 3000);

  MemberStatus late = driver.Probe(Deadline(-std::chrono::milliseconds(1)));
  EXPECT_FALSE(late.up);
  EXPECT_THAT(late.error, HasSubstr("deadline"));
  EXPECT_EQ(calls->argv.size(), 1u) << "nothing is sent after the deadline";
}

class LinuxFwActionTest : public ::testing::Test {
 protected:
  // A driver whose transport answers every command with `answer`.
  std::unique_ptr<LinuxFwDriver> Driver(CommandResult answer = Exited(0, "ok\n")) {
    return std::make_unique<LinuxFwDriver>(
        settings_,
        std::make_unique<RecordingTransport>(
            calls_, [answer](const std::vector<std::string>&, Duration) { return answer; }));
  }
  ActionResult Perform(Action action, std::map<std::string, std::string> params = {}) {
    return Driver()->Perform({action, std::move(params)});
  }
  const std::vector<std::string>& OnlyCall() {
    EXPECT_EQ(calls_->argv.size(), 1u);
    static const std::vector<std::string> kNone;
    return calls_->argv.empty() ? kNone : calls_->argv.back();
  }

  LinuxFwSettings settings_ = [] {
    LinuxFwSettings s;
    s.interfaces = {"eth1", "eth2"};
    s.vrrp_track_file = "/var/lib/cutover/vrrp-priority";
    s.upgrade_command = "apt-get install -y keepalived=\"$1\"";
    return s;
  }();
  std::shared_ptr<Calls> calls_ = std::make_shared<Calls>();
};

TEST_F(LinuxFwActionTest, SetPriorityWritesTheOffsetIntoTheTrackFile) {
  ActionResult result = Perform(Action::kSetPriority, {{"priority", "-100"}});
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_THAT(OnlyCall(),
              ElementsAre("sh", "-c", "printf '%s\\n' \"$1\" > \"$2\"", "cutover-set-priority",
                          "-100", "/var/lib/cutover/vrrp-priority"));
}

TEST_F(LinuxFwActionTest, SetPriorityRefusesAnythingButAWholeNumber) {
  for (std::string bad :
       {"50; rm -rf /", "$(reboot)", "", "1e3", "+5", "255", "-255", "12.5", "0x10", " 50"}) {
    ActionResult result = Perform(Action::kSetPriority, {{"priority", bad}});
    EXPECT_FALSE(result.ok) << "priority '" << bad << "' was accepted";
    EXPECT_THAT(result.error, HasSubstr("between -254 and 254")) << bad;
  }
  ActionResult missing = Perform(Action::kSetPriority);
  EXPECT_FALSE(missing.ok);
  EXPECT_THAT(missing.error, HasSubstr("needs parameter 'priority'"));
  EXPECT_THAT(calls_->argv, IsEmpty()) << "a refused parameter must not reach the member";
}

TEST_F(LinuxFwActionTest, SetPriorityReallyWritesTheFile) {
  testing::TempDir dir;
  settings_.vrrp_track_file = dir.File("track");
  LinuxFwDriver driver(settings_, std::make_unique<LocalTransport>());
  ActionResult result = driver.Perform({Action::kSetPriority, {{"priority", "-100"}}});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(testing::ReadFile(dir.File("track")), "-100\n");
}

TEST_F(LinuxFwActionTest, DisconnectPassesEachInterfaceAsItsOwnArgument) {
  ActionResult result = Perform(Action::kDisconnect);
  EXPECT_TRUE(result.ok) << result.error;
  const auto& argv = OnlyCall();
  ASSERT_EQ(argv.size(), 6u);
  EXPECT_EQ(argv[0], "sh");
  EXPECT_THAT(argv[2], HasSubstr("ip link set dev \"$dev\" down"));
  EXPECT_EQ(argv[4], "eth1");
  EXPECT_EQ(argv[5], "eth2");
}

TEST_F(LinuxFwActionTest, ConnectBringsEveryInterfaceUpEvenAfterOneFails) {
  testing::TempDir dir;
  dir.Write("bin/ip",
            "#!/bin/sh\necho \"$*\" >> " + dir.File("ip.log") +
                "\n[ \"$4\" = eth1 ] && { echo 'Cannot find device \"eth1\"' >&2; exit 1; }\n"
                "exit 0\n",
            0755);
  settings_.interfaces = {"eth1", "eth2 ext"};
  LinuxFwDriver driver(settings_, std::make_unique<LocalTransport>(std::vector<std::string>{
                                      "env", "PATH=" + dir.File("bin") + ":/usr/bin:/bin"}));
  ActionResult result = driver.Perform({Action::kConnect, {}});
  EXPECT_FALSE(result.ok) << "one interface failed, so the action failed";
  EXPECT_THAT(result.error, HasSubstr("connect"));
  EXPECT_THAT(result.output, HasSubstr("Cannot find device"));
  EXPECT_EQ(testing::ReadFile(dir.File("ip.log")),
            "link set dev eth1 up\nlink set dev eth2 ext up\n");
}

TEST_F(LinuxFwActionTest, DisconnectWithoutInterfacesSaysWhatToConfigure) {
  settings_.interfaces.clear();
  ActionResult result = Perform(Action::kDisconnect);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("'interfaces'"));
  EXPECT_THAT(calls_->argv, IsEmpty());
}

TEST_F(LinuxFwActionTest, UpgradePassesTheVersionAsItsOwnArgument) {
  ActionResult result = Perform(Action::kUpgrade, {{"version", "1:2.2.8-1+deb12u1"}});
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_THAT(OnlyCall(), ElementsAre("sh", "-c", "apt-get install -y keepalived=\"$1\"",
                                      "cutover-upgrade", "1:2.2.8-1+deb12u1"));
}

TEST_F(LinuxFwActionTest, UpgradeVersionReallyArrivesAsDollarOne) {
  settings_.upgrade_command = "printf 'installing [%s]' \"$1\"";
  LinuxFwDriver driver(settings_, std::make_unique<LocalTransport>());
  ActionResult result = driver.Perform({Action::kUpgrade, {{"version", "2.2.8"}}});
  ASSERT_TRUE(result.ok) << result.error;
  EXPECT_EQ(result.output, "installing [2.2.8]");
}

TEST_F(LinuxFwActionTest, UpgradeRefusesAVersionWithShellCharacters) {
  ActionResult result = Perform(Action::kUpgrade, {{"version", "2.2.8; reboot"}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("2.2.8; reboot"));
  EXPECT_THAT(calls_->argv, IsEmpty());
}

TEST_F(LinuxFwActionTest, UpgradeWithoutACommandSaysWhatToConfigure) {
  settings_.upgrade_command.clear();
  ActionResult result = Perform(Action::kUpgrade, {{"version", "2.2.8"}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("upgrade_command"));
  EXPECT_THAT(calls_->argv, IsEmpty());
}

TEST_F(LinuxFwActionTest, ConntrackdActionsUseTheConfiguredConfig) {
  settings_.conntrackd_config = "/etc/conntrackd/site.conf";
  EXPECT_TRUE(Perform(Action::kCommitSync).ok);
  EXPECT_TRUE(Perform(Action::kResync).ok);
  ASSERT_EQ(calls_->argv.size(), 2u);
  EXPECT_THAT(calls_->argv[0], ElementsAre("conntrackd", "-C", "/etc/conntrackd/site.conf", "-c"));
  EXPECT_THAT(calls_->argv[1], ElementsAre("conntrackd", "-C", "/etc/conntrackd/site.conf", "-n"));
}

TEST_F(LinuxFwActionTest, InstallPolicyAndRunUseAShell) {
  EXPECT_TRUE(Perform(Action::kInstallPolicy).ok);
  EXPECT_TRUE(Perform(Action::kRun, {{"command", "systemctl restart keepalived"}}).ok);
  ASSERT_EQ(calls_->argv.size(), 2u);
  EXPECT_THAT(calls_->argv[0], ElementsAre("sh", "-c", "nft -f /etc/nftables.conf"));
  EXPECT_THAT(calls_->argv[1], ElementsAre("sh", "-c", "systemctl restart keepalived"));

  ActionResult missing = Perform(Action::kRun);
  EXPECT_FALSE(missing.ok);
  EXPECT_THAT(missing.error, HasSubstr("'command'"));
  EXPECT_EQ(calls_->argv.size(), 2u);
}

TEST_F(LinuxFwActionTest, AFailedCommandIsAFailedActionWithWhatItPrinted) {
  auto driver = Driver(Exited(1, "", "[ERROR] can't connect: is conntrackd running?\n"));
  ActionResult result = driver->Perform({Action::kCommitSync, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("commit_sync on fake fw1"));
  EXPECT_THAT(result.error, HasSubstr("exit status 1"));
  EXPECT_THAT(result.output, HasSubstr("is conntrackd running?"));
}

// The load-sharing vocabulary the checkpoint driver also speaks, so one plan drives both.
const Action kClusterActions[] = {Action::kDisconnect,         Action::kConnect,
                                  Action::kStartDrain,         Action::kStopDrain,
                                  Action::kStartUpgradeMode,   Action::kStopUpgradeMode,
                                  Action::kDisableAcceleration};

TEST_F(LinuxFwActionTest, EachClusterActionRunsTheSiteCommandWithTheActionAsItsOnlyArgument) {
  settings_.cluster_command = "/usr/local/sbin/cluster-member --site 'lab a'";
  for (Action action : kClusterActions) {
    calls_->argv.clear();
    ActionResult result = Perform(action);
    EXPECT_TRUE(result.ok) << ActionName(action) << ": " << result.error;
    EXPECT_EQ(result.output, "ok\n");
    // The shell text is the operator's own command; the action word is a separate
    // argument, read as "$1", whatever it is.
    EXPECT_THAT(OnlyCall(),
                ElementsAre("sh", "-c", "/usr/local/sbin/cluster-member --site 'lab a' \"$1\"",
                            "cutover-cluster-command", ActionName(action)))
        << ActionName(action);
  }
}

TEST_F(LinuxFwActionTest, WithASiteCommandDisconnectLeavesTheInterfacesAlone) {
  settings_.cluster_command = "cluster-member";
  EXPECT_TRUE(Perform(Action::kDisconnect).ok);
  EXPECT_THAT(OnlyCall()[2], Not(HasSubstr("ip link")));
}

TEST_F(LinuxFwActionTest, TheSiteCommandReallyReceivesOneArgument) {
  testing::TempDir dir;
  std::string log = dir.File("calls.log");
  dir.Write("cluster-member",
            "#!/bin/sh\nprintf '%s|%s|%s\\n' \"$#\" \"$1\" \"$2\" >> '" + log +
                "'\necho \"membership: $1 done\"\n",
            0755);
  settings_.cluster_command = "'" + dir.File("cluster-member") + "'";
  LinuxFwDriver driver(settings_, std::make_unique<LocalTransport>());
  for (Action action : kClusterActions) {
    ActionResult result = driver.Perform({action, {{"command", "; touch pwned"}}});
    ASSERT_TRUE(result.ok) << ActionName(action) << ": " << result.error;
    EXPECT_EQ(result.output, "membership: " + std::string(ActionName(action)) + " done\n");
  }
  EXPECT_EQ(testing::ReadFile(log),
            "1|disconnect|\n1|connect|\n1|start_drain|\n1|stop_drain|\n"
            "1|start_upgrade_mode|\n1|stop_upgrade_mode|\n1|disable_acceleration|\n");
}

TEST_F(LinuxFwActionTest, AFailingSiteCommandIsAFailedActionWithItsExitStatusAndOutput) {
  settings_.cluster_command = "cluster-member";
  auto driver = Driver(Exited(4, "", "cluster-member: peer fw2 is already out; refusing\n"));
  ActionResult result = driver->Perform({Action::kStartDrain, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("start_drain on fake fw1"));
  EXPECT_THAT(result.error, HasSubstr("cluster-member"));
  EXPECT_THAT(result.error, HasSubstr("exit status 4"));
  EXPECT_THAT(result.output, HasSubstr("peer fw2 is already out"));
}

TEST_F(LinuxFwActionTest, LoadSharingActionsWithoutASiteCommandSayWhatToConfigure) {
  for (Action action : {Action::kStartDrain, Action::kStopDrain, Action::kStartUpgradeMode,
                        Action::kStopUpgradeMode, Action::kDisableAcceleration}) {
    ActionResult result = Perform(action);
    EXPECT_FALSE(result.ok) << ActionName(action);
    EXPECT_THAT(result.error, HasSubstr(std::string(ActionName(action)) +
                                        ": cluster_command is not set for this member; set it"));
    EXPECT_THAT(result.error, HasSubstr("plugins/linux_fw/README.md"));
  }
  EXPECT_THAT(calls_->argv, IsEmpty()) << "nothing may reach the member";
}

TEST_F(LinuxFwActionTest, SetRoleWritesTheKeepalivedWordBesideTheRoleFileThenRenames) {
  settings_.role_file = "/run/cutover/role";
  ActionResult result = Perform(Action::kSetRole, {{"role", "active"}});
  EXPECT_TRUE(result.ok) << result.error;
  EXPECT_THAT(OnlyCall(), ElementsAre("sh", "-c",
                                      "tmp=\"$2.cutover-tmp.$$\" && printf '%s\\n' \"$1\" > "
                                      "\"$tmp\" && mv -f -- \"$tmp\" \"$2\" || { rm -f -- "
                                      "\"$tmp\"; exit 1; }",
                                      "cutover-set-role", "MASTER", "/run/cutover/role"));
  calls_->argv.clear();
  EXPECT_TRUE(Perform(Action::kSetRole, {{"role", "standby"}}).ok);
  EXPECT_EQ(OnlyCall()[4], "BACKUP");
}

// The plan moves the role through the routers, then records it here: the probe must
// report the new role, and a second delivery of the same step must change nothing.
TEST(LinuxFwSetRoleTest, TheProbeReportsTheRoleSetRoleRecordedEvenWhenDeliveredTwice) {
  FakeMember member;
  member.settings.role_file = member.dir.Write("role", "MASTER\n");
  auto driver = member.Driver();
  ASSERT_EQ(driver->Probe(Deadline()).role, "active");

  for (int delivery = 1; delivery <= 2; ++delivery) {
    ActionResult result = driver->Perform({Action::kSetRole, {{"role", "standby"}}});
    ASSERT_TRUE(result.ok) << "delivery " << delivery << ": " << result.error;
    EXPECT_EQ(testing::ReadFile(member.settings.role_file), "BACKUP\n");
    MemberStatus status = driver->Probe(Deadline());
    ASSERT_TRUE(status.up) << status.error;
    EXPECT_EQ(status.role, "standby") << "delivery " << delivery;
    EXPECT_EQ(status.accepting_new_connections, false);
  }
  ASSERT_TRUE(driver->Perform({Action::kSetRole, {{"role", "active"}}}).ok);
  EXPECT_EQ(driver->Probe(Deadline()).role, "active");

  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(member.dir.path()))
    if (entry.path().filename().string().find("cutover-tmp") != std::string::npos)
      left.push_back(entry.path().string());
  EXPECT_THAT(left, IsEmpty()) << "set_role left its temporary file behind";
}

TEST(LinuxFwSetRoleTest, AFailedWriteFailsTheActionNamingTheFile) {
  FakeMember member;
  member.settings.role_file = member.dir.File("no-such-dir/role");
  ActionResult result = member.Driver()->Perform({Action::kSetRole, {{"role", "active"}}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("set_role on fake fw1"));
  EXPECT_THAT(result.error, HasSubstr("no-such-dir/role"));
}

TEST_F(LinuxFwActionTest, SetRoleWithoutARoleFileSaysWhatToConfigure) {
  ActionResult result = Perform(Action::kSetRole, {{"role", "active"}});
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("set_role: role_file is not set for this member"));
  EXPECT_THAT(result.error, HasSubstr("move the role with set_priority"))
      << "with keepalived the VRRP state file is keepalived's, never cutover's";
  EXPECT_THAT(calls_->argv, IsEmpty());
}

TEST_F(LinuxFwActionTest, SetRoleRefusesAnythingButActiveOrStandby) {
  settings_.role_file = "/run/cutover/role";
  for (std::string bad : {"master", "MASTER", "", "active; reboot", "fault", "stopped"}) {
    ActionResult result = Perform(Action::kSetRole, {{"role", bad}});
    EXPECT_FALSE(result.ok) << "role '" << bad << "' was accepted";
    EXPECT_THAT(result.error, HasSubstr("set to active or standby, not '" + bad + "'"));
  }
  ActionResult missing = Perform(Action::kSetRole);
  EXPECT_FALSE(missing.ok);
  EXPECT_THAT(missing.error, HasSubstr("needs parameter 'role'"));
  EXPECT_THAT(calls_->argv, IsEmpty()) << "a refused parameter must not reach the member";
}

// A rehearsal prints what a run sends: each test runs Perform over the recording transport,
// writes down what reached the member, and compares it with Describe on a fresh driver.
class LinuxFwDescribeTest : public LinuxFwActionTest {
 protected:
  // What a rehearsal shows for `request`; fails the test if anything reached the member.
  std::vector<std::string> Described(const ActionRequest& request) {
    calls_->argv.clear();
    std::vector<std::string> lines = Driver()->Describe(request);
    EXPECT_THAT(calls_->argv, IsEmpty())
        << "describing " << ActionName(request.action) << " sent a command to the member";
    return lines;
  }
  // What Perform sent for `request`, written as a rehearsal writes commands; a refusal
  // that sent nothing is written as the rehearsal's refusal line.
  std::vector<std::string> Performed(const ActionRequest& request) {
    calls_->argv.clear();
    ActionResult result = Driver()->Perform(request);
    if (calls_->argv.empty()) return DescribeRefusal(result.error);
    EXPECT_TRUE(result.ok) << ActionName(request.action) << ": " << result.error;
    std::vector<std::string> lines;
    for (const auto& argv : calls_->argv) lines.push_back("fake fw1: " + ShellLine(argv));
    return lines;
  }
  void ExpectEveryDeclaredActionDescribedAsPerformed() {
    for (Action action : LinuxFwDriverDescriptor().actions) {
      ActionRequest request{action, ParamsFor(action)};
      std::vector<std::string> described = Described(request);
      EXPECT_FALSE(described.empty()) << ActionName(action);
      EXPECT_EQ(described, Performed(request))
          << "the rehearsal of " << ActionName(action) << " differs from what it runs";
    }
  }
  static std::map<std::string, std::string> ParamsFor(Action action) {
    switch (action) {
      case Action::kSetPriority:
        return {{"priority", "-100"}};
      case Action::kSetRole:
        return {{"role", "standby"}};
      case Action::kUpgrade:
        return {{"version", "1:2.2.8-1+deb12u1"}};
      case Action::kRun:
        return {{"command", "systemctl restart keepalived"}};
      default:
        return {};
    }
  }
};

TEST_F(LinuxFwDescribeTest, DescribeOfResyncNamesTheCommandsResyncRuns) {
  settings_.conntrackd_config = "/etc/conntrackd/site a.conf";
  EXPECT_THAT(Described({Action::kResync, {}}),
              ElementsAre("fake fw1: conntrackd -C '/etc/conntrackd/site a.conf' -n"));
  EXPECT_EQ(Described({Action::kResync, {}}), Performed({Action::kResync, {}}));
}

TEST_F(LinuxFwDescribeTest, DescribeOfEachActionOfAVrrpPairNamesTheCommandsItRuns) {
  ExpectEveryDeclaredActionDescribedAsPerformed();
}

TEST_F(LinuxFwDescribeTest, DescribeOfEachActionOfALoadSharingMemberNamesTheSiteCommand) {
  settings_.cluster_command = "/usr/local/sbin/cluster-member --site 'lab a'";
  ExpectEveryDeclaredActionDescribedAsPerformed();
  EXPECT_THAT(Described({Action::kStartDrain, {}}),
              ElementsAre("fake fw1: sh -c '/usr/local/sbin/cluster-member --site '\\''lab a'\\'' "
                          "\"$1\"' cutover-cluster-command start_drain"));
}

TEST_F(LinuxFwDescribeTest, DescribeOfEachActionOfABgpSelectedPairNamesTheRoleFile) {
  settings_.role_file = "/run/cutover/role file";
  ExpectEveryDeclaredActionDescribedAsPerformed();
  std::vector<std::string> lines = Described({Action::kSetRole, {{"role", "active"}}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("cutover-set-role MASTER '/run/cutover/role file'"));
}

TEST_F(LinuxFwDescribeTest, DescribeOfADisconnectNamesEveryInterface) {
  settings_.interfaces = {"eth1", "eth2 ext"};
  std::vector<std::string> lines = Described({Action::kDisconnect, {}});
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr("ip link set dev \"$dev\" down"));
  EXPECT_THAT(lines[0], HasSubstr("cutover-disconnect eth1 'eth2 ext'"));
  EXPECT_EQ(lines, Performed({Action::kDisconnect, {}}));
}

TEST_F(LinuxFwDescribeTest, DescribeOfARefusedActionSaysWhyNothingWouldBeSent) {
  EXPECT_THAT(
      Described({Action::kSetPriority, {{"priority", "50; reboot"}}}),
      ElementsAre(::testing::AllOf(::testing::StartsWith("nothing would be sent: set_priority: "),
                                   HasSubstr("between -254 and 254"))));
  settings_.upgrade_command.clear();
  EXPECT_THAT(Described({Action::kUpgrade, {{"version", "2.2.8"}}}),
              ElementsAre(HasSubstr("upgrade_command is empty")));
  EXPECT_THAT(
      Described({Action::kSetRole, {{"role", "active"}}}),
      ElementsAre(::testing::AllOf(::testing::StartsWith("nothing would be sent: set_role: "),
                                   HasSubstr("role_file is not set"))));
}

}  // namespace
}  // namespace cutover
