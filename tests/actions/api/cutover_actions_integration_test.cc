// cutover-actions as the upgrade runbook uses it: the real daemon with a bearer token,
// gates measured on a real Prometheus, alerts delivered by a real Alertmanager (injected
// with amtool), operators at cutoverctl, and members played by an exec-driver program
// that logs every action it performs, so each test counts exactly what was done.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include "common/strings.h"
#include "plugins/transport/http_client.h"
#include "tests/actions/api/actions_harness.h"
#include "tests/support/alertmanager_server.h"
#include "tests/support/net.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::AnyOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kFw1Connections = R"(cutover_member_connections{ha_cluster="edge",member="fw1"})";

std::string Performed(const std::string& member, const std::string& action) {
  return R"(cutover_test_actions_performed{ha_cluster="edge",member=")" + member + R"(",action=")" +
         action + R"("})";
}

// A webhook body as Alertmanager 0.25 sends it (shape captured in
// /work/shared/reference/samples/), for CutoverDrainComplete on cluster edge.
const char kDrainCompletePayload[] =
    R"({"receiver":"cutover-actions","status":"firing","alerts":[{"status":"firing",)"
    R"("labels":{"alertname":"CutoverDrainComplete","ha_cluster":"edge","severity":"info"},)"
    R"("annotations":{"summary":"fw1 is drained"},"startsAt":"2026-11-21T05:15:53.765129107Z",)"
    R"("endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prometheus:9090/graph",)"
    R"("fingerprint":"5b1d2a3c4e5f6071"}],)"
    R"("groupLabels":{"alertname":"CutoverDrainComplete","ha_cluster":"edge"},)"
    R"("commonLabels":{"alertname":"CutoverDrainComplete","ha_cluster":"edge","severity":"info"},)"
    R"("commonAnnotations":{"summary":"fw1 is drained"},"externalURL":"http://alertmanager:9093",)"
    R"("version":"4","groupKey":"{}:{alertname=\"CutoverDrainComplete\", ha_cluster=\"edge\"}",)"
    R"("truncatedAlerts":0})";

// The "error" of a JSON answer, or the whole body when it is plain text.
std::string ErrorMessage(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.c_str());
  if (!doc.HasParseError() && doc.IsObject() && doc.HasMember("error") && doc["error"].IsString())
    return doc["error"].GetString();
  return body;
}

class CutoverActionsRunbook : public ::testing::Test {
 protected:
  // Members, the exporter (fw1 and fw2 carry 3 connections each) and Prometheus; the
  // daemon is configured but not started.
  void SetUpCluster(double perform_seconds = 0.0) {
    member_ = std::make_unique<testing::MemberProgram>(dir_, perform_seconds);
    exporter_ = std::make_unique<testing::TestExporter>(member_->log_file());
    exporter_->SetConnections("fw1", 3);
    exporter_->SetConnections("fw2", 3);
    std::string error;
    ASSERT_TRUE(exporter_->Start(&error)) << error;
    testing::PrometheusOptions options;
    options.targets = {exporter_->target()};
    options.scrape_interval = "250ms";
    options.scrape_timeout = "250ms";
    prometheus_ = std::make_unique<testing::PrometheusServer>(options);
    ASSERT_TRUE(prometheus_->Start()) << prometheus_->error();
    std::string config = dir_.Write("cutover.yml", testing::EdgeClusterConfig(member_->path()));
    daemon_ = std::make_unique<testing::ActionsDaemon>(dir_, config, prometheus_->url());
  }

  void StartDaemon() { ASSERT_TRUE(daemon_->Start()) << daemon_->Log(); }

  void StartAlertmanager(const std::string& repeat_interval = "1h") {
    testing::AlertmanagerOptions options;
    options.webhook_url = daemon_->webhook_url();
    options.bearer_token_file = daemon_->token_file();
    options.repeat_interval = repeat_interval;
    alertmanager_ = std::make_unique<testing::AlertmanagerServer>(options);
    ASSERT_TRUE(alertmanager_->Start()) << alertmanager_->error();
  }

  // Prometheus applies its scrape targets about 5s after it starts: the daemon and
  // Alertmanager start meanwhile, and runs wait for this.
  void WaitForFirstScrape() {
    ASSERT_TRUE(PrometheusSees(R"(up{job="cutover"})", 1, seconds(20))) << prometheus_->Log();
  }

  bool PrometheusSees(const std::string& query, double value, milliseconds timeout = seconds(10)) {
    return testing::WaitUntil(
        [&] { return testing::PrometheusValue(prometheus_->Query(query)) == value; }, timeout);
  }

  // `cutoverctl start PLAN`; returns the new run's id.
  std::string StartRun(const std::string& plan) {
    ProcessResult started = daemon_->Ctl({"start", plan});
    EXPECT_EQ(started.exit_status, 0) << started.out << started.err;
    EXPECT_THAT(started.out, HasSubstr("started"));
    return daemon_->RunId();
  }

  bool WaitForStatus(const std::string& text, milliseconds timeout = seconds(10)) {
    return testing::WaitUntil([&] { return daemon_->Status().find(text) != std::string::npos; },
                              timeout, milliseconds(100));
  }

  bool WaitForRunState(const std::string& state, milliseconds timeout = seconds(20)) {
    return testing::WaitUntil([&] { return daemon_->RunState() == state; }, timeout,
                              milliseconds(100));
  }

  bool WaitForActions(std::size_t count, milliseconds timeout = seconds(10)) {
    return testing::WaitUntil([&] { return member_->Performed().size() >= count; }, timeout,
                              milliseconds(10));
  }

  // For failure messages: what an operator would look at.
  std::string Evidence() {
    std::string out = "\n--- cutoverctl status:\n" + daemon_->Status() + "--- actions:\n";
    for (const auto& line : member_->Summary()) out += "  " + line + "\n";
    return out + "--- daemon log:\n" + daemon_->Log();
  }

  // Servers stop in parallel: civetweb takes a second or two to shut down.
  void TearDown() override {
    std::thread daemon([this] { daemon_.reset(); });
    std::thread exporter([this] { exporter_.reset(); });
    alertmanager_.reset();
    prometheus_.reset();
    daemon.join();
    exporter.join();
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::MemberProgram> member_;
  std::unique_ptr<testing::TestExporter> exporter_;
  std::unique_ptr<testing::PrometheusServer> prometheus_;
  std::unique_ptr<testing::AlertmanagerServer> alertmanager_;
  std::unique_ptr<testing::ActionsDaemon> daemon_;
};

// Runbook: "fw1 is disconnected only after Alertmanager says the drain is complete AND fw1
// carries fewer than 10 connections at that moment."
TEST_F(CutoverActionsRunbook, StepRunsOnlyOnceItsGateHolds) {
  SetUpCluster();
  exporter_->SetConnections("fw1", 37);
  daemon_->AddPlan("drain-fw1", R"(plan: drain-fw1
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: disconnect-fw1
    action: disconnect
    members: [fw1]
    trigger: {alert: CutoverDrainComplete}
    gates:
      - name: fw1-drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="fw1"}'
        condition: "< 10"
      - name: disconnected
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="disconnect"}'
        condition: ">= 1"
        stage: after
)");
  StartDaemon();
  StartAlertmanager();
  ASSERT_TRUE(PrometheusSees(kFw1Connections, 37, seconds(20)));

  StartRun("drain-fw1");
  EXPECT_TRUE(WaitForStatus("waiting for alert CutoverDrainComplete to fire for ha_cluster=edge"))
      << Evidence();

  ASSERT_TRUE(alertmanager_->Fire("CutoverDrainComplete", {{"ha_cluster", "edge"}}))
      << alertmanager_->error();
  EXPECT_TRUE(WaitForStatus(kFw1Connections + " = 37, needs < 10"))
      << "the operator cannot see why the step waits" << Evidence();
  std::this_thread::sleep_for(seconds(1));
  EXPECT_THAT(member_->Summary(), IsEmpty())
      << "fw1 was disconnected while it still carried 37 connections";

  exporter_->SetConnections("fw1", 3);
  EXPECT_TRUE(WaitForRunState("completed")) << Evidence();
  EXPECT_THAT(member_->Summary(), ElementsAre("disconnect fw1")) << Evidence();
}

// Runbook: "Alertmanager delivers at least once; a repeated delivery never repeats a step."
TEST_F(CutoverActionsRunbook, RepeatedDeliveriesRunTheStepOnce) {
  SetUpCluster();
  daemon_->AddPlan("drain-fw1", R"(plan: drain-fw1
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: disconnect-fw1
    action: disconnect
    members: [fw1]
    trigger: {alert: CutoverDrainComplete}
    gates:
      - name: fw1-drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="fw1"}'
        condition: "< 10"
      - name: disconnected
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="disconnect"}'
        condition: ">= 1"
        stage: after
  - name: reconnect-fw1
    action: connect
    members: [fw1]
    trigger: manual
)");
  StartDaemon();
  // Alertmanager re-sends the unchanged firing group every 2s: identical re-deliveries.
  StartAlertmanager("2s");
  WaitForFirstScrape();
  StartRun("drain-fw1");

  // Three identical deliveries at once, as an HA pair of Alertmanagers and a retry can
  // produce them.
  std::atomic<int> ok{0}, accepted{0}, duplicates{0};
  std::vector<std::thread> posts;
  for (int i = 0; i < 3; ++i) {
    posts.emplace_back([&] {
      HttpClient http;
      auto r = http.Post(daemon_->webhook_url(), kDrainCompletePayload, "application/json",
                         {"Authorization: Bearer " + daemon_->token()});
      if (r.status == 200) ++ok;
      if (r.body.find("\"accepted\":1") != std::string::npos) ++accepted;
      if (r.body.find("\"duplicates\":1") != std::string::npos) ++duplicates;
    });
  }
  for (auto& t : posts) t.join();
  EXPECT_EQ(ok, 3);
  EXPECT_EQ(accepted, 1);
  EXPECT_EQ(duplicates, 2);

  // The same alert through Alertmanager: a new instance (its own startsAt), delivered
  // and then re-delivered unchanged at the repeat interval.
  ASSERT_TRUE(alertmanager_->Fire("CutoverDrainComplete", {{"ha_cluster", "edge"}}))
      << alertmanager_->error();
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return daemon_->Metric(R"(cutover_webhook_requests_total{outcome="duplicate"})") >= 3;
      },
      seconds(15), milliseconds(100)))
      << "Alertmanager did not re-deliver" << alertmanager_->Log() << Evidence();
  EXPECT_TRUE(WaitForStatus("waiting for an operator's approval")) << Evidence();
  EXPECT_EQ(daemon_->StepState("disconnect-fw1"), "done");
  EXPECT_THAT(member_->Summary(), ElementsAre("disconnect fw1")) << Evidence();
}

// Runbook: "If cutover-actions dies mid-upgrade, restart it with the same journal: it
// finishes the plan, and no step is done twice."
TEST_F(CutoverActionsRunbook, SigkillMidActionThenRestartFinishesEveryStepExactlyOnce) {
  SetUpCluster(/*perform_seconds=*/1.0);
  daemon_->AddPlan("upgrade-pair", R"(plan: upgrade-pair
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: drain-fw1
    action: start_drain
    members: [fw1]
    gates:
      - name: drained
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="start_drain"}'
        condition: ">= 1"
        stage: after
  - name: upgrade-both
    action: upgrade
    members: [fw1, fw2]
    params: {version: "2.4.1"}
    gates:
      - name: upgraded
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="upgrade"}'
        condition: ">= 1"
        stage: after
  - name: undrain-fw1
    action: stop_drain
    members: [fw1]
    gates:
      - name: undrained
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="stop_drain"}'
        condition: ">= 1"
        stage: after
  - name: prefer-fw2
    action: set_priority
    members: [fw2]
    params: {priority: 150}
    gates:
      - name: preferred
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="set_priority"}'
        condition: ">= 1"
        stage: after
)");
  StartDaemon();
  WaitForFirstScrape();
  StartRun("upgrade-pair");

  // The member program logs as the action begins and answers a second later: killing the
  // daemon as a line appears lands while the action is in flight.
  struct KillPoint {
    std::size_t after_lines;
    std::string member, action;
  };
  for (const KillPoint& kill :
       {KillPoint{1, "fw1", "start_drain"}, KillPoint{3, "fw2", "upgrade"}}) {
    ASSERT_TRUE(WaitForActions(kill.after_lines, seconds(20))) << Evidence();
    daemon_->Kill();
    ASSERT_EQ(member_->Performed().size(), kill.after_lines) << Evidence();
    // Restart once monitoring shows the action's effect, as an operator would after
    // looking; the after-gate is what tells the daemon not to repeat it.
    ASSERT_TRUE(PrometheusSees(Performed(kill.member, kill.action), 1)) << Evidence();
    StartDaemon();
  }
  EXPECT_TRUE(WaitForRunState("completed", seconds(30))) << Evidence();
  EXPECT_THAT(member_->Summary(), ElementsAre("start_drain fw1", "upgrade fw1", "upgrade fw2",
                                              "stop_drain fw1", "set_priority fw2"))
      << "a step was repeated or skipped across the restarts" << Evidence();
  // Both in-flight actions were found done by their after-gates, not performed again.
  const std::string journal = testing::ReadFile(daemon_->journal_file());
  const std::string not_repeated = "not repeated: after the restart its after-gates already hold";
  int rechecked = 0;
  for (auto at = journal.find(not_repeated); at != std::string::npos;
       at = journal.find(not_repeated, at + 1))
    ++rechecked;
  EXPECT_EQ(rechecked, 2) << "the in-flight actions were not re-checked after the restarts";
}

// Runbook: "No gate data, no action: if Prometheus is down, nothing happens and
// cutoverctl says why."
TEST_F(CutoverActionsRunbook, PrometheusDownMeansNoStepAndStatusSaysWhy) {
  SetUpCluster();
  daemon_->AddPlan("drain-fw1", R"(plan: drain-fw1
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: disconnect-fw1
    action: disconnect
    members: [fw1]
    gates:
      - name: fw1-drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="fw1"}'
        condition: "< 10"
)");
  StartDaemon();
  prometheus_->Stop();

  StartRun("drain-fw1");
  EXPECT_TRUE(WaitForStatus("could not be measured")) << Evidence();
  std::string status = daemon_->Status();
  // libcurl 7.88 words a refused connection "Couldn't connect to server".
  EXPECT_THAT(status, AllOf(HasSubstr("gate fw1-drained"),
                            HasSubstr("cannot query Prometheus at " + prometheus_->url()),
                            AnyOf(HasSubstr("Connection refused"),
                                  HasSubstr("Couldn't connect to server"))))
      << "the operator cannot tell that Prometheus is unreachable" << Evidence();
  // Past consecutive_error_limit (4) the run is marked blocked.
  EXPECT_TRUE(WaitForStatus("(blocked)")) << Evidence();
  EXPECT_EQ(daemon_->RunState(), "running");
  EXPECT_THAT(member_->Summary(), IsEmpty()) << "fw1 was disconnected without gate data";
}

// Runbook: "If the new version turns unhealthy, Alertmanager's CutoverNewVersionUnhealthy
// rolls the upgrade back: the completed steps are undone, latest first."
TEST_F(CutoverActionsRunbook, RollbackAlertUndoesCompletedStepsInReverse) {
  SetUpCluster();
  daemon_->AddPlan("upgrade-fw2", R"(plan: upgrade-fw2
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
rollback:
  alerts: [CutoverNewVersionUnhealthy]
steps:
  - name: drain-fw2
    action: start_drain
    members: [fw2]
    gates:
      - name: drained
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="start_drain"}'
        condition: ">= 1"
        stage: after
    rollback:
      - action: stop_drain
  - name: upgrade-fw2
    action: upgrade
    members: [fw2]
    params: {version: "2.4.1"}
    gates:
      - name: upgraded
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="upgrade"}'
        condition: ">= 1"
        stage: after
    rollback:
      - action: upgrade
        params: {version: "2.3.9"}
  - name: prefer-fw2
    action: set_priority
    members: [fw2]
    params: {priority: 150}
    trigger: manual
)");
  StartDaemon();
  StartAlertmanager();
  WaitForFirstScrape();
  std::string run = StartRun("upgrade-fw2");
  ASSERT_TRUE(WaitForStatus("cutoverctl approve " + run + " prefer-fw2")) << Evidence();

  ASSERT_TRUE(alertmanager_->Fire("CutoverNewVersionUnhealthy",
                                  {{"ha_cluster", "edge"}, {"severity", "critical"}}))
      << alertmanager_->error();
  EXPECT_TRUE(WaitForRunState("rolled_back")) << Evidence();
  auto performed = member_->Performed();
  ASSERT_EQ(performed.size(), 4u) << Evidence();
  EXPECT_THAT(member_->Summary(),
              ElementsAre("start_drain fw2", "upgrade fw2", "upgrade fw2", "stop_drain fw2"))
      << "compensations must run in reverse step order" << Evidence();
  EXPECT_EQ(performed[1].params["version"], "2.4.1");
  EXPECT_EQ(performed[2].params["version"], "2.3.9") << "the upgrade was not undone first";

  // A finished run must not invite an operator to approve its remaining steps.
  EXPECT_THAT(daemon_->Status(), Not(HasSubstr("waiting for an operator's approval")))
      << "the rolled-back run still advertises `cutoverctl approve`" << Evidence();
  ProcessResult approve = daemon_->Ctl({"approve", run, "prefer-fw2"});
  EXPECT_EQ(approve.exit_status, 1) << "a rolled-back run accepted an approval: " << approve.out;
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(member_->Performed().size(), 4u) << "a rolled-back run went on" << Evidence();
}

// Runbook: "Nothing from an alert or a plan is ever run by a shell."
TEST_F(CutoverActionsRunbook, ShellMetacharactersReachNoShell) {
  SetUpCluster();
  const std::string pwned = dir_.File("pwned");
  const std::string hostile = "$(touch " + pwned + "); `touch " + pwned + "`; touch " + pwned +
                              " | touch " + pwned + " && echo 'single' \"double\" \\ $HOME";
  std::string plan = R"(plan: hook
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: run-hook
    action: run
    members: [fw1]
    params: {command: COMMAND}
    trigger: {alert: CutoverDrainComplete}
    gates:
      - name: ran
        query: 'cutover_test_actions_performed{ha_cluster="{{cluster}}",member="{{member}}",action="run"}'
        condition: ">= 1"
        stage: after
)";
  plan.replace(plan.find("COMMAND"), 7, testing::YamlSingleQuoted(hostile));
  daemon_->AddPlan("hook", plan);
  StartDaemon();
  StartAlertmanager();
  WaitForFirstScrape();
  StartRun("hook");

  ASSERT_TRUE(alertmanager_->Fire("CutoverHostileLabels",
                                  {{"ha_cluster", "$(touch " + pwned + ")"}, {"note", hostile}}))
      << alertmanager_->error();
  ASSERT_TRUE(
      alertmanager_->Fire("CutoverDrainComplete", {{"ha_cluster", "edge"}, {"note", hostile}}))
      << alertmanager_->error();
  EXPECT_TRUE(WaitForRunState("completed")) << Evidence();
  auto performed = member_->Performed();
  ASSERT_EQ(performed.size(), 1u) << Evidence();
  EXPECT_EQ(performed[0].action, "run");
  EXPECT_EQ(performed[0].params["command"], hostile)
      << "the parameter did not arrive byte for byte: " << performed[0].raw;
  EXPECT_FALSE(std::filesystem::exists(pwned)) << "a shell ran a value from a plan or an alert";
}

// Runbook: "A wrong or malformed request is refused with a reason and changes nothing."
TEST_F(CutoverActionsRunbook, BadInputIsRefusedAndChangesNothing) {
  SetUpCluster();
  daemon_->AddPlan("drain-fw1", R"(plan: drain-fw1
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: disconnect-fw1
    action: disconnect
    members: [fw1]
    trigger: manual
    gates:
      - name: fw1-drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="fw1"}'
        condition: "< 10"
)");
  StartDaemon();
  std::string run = StartRun("drain-fw1");
  ASSERT_TRUE(WaitForStatus("waiting for an operator's approval")) << Evidence();
  const off_t journal_size = testing::FileSize(daemon_->journal_file());
  ASSERT_GT(journal_size, 0);

  // Each request is refused with its status and a message saying what to fix, and the
  // journal does not grow.
  HttpClient http;
  auto refused = [&](const std::string& what, const std::string& path, const std::string& body,
                     const std::vector<std::string>& headers, long status,
                     const std::string& message) {
    auto r = http.Post(daemon_->url() + path, body, "application/json", headers);
    EXPECT_EQ(r.status, status) << what << ": " << r.body << r.error;
    EXPECT_THAT(ErrorMessage(r.body), HasSubstr(message)) << what;
    EXPECT_EQ(testing::FileSize(daemon_->journal_file()), journal_size)
        << what << " changed the journal";
  };
  const std::string approve = R"({"run":")" + run + R"("})";
  const std::string token = "Authorization: Bearer " + daemon_->token();
  const std::string wrong_token = "Authorization: Bearer " + daemon_->token() + "x";
  const std::string basic = "Authorization: Basic " + daemon_->token();
  std::string version3 = kDrainCompletePayload;
  version3.replace(version3.find(R"("version":"4")"), 13, R"("version":"3")");
  std::string oversized = approve + std::string(70000, ' ');

  refused("approval without a token", "/api/v1/runs/approve", approve, {}, 401, "bearer token");
  refused("approval, wrong token", "/api/v1/runs/approve", approve, {wrong_token}, 401,
          "bearer token");
  refused("approval, basic auth", "/api/v1/runs/approve", approve, {basic}, 401, "bearer token");
  refused("alert without a token", "/api/v1/alertmanager", kDrainCompletePayload, {}, 401,
          "bearer token");
  refused("malformed alert", "/api/v1/alertmanager", R"({"version":"4","alerts":[)", {token}, 400,
          "not an Alertmanager webhook payload");
  refused("webhook version 3", "/api/v1/alertmanager", version3, {token}, 400, "version");
  refused("labels not an object", "/api/v1/alertmanager",
          R"({"version":"4","status":"firing","receiver":"r","groupKey":"g","alerts":[)"
          R"({"status":"firing","labels":"alertname=CutoverDrainComplete",)"
          R"("startsAt":"2026-11-21T05:15:53Z","fingerprint":"1"}]})",
          {token}, 400, "alerts[0].labels");
  refused("malformed approval", "/api/v1/runs/approve", R"({"run":)", {token}, 400,
          R"({"run": "..."})");
  refused("run id as a number", "/api/v1/runs/approve", R"({"run":5})", {token}, 400,
          R"(field "run" must be a string)");
  refused("plan as a list", "/api/v1/runs", R"({"plan":["drain-fw1"]})", {token}, 400,
          R"(field "plan" must be a string)");
  refused("unknown field", "/api/v1/runs/approve", R"({"run":")" + run + R"(","force":"yes"})",
          {token}, 400, R"(unknown field "force")");
  refused("body over --web.max-body-bytes", "/api/v1/runs/approve", oversized, {token}, 413,
          "65536");
  EXPECT_EQ(http.Get(daemon_->url() + "/api/v1/runs").status, 401) << "status without a token";

  ProcessResult unknown = daemon_->Ctl({"start", "no-such-plan"});
  EXPECT_EQ(unknown.exit_status, 1) << unknown.out << unknown.err;
  EXPECT_THAT(unknown.err, AllOf(HasSubstr("HTTP 404"), HasSubstr("unknown plan 'no-such-plan'"),
                                 HasSubstr("drain-fw1")));
  testing::TempDir other;
  ProcessResult stranger =
      RunProcess({testing::CutoverctlBinary(), "--url=" + daemon_->url(),
                  "--token-file=" + other.Write("token", "not-the-token\n"), "approve", run},
                 {});
  EXPECT_EQ(stranger.exit_status, 1) << stranger.out << stranger.err;
  EXPECT_THAT(stranger.err, HasSubstr("HTTP 401"));

  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(testing::FileSize(daemon_->journal_file()), journal_size);
  EXPECT_EQ(daemon_->StepState("disconnect-fw1"), "waiting_trigger") << Evidence();
  EXPECT_THAT(member_->Summary(), IsEmpty()) << "a refused request made something happen";

  // Without a token, cutover-actions does not listen beyond loopback; it exits instead.
  ProcessOptions options;
  options.timeout = seconds(10);
  ProcessResult open =
      RunProcess({testing::CutoverActionsBinary(), "--config.file=" + dir_.File("cutover.yml"),
                  "--plan.file=" + dir_.File("plans"), "--journal.file=" + other.File("journal"),
                  "--prometheus.url=" + prometheus_->url(), "--web.listen-address=0.0.0.0:0"},
                 options);
  EXPECT_FALSE(open.timed_out) << "it kept running, so it listened on 0.0.0.0";
  EXPECT_EQ(open.exit_status, 1) << open.out << open.err;
  EXPECT_THAT(open.err, AllOf(HasSubstr("refusing to listen on 0.0.0.0:0 without a bearer token"),
                              HasSubstr("--web.auth-token-file"), Not(HasSubstr("listening"))));
}

// Runbook: "A request cutover cannot read safely (nested without end, not UTF-8, a NUL
// or a key given twice) is refused naming the limit; the daemon keeps serving, journals
// nothing, and what it serves stays JSON in UTF-8."
TEST_F(CutoverActionsRunbook, HostileBodiesAreRefusedAndTheDaemonKeepsServing) {
  SetUpCluster();
  daemon_->AddPlan("drain-fw1", R"(plan: drain-fw1
cluster: edge
defaults: {timeout: 2m, gate_interval: 200ms}
steps:
  - name: disconnect-fw1
    action: disconnect
    members: [fw1]
    trigger: manual
    gates:
      - name: fw1-drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="fw1"}'
        condition: "< 10"
)");
  daemon_->set_max_body_bytes(1 << 20);  // cutover-actions' default
  StartDaemon();
  std::string run = StartRun("drain-fw1");
  ASSERT_TRUE(WaitForStatus("waiting for an operator's approval")) << Evidence();
  const off_t journal_size = testing::FileSize(daemon_->journal_file());
  ASSERT_GT(journal_size, 0);

  HttpClient http;
  const std::string token = "Authorization: Bearer " + daemon_->token();
  auto refused = [&](const std::string& what, const std::string& path, const std::string& body,
                     const std::string& message) {
    auto r = http.Post(daemon_->url() + path, body, "application/json", {token});
    ASSERT_TRUE(r.ok) << what << ": the daemon did not answer (" << r.error << ")\n"
                      << daemon_->Log();
    EXPECT_EQ(r.status, 400) << what << ": " << r.body;
    EXPECT_TRUE(IsValidUtf8(r.body)) << what << ": the answer is not UTF-8: " << r.body;
    EXPECT_THAT(ErrorMessage(r.body), HasSubstr(message)) << what;
    EXPECT_EQ(testing::FileSize(daemon_->journal_file()), journal_size)
        << what << " changed the journal";
  };
  const int deep = 100000;
  refused("a start nested 100000 deep", "/api/v1/runs",
          R"({"plan":)" + std::string(deep, '[') + std::string(deep, ']') + "}",
          "JSON nested deeper than 64 levels");
  refused("an approval nested 900 deep, unclosed", "/api/v1/runs/approve",
          R"({"run":)" + std::string(900, '['), "nested deeper than 64 levels");
  refused("invalid UTF-8 in by", "/api/v1/runs/approve",
          R"({"run":")" + run + R"(","by":"al)" + "\xff\xfe" + R"(ice"})",
          R"(invalid UTF-8 in "by")");
  refused("a NUL in by", "/api/v1/runs/approve",
          R"({"run":")" + run + R"(","by":"alice\u0000mallory"})",
          R"(NUL character (\u0000) in "by")");
  refused("run given twice", "/api/v1/runs/approve",
          R"({"run":"no-such-run","run":")" + run + R"("})", R"(key "run" given twice)");
  refused("plan given twice", "/api/v1/runs", R"({"plan":"x","plan":"drain-fw1"})",
          R"(key "plan" given twice)");

  auto runs = http.Get(daemon_->url() + "/api/v1/runs", {token});
  ASSERT_TRUE(runs.ok) << "the daemon stopped serving: " << runs.error << "\n" << daemon_->Log();
  EXPECT_EQ(runs.status, 200) << runs.body;
  EXPECT_TRUE(IsValidUtf8(runs.body)) << runs.body;
  EXPECT_EQ(daemon_->StepState("disconnect-fw1"), "waiting_trigger") << Evidence();
  EXPECT_THAT(member_->Summary(), IsEmpty()) << "a refused request made something happen";
  EXPECT_EQ(testing::FileSize(daemon_->journal_file()), journal_size);
}

}  // namespace
}  // namespace cutover
