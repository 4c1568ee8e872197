// The lab (lab/lab.sh) brought up for real: namespaces, FRR or keepalived choosing the
// active member, nftables and conntrackd on each member, sshd for the drivers. Each test
// reads like the operator's check of a fresh lab and ends with `lab.sh down` leaving
// nothing behind.
//
// There is one lab per machine (its names are fixed, prefix co-). The tests bring it up
// with `--owner` their own PID, so a lab left by a crashed or killed run gives way to the
// next `up`; a lab someone else brought up fails the test rather than being torn down
// under them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/process.h"
#include "common/strings.h"
#include "tests/lab/topology/netns_tcp.h"
#include "tests/support/background_process.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr int kServicePort = 7000;
constexpr char kClientNs[] = "co-client";
constexpr char kServerNs[] = "co-server";
constexpr char kServerAddress[] = "10.99.2.10";
constexpr char kLabRecord[] = "/run/co-lab/lab.env";

std::string LabScript() { return std::string(CUTOVER_SOURCE_DIR) + "/lab/lab.sh"; }

ProcessResult RunCommand(const std::vector<std::string>& argv,
                         std::chrono::milliseconds timeout = std::chrono::milliseconds(20000)) {
  ProcessOptions options;
  options.timeout = timeout;
  return RunProcess(argv, options);
}

ProcessResult Lab(std::vector<std::string> args,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds(90000)) {
  args.insert(args.begin(), LabScript());
  return RunCommand(args, timeout);
}

ProcessResult InMember(const std::string& member, const std::string& line) {
  return RunCommand({"ip", "netns", "exec", "co-" + member, "sh", "-c", line});
}

// A value of the lab's record, e.g. "OWNER_PID" for LAB_OWNER_PID; "" without a lab.
std::string Recorded(const std::string& name) {
  std::string record = testing::ReadFile(kLabRecord);
  std::string prefix = "LAB_" + name + "=";
  for (std::string_view line : SplitLines(record)) {
    if (StartsWith(line, prefix)) return std::string(line.substr(prefix.size()));
  }
  return "";
}

std::string Owner() { return std::to_string(getpid()); }

// The flows of the service crossing a member's kernel table, any TCP state.
int ServiceFlows(const std::string& member) {
  ProcessResult listed =
      InMember(member, "conntrack -L -p tcp --dport " + std::to_string(kServicePort));
  return static_cast<int>(SplitLines(listed.out).size());
}

bool KernelHasFlowFrom(const std::string& member, int client_port) {
  return InMember(member, "conntrack -L -p tcp --sport " + std::to_string(client_port) +
                              " --dport " + std::to_string(kServicePort))
             .out.find("src=10.99.1.10") != std::string::npos;
}

std::vector<std::string> LabNamespaces() {
  std::vector<std::string> found;
  std::string list = RunCommand({"ip", "netns", "list"}).out;
  for (std::string_view line : SplitLines(list)) {
    if (StartsWith(line, "co-")) found.emplace_back(SplitFields(line)[0]);
  }
  return found;
}

// Lab daemons found anywhere on the machine: FRR pathspaces co-* and daemons whose
// command line names this test's state directory.
std::vector<std::string> LabProcesses(const std::string& state_dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    if (!ParseUint(entry.path().filename().string())) continue;
    std::string cmdline = testing::ReadFile(entry.path().string() + "/cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(" -N co-") != std::string::npos ||
        (cmdline.find(state_dir + "/") != std::string::npos &&
         cmdline.find("lab_topology_test") == std::string::npos)) {
      found.push_back(entry.path().filename().string() + ": " + cmdline);
    }
  }
  return found;
}

class LabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the lab creates network namespaces: run the test as root";
  }

  // Also after a failed assertion: the next run must find the machine clean. Never a lab
  // this test did not start.
  void TearDown() override {
    if (Recorded("OWNER_PID") == Owner()) Lab({"down"});
  }

  ProcessResult Up(const std::string& selection, int members = 2) {
    auto started = std::chrono::steady_clock::now();
    ProcessResult up =
        Lab({"up", "--selection", selection, "--members", std::to_string(members), "--state-dir",
             dir_.path(), "--service-port", std::to_string(kServicePort), "--upgrade-seconds", "1",
             "--owner", Owner()});
    up_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    std::cerr << "lab.sh up --selection " << selection << " took " << up_duration_.count()
              << " ms\n"
              << up.err;
    return up;
  }

  std::string ExternalCache(const std::string& member) {
    return InMember(member, "conntrackd -C " + dir_.File(member + "/conntrackd.conf") + " -e").out;
  }

  std::string Log(const std::string& file) { return testing::ReadFile(dir_.File(file)); }

  // Opens `count` short connections through the lab, each echoing once.
  void OpenShortConnections(int count) {
    for (int i = 0; i < count; ++i) {
      testing::TcpConnection c;
      std::string error;
      ASSERT_TRUE(c.Connect(kClientNs, kServerAddress, kServicePort, 3s, &error)) << error;
      ASSERT_TRUE(c.Echoes("short " + std::to_string(i) + "\n", 3s)) << "short connection " << i;
    }
  }

  void ExpectNothingLeft() {
    EXPECT_THAT(LabNamespaces(), ::testing::IsEmpty());
    EXPECT_THAT(LabProcesses(dir_.path()), ::testing::IsEmpty());
    EXPECT_THAT(RunCommand({"ip", "-o", "-4", "addr", "show"}).out, Not(HasSubstr("172.31.250.")))
        << "the host's management address is still configured";
    EXPECT_NE(RunCommand({"ip", "link", "show", "co-mgmt"}).exit_status, 0) << "co-mgmt link left";
    std::error_code ec;
    for (const char* root : {"/etc/frr", "/var/run/frr"}) {
      for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        EXPECT_FALSE(StartsWith(entry.path().filename().string(), "co-")) << entry.path();
      }
    }
    EXPECT_FALSE(std::filesystem::exists("/run/co-lab"));
  }

  testing::TempDir dir_;
  std::chrono::milliseconds up_duration_{0};
};

TEST_F(LabTest, BgpSelectedPairCarriesTrafficThroughTheActiveMemberAndHandsItOverStatefully) {
  ProcessResult up = Up("bgp");
  ASSERT_EQ(up.exit_status, 0) << up.out << up.err;
  EXPECT_LT(up_duration_, 30s) << "BGP took too long to converge";

  // Both routers have a session with each member and route through fw1.
  for (const char* router : {"rtr-c", "rtr-s"}) {
    ProcessResult summary = RunCommand(
        {"vtysh", "-N", std::string("co-") + router, "-c", "show bgp summary established"});
    EXPECT_THAT(summary.out, HasSubstr("Total number of neighbors 2")) << router << summary.err;
  }
  EXPECT_THAT(RunCommand({"ip", "-n", "co-rtr-c", "route", "show", "10.99.2.0/24"}).out,
              HasSubstr("via 10.99.10.11 dev br-outside proto bgp"));
  EXPECT_THAT(RunCommand({"ip", "-n", "co-rtr-s", "route", "show", "10.99.1.0/24"}).out,
              HasSubstr("via 10.99.20.11 dev br-inside proto bgp"));
  EXPECT_EQ(Trim(Lab({"active"}).out), "fw1");

  // A long-lived session and a few short ones cross fw1 only.
  testing::EchoServer server;
  std::string error;
  ASSERT_TRUE(server.Start(kServerNs, kServerAddress, kServicePort, &error)) << error;
  testing::TcpConnection long_lived;
  ASSERT_TRUE(long_lived.Connect(kClientNs, kServerAddress, kServicePort, 3s, &error)) << error;
  ASSERT_TRUE(long_lived.Echoes("hello\n", 3s));
  OpenShortConnections(10);
  EXPECT_GE(ServiceFlows("fw1"), 11);
  EXPECT_EQ(ServiceFlows("fw2"), 0) << "traffic leaked through the standby";

  // The standby holds the session in conntrackd's external cache, not in its kernel.
  std::string sport = "sport=" + std::to_string(long_lived.local_port()) + " ";
  EXPECT_TRUE(
      testing::WaitUntil([&] { return ExternalCache("fw2").find(sport) != std::string::npos; }, 5s))
      << "fw2's external cache lacks the session:\n"
      << ExternalCache("fw2") << Log("fw2/conntrackd.log");

  // Role change: routing policy on the members and a soft clear; fw2 commits the states.
  auto fw1_before = ServiceFlows("fw1");
  ProcessResult role = Lab({"role", "fw2"});
  ASSERT_EQ(role.exit_status, 0) << role.err;
  std::cerr << role.err;
  EXPECT_EQ(Trim(Lab({"active"}).out), "fw2");
  EXPECT_THAT(RunCommand({"ip", "-n", "co-rtr-c", "route", "show", "10.99.2.0/24"}).out,
              HasSubstr("via 10.99.10.12"));
  EXPECT_THAT(testing::ReadFile(dir_.File("fw2/vrrp-state")), HasSubstr("MASTER"));
  EXPECT_THAT(testing::ReadFile(dir_.File("fw1/vrrp-state")), HasSubstr("BACKUP"));
  EXPECT_TRUE(long_lived.Echoes("after the role change\n", 3s))
      << "the session established through fw1 broke when fw2 took over";
  auto fw2_before = ServiceFlows("fw2");
  OpenShortConnections(10);
  EXPECT_EQ(ServiceFlows("fw2"), fw2_before + 10) << "new connections should cross fw2";
  EXPECT_EQ(ServiceFlows("fw1"), fw1_before) << "new connections still cross fw1";

  // Without state a member drops a session's packets (nf_conntrack_tcp_loose=0): this
  // is what makes the lab measure state sync at all.
  testing::TcpConnection forgotten;
  ASSERT_TRUE(forgotten.Connect(kClientNs, kServerAddress, kServicePort, 3s, &error)) << error;
  ASSERT_TRUE(forgotten.Echoes("before\n", 3s));
  ASSERT_TRUE(KernelHasFlowFrom("fw2", forgotten.local_port()));
  InMember("fw2", "conntrack -D -p tcp --sport " + std::to_string(forgotten.local_port()));
  EXPECT_FALSE(forgotten.Echoes("after forgetting\n", 1500ms))
      << "fw2 forwarded a mid-stream packet it had no state for";
  EXPECT_TRUE(long_lived.Echoes("still here\n", 3s));

  // The management network is for the drivers only: the routers do not forward into it.
  testing::TcpConnection to_management;
  EXPECT_FALSE(to_management.Connect(kClientNs, "172.31.250.11", 22, 1500ms, &error))
      << "the client reached fw1's sshd through rtr-c";

  // The drivers' way in: SSH with the lab's key and known_hosts, no trust on first use.
  std::vector<std::string> ssh = {"ssh",
                                  "-i",
                                  dir_.File("ssh/id_ed25519"),
                                  "-o",
                                  "UserKnownHostsFile=" + dir_.File("ssh/known_hosts"),
                                  "-o",
                                  "GlobalKnownHostsFile=/dev/null",
                                  "-o",
                                  "StrictHostKeyChecking=yes",
                                  "-o",
                                  "BatchMode=yes",
                                  "root@172.31.250.11"};
  auto ssh_fw1 = [&](const std::string& command) {
    std::vector<std::string> argv = ssh;
    argv.push_back(command);
    return RunCommand(argv);
  };
  ProcessResult who = ssh_fw1("cat " + dir_.File("fw1/version") + " && ip -o -4 addr show outside");
  ASSERT_EQ(who.exit_status, 0) << who.err;
  EXPECT_THAT(who.out, HasSubstr("1.0.0"));
  EXPECT_THAT(who.out, HasSubstr("10.99.10.11/24")) << "the SSH session is not inside co-fw1";
  std::vector<std::string> untrusted = ssh;
  untrusted[4] = "UserKnownHostsFile=/dev/null";
  untrusted.push_back("true");
  EXPECT_NE(RunCommand(untrusted).exit_status, 0) << "an unknown host key was accepted";

  // Upgrading the standby through its upgrade command: down, new version, back in BGP.
  ProcessResult upgrade = ssh_fw1(dir_.File("fw1/bin/co-upgrade") + " 2.0.0");
  ASSERT_EQ(upgrade.exit_status, 0) << upgrade.out << upgrade.err;
  EXPECT_EQ(Trim(testing::ReadFile(dir_.File("fw1/version"))), "2.0.0");
  EXPECT_THAT(Log("fw1/upgrade.log"), HasSubstr("stopping services"));
  EXPECT_TRUE(testing::WaitUntil([&] { return Lab({"status"}).exit_status == 0; }, 15s))
      << Lab({"status"}).out;
  EXPECT_EQ(Trim(Lab({"active"}).out), "fw2") << "the upgraded standby took the role back";
  EXPECT_TRUE(long_lived.Echoes("after the upgrade\n", 3s));

  long_lived.Close();
  forgotten.Close();
  ProcessResult down = Lab({"down"});
  EXPECT_EQ(down.exit_status, 0) << down.err;
  ExpectNothingLeft();
  EXPECT_EQ(Lab({"down"}).exit_status, 0) << "a second down should find nothing to do";
}

TEST_F(LabTest, VrrpSelectedPairMovesTheVirtualAddressesAndTheStates) {
  ProcessResult up = Up("vrrp");
  ASSERT_EQ(up.exit_status, 0) << up.out << up.err;
  EXPECT_EQ(Trim(testing::ReadFile(dir_.File("fw1/vrrp-state"))), "GROUP co_firewall MASTER 0");
  EXPECT_EQ(Trim(testing::ReadFile(dir_.File("fw2/vrrp-state"))), "GROUP co_firewall BACKUP 0");

  testing::EchoServer server;
  std::string error;
  ASSERT_TRUE(server.Start(kServerNs, kServerAddress, kServicePort, &error)) << error;
  testing::TcpConnection long_lived;
  ASSERT_TRUE(long_lived.Connect(kClientNs, kServerAddress, kServicePort, 3s, &error)) << error;
  ASSERT_TRUE(long_lived.Echoes("hello\n", 3s));
  EXPECT_TRUE(KernelHasFlowFrom("fw1", long_lived.local_port()));
  EXPECT_FALSE(KernelHasFlowFrom("fw2", long_lived.local_port()));
  std::string sport = "sport=" + std::to_string(long_lived.local_port()) + " ";
  ASSERT_TRUE(
      testing::WaitUntil([&] { return ExternalCache("fw2").find(sport) != std::string::npos; }, 5s))
      << ExternalCache("fw2");

  // What the linux-fw driver's set_priority does: a track-file offset.
  ProcessResult role = Lab({"role", "fw2"});
  ASSERT_EQ(role.exit_status, 0) << role.err << Log("fw2/keepalived.out");
  std::cerr << role.err;
  EXPECT_EQ(Trim(testing::ReadFile(dir_.File("fw2/vrrp-state"))), "GROUP co_firewall MASTER 0");
  EXPECT_TRUE(KernelHasFlowFrom("fw2", long_lived.local_port()))
      << "the notify script did not commit the external cache on the new master:\n"
      << Log("fw2/notify.log");
  EXPECT_TRUE(long_lived.Echoes("after the role change\n", 5s))
      << "the session broke when fw2 took the virtual addresses";

  long_lived.Close();
  ProcessResult down = Lab({"down"});
  EXPECT_EQ(down.exit_status, 0) << down.err;
  ExpectNothingLeft();
}

// The load-sharing cluster of the Optimal Service Upgrade: members leave (disconnect) and
// come back (connect) while connections start at 80/s and long sessions come and go.
// A member that leaves hands its connections to fw1, which holds them from the synced
// state; a member that comes back takes new connections under a fresh mark. Nothing may
// break and no connect may fail: each hand-over first stops new connections to the
// leaving member, and the server's side learns a member's fresh mark before the client's
// side sends anything under it.
TEST_F(LabTest, LoadSharingMembersLeaveAndComeBackUnderTrafficWithoutLosingAConnection) {
  ProcessResult up = Up("loadshare", 4);
  ASSERT_EQ(up.exit_status, 0) << up.out << up.err;
  EXPECT_EQ(Trim(Lab({"active"}).out), "fw1 fw2 fw3 fw4");

  const std::string traffic = std::string(CUTOVER_BINARY_DIR) + "/lab/traffic/cutover-traffic";
  const std::string target = std::string(kServerAddress) + ":" + std::to_string(kServicePort);
  testing::BackgroundProcess server;
  ASSERT_TRUE(
      server.Start({"ip", "netns", "exec", kServerNs, traffic, "server", "--listen", target},
                   dir_.File("traffic-server.log")));
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return RunCommand({"ip", "netns", "exec", kServerNs, "ss", "-Htln",
                           "sport = :" + std::to_string(kServicePort)})
                   .out.find("LISTEN") != std::string::npos;
      },
      10s))
      << server.Log();
  testing::BackgroundProcess client;
  ASSERT_TRUE(client.Start(
      {"ip", "netns", "exec", kClientNs, traffic, "client", "--target", target, "--sessions", "200",
       "--new-sessions-per-second", "40", "--long-session-lifetime", "exp:8s", "--tcp-user-timeout",
       "5s", "--report", dir_.File("traffic.json")},
      dir_.File("traffic-client.log")));
  std::this_thread::sleep_for(8s);  // every member carries sessions of every age

  auto cluster = [&](const std::string& member, const std::string& action) {
    ProcessResult done = InMember(member, dir_.File(member + "/bin/co-cluster") + " " + action);
    EXPECT_EQ(done.exit_status, 0) << member << " " << action << ": " << done.err;
  };
  for (int cycle = 1; cycle <= 6; ++cycle) {
    for (const char* member : {"fw2", "fw3", "fw4"}) cluster(member, "disconnect");
    EXPECT_EQ(Trim(Lab({"active"}).out), "fw1") << "cycle " << cycle;
    std::this_thread::sleep_for(5s);
    for (const char* member : {"fw2", "fw3", "fw4"}) cluster(member, "connect");
    EXPECT_EQ(Trim(Lab({"active"}).out), "fw1 fw2 fw3 fw4") << "cycle " << cycle;
    std::this_thread::sleep_for(5s);
  }
  client.Stop();

  rapidjson::Document report;
  report.Parse(testing::ReadFile(dir_.File("traffic.json")).c_str());
  ASSERT_TRUE(report.IsObject() && report.HasMember("summary")) << client.Log();
  std::cerr << "traffic: " << report["summary"].GetString() << "\n";
  std::string steering = Log("steering.log");
  EXPECT_THAT(steering, HasSubstr("now through fw1 (was fw4)")) << "no hand-over happened";
  EXPECT_EQ(report["sessions_broken"].GetUint64(), 0u) << report["summary"].GetString() << "\n"
                                                       << steering;
  EXPECT_EQ(report["connects_failed"].GetUint64(), 0u) << report["summary"].GetString() << "\n"
                                                       << steering;
  EXPECT_GT(report["connects_ok"].GetUint64(), 3000u) << report["summary"].GetString();

  ProcessResult down = Lab({"down"});
  EXPECT_EQ(down.exit_status, 0) << down.err;
  ExpectNothingLeft();
}

TEST_F(LabTest, DownRemovesTheLeftoversOfAnInterruptedUp) {
  testing::BackgroundProcess up;
  ASSERT_TRUE(up.Start({LabScript(), "up", "--state-dir", dir_.path(), "--owner", Owner()},
                       dir_.File("up.log")));
  // Interrupt it once the last member's conntrackd runs (its control socket exists):
  // every node's daemons are up then, the worst moment to lose the script.
  bool daemons_started = testing::WaitUntil(
      [&] { return std::filesystem::exists(dir_.File("fw2/conntrackd.ctl")); }, 20s, 20ms);
  up.Kill();
  ASSERT_TRUE(daemons_started) << up.Log();
  ASSERT_THAT(LabNamespaces(), Not(::testing::IsEmpty()));

  ProcessResult down = Lab({"down"});
  EXPECT_EQ(down.exit_status, 0) << down.err;
  ExpectNothingLeft();
}

// A test killed with its lab up (CI timeout, session ended) must not fail every later
// run: the lab lives for its owner, and once the owner has exited the next `up` takes its
// place. While the owner lives, nobody does.
TEST_F(LabTest, ALabWhoseOwnerHasExitedGivesWayToTheNextUp) {
  testing::BackgroundProcess owner;
  ASSERT_TRUE(owner.Start({"sleep", "600"}, dir_.File("owner.log")));
  const std::string owner_pid = std::to_string(owner.pid());
  testing::TempDir first_state;
  ProcessResult first = Lab(
      {"up", "--state-dir", first_state.path(), "--owner", owner_pid, "--upgrade-seconds", "1"});
  ASSERT_EQ(first.exit_status, 0) << first.err;

  ProcessResult while_owner_lives = Up("bgp");
  EXPECT_EQ(while_owner_lives.exit_status, 1);
  EXPECT_THAT(while_owner_lives.err, HasSubstr("run lab.sh down first"));
  EXPECT_EQ(Recorded("STATE_DIR"), first_state.path()) << "the owner's lab was touched";

  owner.Kill();
  ProcessResult after_owner_exited = Up("bgp");
  ASSERT_EQ(after_owner_exited.exit_status, 0) << after_owner_exited.err;
  EXPECT_THAT(after_owner_exited.err,
              HasSubstr("taking the place of a lab abandoned by exited process " + owner_pid));
  EXPECT_EQ(Recorded("STATE_DIR"), dir_.path());
  EXPECT_EQ(Recorded("OWNER_PID"), Owner());
  for (const std::string& process : LabProcesses(first_state.path())) {
    EXPECT_THAT(process, Not(HasSubstr(first_state.path()))) << "a daemon of the abandoned lab";
  }
}

}  // namespace
}  // namespace cutover
