// Check Point's Optimal Service Upgrade of a 4-member Load Sharing cluster, end to end on
// loopback: examples/plans/optimal-service-upgrade.yml (the plan the Linux lab runs) against
// four stand-in gateways (tests/plugins/checkpoint/standin, one cluster: cluster_state.sh)
// each behind its own real sshd. The real cutover-exporter probes them with the checkpoint
// driver, a real Prometheus evaluates alerts/cutover.rules.yml, a real Alertmanager routes
// with alerts/alertmanager.yml to the real cutover-actions, and cutoverctl starts the run.
// The test plays what the operator watches for: fw1's connection table draining.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "actions/engine/journal_record.h"
#include "actions/journal/journal.h"
#include "common/strings.h"
#include "plugins/transport/http_client.h"
#include "tests/actions/api/actions_harness.h"
#include "tests/plugins/checkpoint/checkpoint_fixtures.h"
#include "tests/support/background_process.h"
#include "tests/support/net.h"
#include "tests/support/sshd_server.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kCluster[] = "lab-ls";
constexpr char kPlan[] = "optimal-service-upgrade";
constexpr char kOldVersion[] = "R81.10";
constexpr char kNewVersion[] = "R81.20";
constexpr char kCutoverStep[] = "cutover-old-upgrade-mode-off";
constexpr int kDrainThreshold = 10;
// fw1's table as the test drains it; the last level is at or below the threshold.
constexpr int kDrainLevels[] = {400, 200, 60, 8};

double Seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at))
    text.replace(at, from.size(), to), at += to.size();
  return text;
}

// The plan as shipped, and the parameters this run gives it (lab/run-upgrade.sh gives
// the lab's run the same).
std::string ShippedPlan() {
  return ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/examples/plans/optimal-service-upgrade.yml");
}
std::vector<std::string> ParamsForThisRun() {
  return {"--param", std::string("new_version=") + kNewVersion,
          "--param", "old=fw1",
          "--param", "first_new=fw2",
          "--param", "connection_ceiling=5000",
          "--param", "drain_deadline=10m",
          "--param", "drain_policy=wait"};
}

// alerts/cutover.rules.yml with this run's drained threshold and a drain that counts as
// complete after 10 s at or below it (2m in production), adapted as lab/run-upgrade.sh
// does. 10 s, not the lab's 5 s: fw2 waits in READY between steps 3 and 5 for up to about
// 5 s as Prometheus sees it, taking nothing and holding nothing, which the draining rule
// counts as a completed drain; it must not look like one here.
std::string RulesForThisRun() {
  std::istringstream in(ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/alerts/cutover.rules.yml"));
  std::string out, line;
  bool threshold_next = false, in_drain_alert = false;
  int changed = 0;
  while (std::getline(in, line)) {
    if (threshold_next && line.find("expr: vector(") != std::string::npos) {
      line = std::regex_replace(line, std::regex(R"(vector\([0-9.]+\))"),
                                "vector(" + std::to_string(kDrainThreshold) + ")");
      ++changed;
    }
    threshold_next = line.find("record: :cutover_drain_connections:threshold") != std::string::npos;
    if (line.find("alert: CutoverDrainComplete") != std::string::npos) in_drain_alert = true;
    if (in_drain_alert && StartsWith(line, "        for: ")) {
      line = "        for: 10s";
      in_drain_alert = false;
      ++changed;
    }
    out += line + "\n";
  }
  if (changed != 2)
    throw std::runtime_error(
        "alerts/cutover.rules.yml no longer has the drained threshold record or "
        "CutoverDrainComplete's `for:` where this test (and lab/run-upgrade.sh) adapts them");
  return out;
}

// alerts/alertmanager.yml delivering to this test's cutover-actions within a second.
std::string AlertmanagerConfigForThisRun(const std::string& actions_url,
                                         const std::string& token_file) {
  std::string config = ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/alerts/alertmanager.yml");
  config = ReplaceAll(config, "http://127.0.0.1:10471", actions_url);
  config = ReplaceAll(config, "/etc/cutover/actions.token", token_file);
  config = std::regex_replace(config, std::regex("group_wait: [0-9]+s"), "group_wait: 1s");
  return std::regex_replace(config, std::regex("group_interval: [0-9]+[sm]"), "group_interval: 5s");
}

// One gateway of the cluster behind its own sshd, as each real member is its own host.
struct StandinMember {
  explicit StandinMember(std::string member) : name(std::move(member)) {}
  std::string state_dir() const {
    return (std::filesystem::path(gateway.bin_dir()).parent_path() / "state").string();
  }
  std::string name;
  StandinGateway gateway;
  SshdServer sshd{SshdOptions{gateway.bin_dir()}};
};

// One line of the cluster's invocation log (standin_lib.sh).
struct Invocation {
  double at = 0;  // Unix seconds, when the stand-in command started
  std::string member;
  std::string command;
  std::string Line() const { return member + " " + command; }
};

bool IsActionCommand(const std::string& command) {
  for (const char* prefix : {"clusterXL_admin ", "cphacu ", "fwaccel ", "cpuse_upgrade "})
    if (StartsWith(command, prefix)) return true;
  return command == "fw fetch local";
}

// Samples of one PromQL query over a time range: (Unix seconds, value), per series label
// `by` (e.g. member).
using Samples = std::vector<std::pair<double, double>>;

class OptimalServiceUpgradeOnCheckPoint : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(cluster_dir());
    std::string members_file;
    for (const char* name : {"fw1", "fw2", "fw3", "fw4"}) {
      auto member = std::make_unique<StandinMember>(name);
      // Every member answers on the version it had before the upgrade. Load Sharing
      // spreads the connections; a reboot into the new version empties a table.
      member->gateway.SetState("member_name", std::string(name) + "\n");
      member->gateway.SetState("cluster_dir", cluster_dir() + "\n");
      member->gateway.SetConnections(std::string(name) == "fw1" ? kDrainLevels[0] : 380);
      ASSERT_TRUE(member->sshd.Start()) << name << ": " << member->sshd.error();
      members_file += std::string(name) + " " + member->state_dir() + "\n";
      members_.push_back(std::move(member));
    }
    dir_.Write("cluster/members", members_file);
    EXPECT_THAT(ReadFile(members_[0]->state_dir() + "/fw_ver"), HasSubstr(kOldVersion));

    config_file_ = dir_.Write("cutover.yml", ClusterConfig());
    prometheus_port_ = FreeTcpPort();
    actions_ = std::make_unique<ActionsDaemon>(dir_, config_file_, PrometheusUrl());
    actions_->AddPlan(kPlan, ShippedPlan());
    std::vector<std::string> check_args = {"check", "--config.file=" + config_file_,
                                           dir_.File("plans/") + kPlan + ".yml"};
    for (const std::string& arg : ParamsForThisRun()) check_args.push_back(arg);
    ProcessResult check = actions_->Ctl(check_args);
    ASSERT_EQ(check.exit_status, 0) << "the plan does not load against the Check Point cluster:\n"
                                    << check.out << check.err;
    ASSERT_TRUE(actions_->Start()) << "cutover-actions did not start:\n" << actions_->Log();

    exporter_port_ = FreeTcpPort();
    ASSERT_TRUE(
        exporter_.Start({std::string(CUTOVER_BINARY_DIR) + "/exporter/cutover-exporter",
                         "--config.file=" + config_file_,
                         "--web.listen-address=127.0.0.1:" + std::to_string(exporter_port_)},
                        dir_.File("exporter.log")));
    ASSERT_TRUE(WaitForTcpPort(exporter_port_, 15s)) << exporter_.Log();

    alertmanager_port_ = FreeTcpPort();
    std::string am_config = dir_.Write(
        "alertmanager.yml", AlertmanagerConfigForThisRun(actions_->url(), actions_->token_file()));
    // An empty --cluster.listen-address switches gossip off: one instance, no peers.
    ASSERT_TRUE(
        alertmanager_.Start({"prometheus-alertmanager", "--config.file=" + am_config,
                             "--storage.path=" + dir_.File("alertmanager"),
                             "--web.listen-address=127.0.0.1:" + std::to_string(alertmanager_port_),
                             "--cluster.listen-address=", "--log.level=warn"},
                            dir_.File("alertmanager.log")));

    dir_.Write("cutover.rules.yml", RulesForThisRun());
    std::string prometheus_config = dir_.Write("prometheus.yml", PrometheusConfig());
    ASSERT_TRUE(prometheus_.Start(
        {"prometheus", "--config.file=" + prometheus_config,
         "--storage.tsdb.path=" + dir_.File("prometheus"),
         "--web.listen-address=127.0.0.1:" + std::to_string(prometheus_port_), "--log.level=warn"},
        dir_.File("prometheus.log")));
    HttpClient http;
    ASSERT_TRUE(WaitUntil(
        [&] {
          return http.Get(PrometheusUrl() + "/-/ready").status == 200 &&
                 http.Get("http://127.0.0.1:" + std::to_string(alertmanager_port_) + "/-/ready")
                         .status == 200;
        },
        30s, 100ms))
        << "Prometheus or Alertmanager did not become ready:\n"
        << prometheus_.Log() << alertmanager_.Log();
  }

  std::string cluster_dir() const { return dir_.File("cluster"); }
  std::string PrometheusUrl() const {
    return "http://127.0.0.1:" + std::to_string(prometheus_port_);
  }

  // The cluster as an operator's cutover.yml names it: driver checkpoint over SSH, one
  // credentials entry per gateway (each sshd has its own host key and client key).
  std::string ClusterConfig() const {
    std::string credentials, members;
    for (const auto& m : members_) {
      SshOptions ssh = m->sshd.ClientOptions();
      credentials += "  " + m->name +
                     "-ssh: {user: root, identity_file: " + YamlSingleQuoted(ssh.identity_file) +
                     ", known_hosts_file: " + YamlSingleQuoted(ssh.known_hosts_file) + "}\n";
      members += "      - {name: " + m->name +
                 ", address: '127.0.0.1:" + std::to_string(m->sshd.port()) +
                 "', credentials: " + m->name + "-ssh}\n";
    }
    // One probe round must fit in the exporter's 2 s scrape, as in lab/run-upgrade.sh.
    return "global:\n  probe_timeout: 1800ms\n  probe_concurrency: 4\ncredentials:\n" +
           credentials + "clusters:\n  - name: " + kCluster +
           "\n    driver: checkpoint\n    settings:\n      upgrade_command: cpuse_upgrade\n"
           "      connect_timeout: 5s\n    members:\n" +
           members;
  }

  // The scrape and evaluation intervals of lab/run-upgrade.sh.
  std::string PrometheusConfig() const {
    return "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n"
           "rule_files: ['" +
           dir_.File("cutover.rules.yml") +
           "']\nalerting:\n  alertmanagers:\n    - static_configs: [{targets: ['127.0.0.1:" +
           std::to_string(alertmanager_port_) +
           "']}]\nscrape_configs:\n  - job_name: cutover-exporter\n    scrape_interval: 2s\n"
           "    scrape_timeout: 2s\n    static_configs: [{targets: ['127.0.0.1:" +
           std::to_string(exporter_port_) +
           "']}]\n  - job_name: cutover-actions\n    static_configs: [{targets: ['" +
           actions_->url().substr(std::string("http://").size()) + "']}]\n";
  }

  double PromValue(const std::string& query) const {
    HttpClient http;
    auto r =
        http.Post(PrometheusUrl() + "/api/v1/query", HttpClient::FormEncode({{"query", query}}),
                  "application/x-www-form-urlencoded");
    return r.ok ? PrometheusValue(r.body) : -1;
  }

  // query_range at 1 s resolution: samples per value of label `by`.
  std::map<std::string, Samples> PromRange(const std::string& query, double start, double end,
                                           const std::string& by) const {
    HttpClient http;
    auto r = http.Post(PrometheusUrl() + "/api/v1/query_range",
                       HttpClient::FormEncode({{"query", query},
                                               {"start", std::to_string(start)},
                                               {"end", std::to_string(end)},
                                               {"step", "1"}}),
                       "application/x-www-form-urlencoded");
    std::map<std::string, Samples> out;
    rapidjson::Document doc;
    doc.Parse(r.body.c_str());
    if (!r.ok || doc.HasParseError() || !doc.HasMember("data")) return out;
    for (const auto& series : doc["data"]["result"].GetArray()) {
      std::string key = series["metric"].HasMember(by.c_str())
                            ? series["metric"][by.c_str()].GetString()
                            : std::string();
      for (const auto& v : series["values"].GetArray())
        out[key].emplace_back(v[0].GetDouble(), ParseDouble(v[1].GetString()).value_or(-1e9));
    }
    return out;
  }

  // `cutoverctl status --json`: the only run.
  const rapidjson::Value* Run(rapidjson::Document& doc) const {
    doc.Parse(actions_->Ctl({"status", "--json"}).out.c_str());
    if (doc.HasParseError() || !doc.HasMember("runs") || doc["runs"].Size() != 1) return nullptr;
    return &doc["runs"][0];
  }
  static const rapidjson::Value* Step(const rapidjson::Value& run, const std::string& name) {
    for (const auto& s : run["steps"].GetArray())
      if (name == s["name"].GetString()) return &s;
    return nullptr;
  }

  std::vector<Invocation> ClusterInvocations() const {
    std::vector<Invocation> out;
    const std::string log = ReadFile(cluster_dir() + "/invocations.log");
    for (std::string_view line : SplitLines(log)) {
      std::vector<std::string_view> f = SplitFields(line);
      if (f.size() < 3) continue;
      Invocation i{ParseDouble(f[0]).value_or(0), std::string(f[1]), {}};
      i.command = std::string(line.substr(f[2].data() - line.data()));
      out.push_back(std::move(i));
    }
    return out;
  }
  std::vector<Invocation> ActionInvocations() const {
    std::vector<Invocation> out;
    for (Invocation& i : ClusterInvocations())
      if (IsActionCommand(i.command)) out.push_back(std::move(i));
    // In the order the commands started (two appends may land the other way round).
    std::stable_sort(out.begin(), out.end(),
                     [](const Invocation& a, const Invocation& b) { return a.at < b.at; });
    return out;
  }
  // When `member` first ran `command`, or 0 when it never did.
  double FirstAt(const std::string& member, const std::string& command) const {
    for (const Invocation& i : ActionInvocations())
      if (i.member == member && i.command == command) return i.at;
    return 0;
  }

  std::string Explain() const {
    std::string actions_seen;
    for (const Invocation& i : ActionInvocations())
      actions_seen += std::to_string(i.at) + " " + i.Line() + "\n";
    return "\nthe gateways' action commands (" + cluster_dir() + "/invocations.log):\n" +
           actions_seen + "\ncutoverctl status:\n" + actions_->Status() +
           "\ncutover-actions log (tail):\n" + Tail(actions_->Log()) + "\nexporter log (tail):\n" +
           Tail(exporter_.Log());
  }
  static std::string Tail(const std::string& text) {
    return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
  }

  TempDir dir_;
  std::vector<std::unique_ptr<StandinMember>> members_;
  std::string config_file_;
  int prometheus_port_ = 0, exporter_port_ = 0, alertmanager_port_ = 0;
  std::unique_ptr<ActionsDaemon> actions_;
  BackgroundProcess exporter_, alertmanager_, prometheus_;
};

TEST_F(OptimalServiceUpgradeOnCheckPoint,
       TheCutoverWaitsForTheDrainAndTheCommandsFollowTheRunbook) {
  StandinGateway& fw1 = members_[0]->gateway;
  StandinGateway& fw2 = members_[1]->gateway;
  const std::string cluster = std::string("ha_cluster=\"") + kCluster + "\"";
  ASSERT_TRUE(WaitUntil(
      [&] {
        return PromValue("count(cutover_member_up{" + cluster + "} == 1)") == 4 &&
               PromValue("up{job=\"cutover-actions\"}") == 1;
      },
      60s, 250ms))
      << "Prometheus never saw the four gateways up through the exporter" << Explain();

  const auto run_started = std::chrono::system_clock::now();
  std::vector<std::string> start_args = {"start", kPlan};
  for (const std::string& arg : ParamsForThisRun()) start_args.push_back(arg);
  ProcessResult start = actions_->Ctl(start_args);
  ASSERT_EQ(start.exit_status, 0) << "cutoverctl start: " << start.out << start.err << Explain();

  // The drain begins once fw2 (NEW, in upgrade mode) takes the new connections and fw1
  // (OLD) no longer does: the cutover then waits for CutoverDrainComplete.
  std::string waiting_for;
  ASSERT_TRUE(WaitUntil(
      [&] {
        rapidjson::Document doc;
        const rapidjson::Value* run = Run(doc);
        if (!run) return false;
        const rapidjson::Value* step = Step(*run, kCutoverStep);
        if (!step || std::string(step->operator[]("state").GetString()) != "waiting_trigger")
          return false;
        waiting_for = (*step)["waiting_for"].GetString();
        return true;
      },
      100s, 250ms))
      << "the run never reached the drain" << Explain();
  EXPECT_THAT(waiting_for, HasSubstr("CutoverDrainComplete"));
  EXPECT_EQ(PromValue("cutover_member_accepting_new_connections{" + cluster + ",member=\"fw1\"}"),
            0)
      << "fw1 (OLD) still takes new connections while it should drain";
  const auto drain_started = std::chrono::system_clock::now();
  fw2.SetConnections(150);  // the new connections land on fw2

  // The operator's view of fw1's table going down; the cutover must not start before the
  // last level, which is at or below the threshold.
  std::chrono::system_clock::time_point drained_at;
  for (int level : kDrainLevels) {
    fw1.SetConnections(level);
    const auto set_at = std::chrono::system_clock::now();
    ASSERT_TRUE(WaitUntil(
        [&] {
          return PromValue("cutover_member_connections{" + cluster + ",member=\"fw1\"}") == level;
        },
        20s, 200ms))
        << "Prometheus never saw fw1's connection table at " << level << Explain();
    if (level <= kDrainThreshold) {
      drained_at = set_at;
      break;
    }
    std::this_thread::sleep_for(2s);  // a few gate intervals at this level
    EXPECT_EQ(actions_->StepState(kCutoverStep), "waiting_trigger")
        << "the cutover moved on while fw1 still held " << level << " connections";
    EXPECT_EQ(FirstAt("fw1", "cphacu stop"), 0) << "cphacu stop ran on fw1 at " << level;
  }

  std::string final_state;
  ASSERT_TRUE(WaitUntil(
      [&] {
        final_state = actions_->RunState();
        return final_state == "completed" || final_state == "failed" ||
               final_state == "rolled_back" || final_state == "aborted";
      },
      100s, 500ms))
      << "the run did not finish" << Explain();
  const auto run_finished = std::chrono::system_clock::now();
  const std::string status_text = actions_->Status();

  // The run completed, every step done.
  rapidjson::Document doc;
  const rapidjson::Value* run = Run(doc);
  ASSERT_NE(run, nullptr) << Explain();
  EXPECT_EQ(final_state, "completed") << Explain();
  ASSERT_EQ((*run)["steps"].Size(), 12u);
  for (const auto& s : (*run)["steps"].GetArray())
    EXPECT_STREQ(s["state"].GetString(), "done") << s["name"].GetString() << Explain();

  // The commands reached the gateways in the runbook's order, each on the right member.
  std::vector<std::string> sequence;
  for (const Invocation& i : ActionInvocations()) sequence.push_back(i.Line());
  const std::string upgrade = std::string("cpuse_upgrade ") + kNewVersion;
  EXPECT_THAT(sequence, ElementsAreArray(std::vector<std::string>{
                            // 1. keep fw1 (OLD), disconnect the others
                            "fw2 clusterXL_admin down", "fw3 clusterXL_admin down",
                            "fw4 clusterXL_admin down",
                            // 2. upgrade the disconnected members
                            "fw2 " + upgrade, "fw3 " + upgrade, "fw4 " + upgrade,
                            // 3. connect the first NEW member
                            "fw2 clusterXL_admin up",
                            // 4. OLD member: acceleration off, upgrade mode
                            "fw1 fwaccel off -a", "fw1 cphacu start",
                            // 5. NEW member's upgrade mode: it takes the new connections
                            "fw2 cphacu start",
                            // 6. the cutover, once fw1 has drained
                            "fw1 cphacu stop", "fw1 clusterXL_admin down",
                            // 7. the other NEW members join
                            "fw3 clusterXL_admin up", "fw4 clusterXL_admin up",
                            // 8. upgrade and connect the OLD member, install the policy
                            "fw1 " + upgrade, "fw1 clusterXL_admin up", "fw1 fw fetch local",
                            "fw2 fw fetch local", "fw3 fw fetch local", "fw4 fw fetch local"}))
      << Explain();
  for (const auto& m : members_)
    EXPECT_THAT(ReadFile(m->state_dir() + "/fw_ver"), HasSubstr(kNewVersion)) << m->name;

  // The cutover's drained gate read fw1's table from the gateway: 8 - 10.
  const rapidjson::Value* cutover = Step(*run, kCutoverStep);
  ASSERT_NE(cutover, nullptr);
  const rapidjson::Value* drained = nullptr;
  for (const auto& g : (*cutover)["gates"].GetArray())
    if (std::string(g["gate"].GetString()) == "drained") drained = &g;
  ASSERT_NE(drained, nullptr) << "the cutover step shows no measurement of its drained gate";
  EXPECT_STREQ((*drained)["phase"].GetString(), "Successful");
  ASSERT_TRUE(drained->HasMember("value"));
  EXPECT_EQ((*drained)["value"].GetDouble(), kDrainLevels[3] - kDrainThreshold);
  const std::string drained_query = (*drained)["query"].GetString();
  const double triggered_at = (*cutover)["triggered_at"].GetDouble();

  // While the run waited, that same query showed the higher numbers: nothing at or below
  // 0 until the test had written the last level.
  Samples gate_values =
      PromRange(drained_query, Seconds(drain_started), Seconds(run_finished), "")[""];
  std::vector<double> distinct;
  std::vector<double> early;
  for (auto [t, v] : gate_values) {
    if (distinct.empty() || distinct.back() != v) distinct.push_back(v);
    if (t < Seconds(drained_at) && v <= 0) early.push_back(t);
  }
  EXPECT_THAT(early, IsEmpty()) << "the drained gate's query passed before fw1 had drained";
  std::vector<double> expected_values;
  for (int level : kDrainLevels) expected_values.push_back(level - kDrainThreshold);
  EXPECT_THAT(distinct, ::testing::IsSupersetOf(expected_values))
      << "the drained gate's query did not follow fw1's table";

  // CutoverDrainComplete fired for fw1 only, and only after fw1 was drained.
  auto firing = PromRange("ALERTS{alertname=\"CutoverDrainComplete\",alertstate=\"firing\"}",
                          Seconds(run_started), Seconds(run_finished), "member");
  std::vector<std::string> firing_members;
  for (const auto& [member, samples] : firing) firing_members.push_back(member);
  EXPECT_THAT(firing_members, ElementsAreArray({"fw1"}))
      << "CutoverDrainComplete must fire for the draining OLD member only";
  ASSERT_FALSE(firing["fw1"].empty());
  const double fw1_alert_at = firing["fw1"].front().first;
  EXPECT_GE(fw1_alert_at, Seconds(drained_at) - 1)
      << "CutoverDrainComplete fired before fw1's table was at the threshold";

  // The cutover's commands on fw1 came after the drain, the alert and the step's trigger.
  const double stop_at = FirstAt("fw1", "cphacu stop");
  const double down_at = FirstAt("fw1", "clusterXL_admin down");
  ASSERT_GT(stop_at, 0) << "cphacu stop never reached fw1";
  EXPECT_GT(stop_at, Seconds(drained_at)) << "cphacu stop ran on fw1 before it had drained";
  EXPECT_GT(stop_at, triggered_at);
  EXPECT_GT(triggered_at, fw1_alert_at - 1);
  EXPECT_GT(down_at, stop_at);

  // What triggered the cutover, from cutover-actions' journal: the alert, delivered by
  // Alertmanager before the step started.
  actions_->Stop();
  JournalOpenResult journal = Journal::Open(actions_->journal_file());
  ASSERT_TRUE(journal.journal) << journal.error;
  double alert_delivered_at = 0;
  std::string triggered_by;
  for (const std::string& text : journal.records) {
    auto record = DecodeRecord(text);
    ASSERT_TRUE(record.ok()) << record.error();
    const JournalRecord& r = record.value();
    if (r.type == RecordType::kAlertReceived && r.alertname == "CutoverDrainComplete" &&
        r.status == "firing" && alert_delivered_at == 0) {
      EXPECT_THAT(r.detail, HasSubstr(std::string("trigger: step ") + kCutoverStep));
      alert_delivered_at = static_cast<double>(r.at_ms) / 1000;
    }
    if (r.type == RecordType::kTriggered && r.step == kCutoverStep) triggered_by = r.by;
  }
  EXPECT_EQ(triggered_by, "alert CutoverDrainComplete");
  ASSERT_GT(alert_delivered_at, 0) << "Alertmanager never delivered CutoverDrainComplete";
  EXPECT_GE(alert_delivered_at, fw1_alert_at - 1);
  EXPECT_GT(stop_at, alert_delivered_at);

  std::printf(
      "figures: run %.1f s; drain played %.1f s; fw1 drained -> alert firing %.1f s -> "
      "delivered %.1f s -> cphacu stop %.1f s\n%s",
      Seconds(run_finished) - Seconds(run_started), Seconds(drained_at) - Seconds(drain_started),
      fw1_alert_at - Seconds(drained_at), alert_delivered_at - Seconds(drained_at),
      stop_at - Seconds(drained_at), status_text.c_str());
}

}  // namespace
}  // namespace cutover::testing
