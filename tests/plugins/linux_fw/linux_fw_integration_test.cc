// The linux-fw driver against a real firewall pair: two network namespaces joined by a
// veth link, conntrackd 1.4.7 in FTFW mode in each, and keepalived 2.2.7 for the VRRP
// test. The driver reaches each member through `ip netns exec` (LocalTransport) and runs
// exactly the probe script and action commands it would send over SSH.
//
// Addresses (10.231.7.0/24 on the link, 192.168.50.x in inserted conntrack entries) exist
// only inside the namespaces; no traffic leaves them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>

#include "common/process.h"
#include "common/strings.h"
#include "plugins/linux_fw/linux_fw_driver.h"
#include "plugins/transport/local_transport.h"
#include "tests/support/background_process.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr char kNamespacePrefix[] = "lfwit";
constexpr int kInserted = 25;

ProcessResult RunCommand(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.timeout = 15s;
  return RunProcess(argv, options);
}

// Runs a shell line inside a namespace; the test's own commands, not the driver's.
ProcessResult InNamespace(const std::string& ns, const std::string& line) {
  return RunCommand({"ip", "netns", "exec", ns, "sh", "-c", line});
}

void DeleteNamespace(const std::string& ns) {
  // A daemon left inside (crashed run) would keep its sockets; end it first.
  ProcessResult pids = RunCommand({"ip", "netns", "pids", ns});
  for (auto pid : SplitFields(pids.out)) {
    if (auto n = ParseUint(pid)) kill(static_cast<pid_t>(*n), SIGKILL);
  }
  RunCommand({"ip", "netns", "del", ns});
}

// Namespaces are named lfwit<pid>-a/-b so parallel test processes do not collide; those
// of test processes that no longer exist are leftovers of a crashed run.
void DeleteStaleNamespaces() {
  ProcessResult list = RunCommand({"ip", "netns", "list"});
  for (std::string_view line : SplitLines(list.out)) {
    auto fields = SplitFields(line);
    if (fields.empty() || !StartsWith(fields[0], kNamespacePrefix)) continue;
    std::string_view name = fields[0];
    auto pid = ParseUint(
        name.substr(sizeof(kNamespacePrefix) - 1, name.find('-') - (sizeof(kNamespacePrefix) - 1)));
    if (pid && static_cast<pid_t>(*pid) != getpid() && kill(static_cast<pid_t>(*pid), 0) == 0)
      continue;
    DeleteNamespace(std::string(name));
  }
}

struct Member {
  std::string ns;
  std::string link;  // veth end inside ns
  std::string address;
  std::string conntrackd_config;
  std::string state_file;
  testing::BackgroundProcess conntrackd;
  testing::BackgroundProcess keepalived;
  std::unique_ptr<LinuxFwDriver> driver;
};

class LinuxFwPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "network namespaces need root";
    DeleteStaleNamespaces();
    std::string base = kNamespacePrefix + std::to_string(getpid());
    a_.ns = base + "-a";
    b_.ns = base + "-b";
    a_.link = "lfw-a";
    b_.link = "lfw-b";
    a_.address = "10.231.7.1";
    b_.address = "10.231.7.2";
    for (Member* m : {&a_, &b_}) {
      ProcessResult added = RunCommand({"ip", "netns", "add", m->ns});
      ASSERT_EQ(added.exit_status, 0) << added.err;
    }
    ProcessResult veth = RunCommand({"ip", "link", "add", a_.link, "netns", a_.ns, "type", "veth",
                                     "peer", "name", b_.link, "netns", b_.ns});
    ASSERT_EQ(veth.exit_status, 0) << veth.err;
    for (Member* m : {&a_, &b_}) {
      ProcessResult up =
          InNamespace(m->ns, "ip link set lo up && ip addr add " + m->address + "/24 dev " +
                                 m->link + " && ip link set " + m->link + " up");
      ASSERT_EQ(up.exit_status, 0) << up.err;
    }
    StartConntrackd(&a_, b_.address);
    StartConntrackd(&b_, a_.address);
    // What keepalived's notify script would have written (the VRRP test runs keepalived).
    a_.state_file = dir_.Write("a/vrrp-state", "INSTANCE VI_1 MASTER 150\n");
    b_.state_file = dir_.Write("b/vrrp-state", "INSTANCE VI_1 BACKUP 100\n");
    for (Member* m : {&a_, &b_}) {
      LinuxFwSettings settings;
      settings.conntrackd_config = m->conntrackd_config;
      settings.vrrp_state_file = m->state_file;
      settings.vrrp_track_file = dir_.File(m->ns.substr(m->ns.size() - 1) + "/vrrp-priority");
      settings.interfaces = {m->link};
      settings.config_digest_command = "nft -s list ruleset && cat \"$CONNTRACKD_CONFIG\"";
      settings.command_timeout = 10s;
      m->driver = std::make_unique<LinuxFwDriver>(
          settings,
          std::make_unique<LocalTransport>(std::vector<std::string>{"ip", "netns", "exec", m->ns}));
    }
  }

  void TearDown() override {
    for (Member* m : {&a_, &b_}) {
      m->keepalived.Stop();
      m->conntrackd.Stop();
      if (!m->ns.empty()) DeleteNamespace(m->ns);
    }
  }

  void StartConntrackd(Member* m, const std::string& peer) {
    std::string d = dir_.path() + "/" + m->ns.substr(m->ns.size() - 1);
    m->conntrackd_config = dir_.Write(m->ns.substr(m->ns.size() - 1) + "/conntrackd.conf",
                                      "Sync {\n"
                                      "  Mode FTFW {\n  }\n"
                                      "  UDP {\n"
                                      "    IPv4_address " +
                                          m->address +
                                          "\n"
                                          "    IPv4_Destination_Address " +
                                          peer +
                                          "\n"
                                          "    Port 3780\n"
                                          "    Interface " +
                                          m->link +
                                          "\n"
                                          "    Checksum on\n"
                                          "  }\n"
                                          "}\n"
                                          "General {\n"
                                          "  HashSize 8192\n"
                                          "  HashLimit 65536\n"
                                          "  LogFile " +
                                          d +
                                          "/conntrackd.log\n"
                                          "  LockFile " +
                                          d +
                                          "/conntrackd.lock\n"
                                          "  UNIX {\n    Path " +
                                          d +
                                          "/conntrackd.ctl\n  }\n"
                                          "}\n");
    ASSERT_TRUE(m->conntrackd.Start(
        {"ip", "netns", "exec", m->ns, "conntrackd", "-C", m->conntrackd_config},
        d + "/conntrackd.out"));
    bool answering =
        testing::WaitUntil([&] { return Conntrackd(*m, "-s").exit_status == 0; }, 5s, 100ms);
    ASSERT_TRUE(answering) << "conntrackd in " << m->ns << " did not answer:\n"
                           << m->conntrackd.Log() << testing::ReadFile(d + "/conntrackd.log");
  }

  ProcessResult Conntrackd(const Member& m, const std::string& args) {
    return InNamespace(m.ns, "conntrackd -C " + m.conntrackd_config + " " + args);
  }

  void InsertEstablishedConnections(const Member& m) {
    ProcessResult inserted = InNamespace(
        m.ns, "for i in $(seq 1 " + std::to_string(kInserted) +
                  "); do conntrack -I -p tcp -s 192.168.50.$i -d 192.168.60.1 "
                  "--sport $((30000+i)) --dport 443 --state ESTABLISHED -u ASSURED -t 600 "
                  "2>/dev/null || exit 1; done");
    ASSERT_EQ(inserted.exit_status, 0) << inserted.err;
  }

  static double Value(const MemberStatus& s, SyncMetric metric) {
    auto it = s.sync.values.find(metric);
    return it == s.sync.values.end() ? -1 : it->second;
  }

  // Probes until `condition` holds; returns the last status for the failure message.
  MemberStatus ProbeUntil(Member& m, const std::function<bool(const MemberStatus&)>& condition,
                          std::chrono::milliseconds timeout) {
    MemberStatus last;
    testing::WaitUntil(
        [&] {
          last = m.driver->Probe(
              {std::chrono::steady_clock::now() + 5s, std::chrono::steady_clock::now()});
          return condition(last);
        },
        timeout, 200ms);
    return last;
  }

  MemberStatus WhenPeerHasSynced() {
    return ProbeUntil(
        b_,
        [](const MemberStatus& s) {
          return Value(s, SyncMetric::kExternalCacheEntries) == kInserted;
        },
        5s);
  }

  testing::TempDir dir_;
  Member a_, b_;
};

TEST_F(LinuxFwPairTest, ConnectionsOnTheActiveAreSyncedIntoThePeersExternalCache) {
  InsertEstablishedConnections(a_);
  MemberStatus b = WhenPeerHasSynced();
  MemberStatus a = a_.driver->Probe({std::chrono::steady_clock::now() + 5s, {}});

  ASSERT_TRUE(a.up) << a.error;
  EXPECT_EQ(a.connections, kInserted) << "conntrack -C on the active member";
  EXPECT_EQ(Value(a, SyncMetric::kInternalCacheEntries), kInserted);
  EXPECT_EQ(a.sync.ok, true) << a.sync.state;
  EXPECT_EQ(a.sync.state, "running, syncing over UDP on lfw-a");
  EXPECT_EQ(a.role, "active");
  EXPECT_EQ(a.accepting_new_connections, true);
  EXPECT_FALSE(a.version.empty());
  EXPECT_EQ(a.config_digest.size(), 16u);

  ASSERT_TRUE(b.up) << b.error;
  EXPECT_EQ(Value(b, SyncMetric::kExternalCacheEntries), kInserted)
      << "the standby does not hold the active's states; a failover would drop them";
  EXPECT_EQ(b.connections, 0) << "synced states stay in conntrackd until commit_sync";
  EXPECT_EQ(b.role, "standby");
  EXPECT_EQ(b.accepting_new_connections, false);
  EXPECT_GT(Value(b, SyncMetric::kReceivedMessages), 0);
  EXPECT_EQ(Value(b, SyncMetric::kLostMessages), 0);
}

TEST_F(LinuxFwPairTest, CommitSyncPutsThePeersStatesIntoTheKernel) {
  InsertEstablishedConnections(a_);
  ASSERT_EQ(Value(WhenPeerHasSynced(), SyncMetric::kExternalCacheEntries), kInserted);

  ActionResult commit = b_.driver->Perform({Action::kCommitSync, {}});
  ASSERT_TRUE(commit.ok) << commit.error << "\n" << commit.output;
  MemberStatus b = ProbeUntil(
      b_, [](const MemberStatus& s) { return s.connections == kInserted; }, 5s);
  EXPECT_EQ(b.connections, kInserted) << "after commit_sync the standby's kernel table "
                                         "should hold the active's connections";
}

TEST_F(LinuxFwPairTest, ResyncRefillsAFlushedExternalCache) {
  InsertEstablishedConnections(a_);
  ASSERT_EQ(Value(WhenPeerHasSynced(), SyncMetric::kExternalCacheEntries), kInserted);
  ProcessResult flushed = Conntrackd(b_, "-f external");
  ASSERT_EQ(flushed.exit_status, 0) << flushed.out << flushed.err;
  MemberStatus empty = ProbeUntil(
      b_, [](const MemberStatus& s) { return Value(s, SyncMetric::kExternalCacheEntries) == 0; },
      3s);
  ASSERT_EQ(Value(empty, SyncMetric::kExternalCacheEntries), 0) << empty.error;

  ActionResult resync = b_.driver->Perform({Action::kResync, {}});
  ASSERT_TRUE(resync.ok) << resync.error;
  MemberStatus b = WhenPeerHasSynced();
  EXPECT_EQ(Value(b, SyncMetric::kExternalCacheEntries), kInserted)
      << "resync should ask the active for all its states again";
}

TEST_F(LinuxFwPairTest, StoppedConntrackdMeansSyncNotOk) {
  b_.conntrackd.Stop();
  MemberStatus b = b_.driver->Probe({std::chrono::steady_clock::now() + 5s, {}});
  ASSERT_TRUE(b.up) << "the firewall still forwards without conntrackd: " << b.error;
  EXPECT_EQ(b.sync.ok, false);
  EXPECT_THAT(b.sync.state, HasSubstr("conntrackd not answering"));
  EXPECT_THAT(b.sync.state, HasSubstr("can't connect"));
  EXPECT_TRUE(b.sync.values.empty());
}

TEST_F(LinuxFwPairTest, DisconnectAndConnectSwitchTheInterfaces) {
  auto link_state = [&] { return InNamespace(a_.ns, "ip -o link show dev " + a_.link).out; };
  ActionResult down = a_.driver->Perform({Action::kDisconnect, {}});
  ASSERT_TRUE(down.ok) << down.error;
  EXPECT_THAT(link_state(), HasSubstr("state DOWN"));
  ActionResult up = a_.driver->Perform({Action::kConnect, {}});
  ASSERT_TRUE(up.ok) << up.error;
  EXPECT_TRUE(
      testing::WaitUntil([&] { return link_state().find("state UP") != std::string::npos; }, 3s))
      << link_state();
}

// The README's keepalived snippet, for real: notify writes the state file the driver
// reads, and set_priority's file is the track_file keepalived adds to the priority.
TEST_F(LinuxFwPairTest, SetPriorityHandsTheActiveRoleToThePeer) {
  for (Member* m : {&a_, &b_}) {
    std::string d = dir_.path() + "/" + m->ns.substr(m->ns.size() - 1);
    std::string notify =
        dir_.Write(m->ns.substr(m->ns.size() - 1) + "/vrrp-notify",
                   "#!/bin/sh\n"
                   "# keepalived appends: INSTANCE|GROUP <name> <state> <priority>\n"
                   "printf '%s %s %s %s\\n' \"$1\" \"$2\" \"$3\" \"$4\" > " +
                       m->state_file +
                       ".tmp && "
                       "mv " +
                       m->state_file + ".tmp " + m->state_file + "\n",
                   0755);
    dir_.Write(m->ns.substr(m->ns.size() - 1) + "/vrrp-state", "");  // nothing known yet
    std::string priority = m == &a_ ? "150" : "100";
    std::string conf = dir_.Write(m->ns.substr(m->ns.size() - 1) + "/keepalived.conf",
                                  "global_defs {\n  script_user root\n  enable_script_security\n}\n"
                                  "track_file cutover_priority {\n  file " +
                                      d +
                                      "/vrrp-priority\n  init_file 0\n}\n"
                                      "vrrp_instance VI_1 {\n"
                                      "  interface " +
                                      m->link +
                                      "\n"
                                      "  state BACKUP\n"
                                      "  virtual_router_id 51\n"
                                      "  priority " +
                                      priority +
                                      "\n"
                                      "  advert_int 1\n"
                                      "  virtual_ipaddress {\n    10.231.7.100/24\n  }\n"
                                      "  track_file {\n    cutover_priority weight 1\n  }\n"
                                      "  notify " +
                                      notify +
                                      "\n"
                                      "}\n");
    ASSERT_TRUE(m->keepalived.Start(
        {"ip", "netns", "exec", m->ns, "keepalived", "-n", "-l", "-f", conf, "-p",
         d + "/keepalived.pid", "-r", d + "/vrrp.pid", "-c", d + "/checkers.pid"},
        d + "/keepalived.log"));
  }
  auto role_is = [](const std::string& role) {
    return [role](const MemberStatus& s) { return s.up && s.role == role; };
  };
  MemberStatus a = ProbeUntil(a_, role_is("active"), 10s);
  ASSERT_EQ(a.role, "active") << a.error << "\n" << a_.keepalived.Log();
  EXPECT_EQ(a.accepting_new_connections, true);
  MemberStatus b = ProbeUntil(b_, role_is("standby"), 3s);
  ASSERT_EQ(b.role, "standby") << b.error << "\n" << b_.keepalived.Log();

  ActionResult demote = a_.driver->Perform({Action::kSetPriority, {{"priority", "-100"}}});
  ASSERT_TRUE(demote.ok) << demote.error;
  b = ProbeUntil(b_, role_is("active"), 8s);
  EXPECT_EQ(b.role, "active") << "priority 150-100 should lose to 100\n" << b_.keepalived.Log();
  a = ProbeUntil(a_, role_is("standby"), 3s);
  EXPECT_EQ(a.role, "standby") << a_.keepalived.Log();
  EXPECT_EQ(a.accepting_new_connections, false);
}

}  // namespace
}  // namespace cutover
