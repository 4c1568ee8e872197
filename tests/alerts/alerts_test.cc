// alerts/ as Prometheus and Alertmanager load it: the rules pass promtool, every alert
// has unit tests that see it fire and stay quiet, every alert follows the mixin style and
// has a runbook section, and Alertmanager delivers every Cutover* alert to cutover-actions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/duration.h"
#include "common/process.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

const std::string kSource = CUTOVER_SOURCE_DIR;
const std::string kRules = kSource + "/alerts/cutover.rules.yml";
const std::string kRulesTest = kSource + "/tests/alerts/cutover.rules.test.yml";
const std::string kAlertmanager = kSource + "/alerts/alertmanager.yml";
const std::string kRunbook = kSource + "/alerts/RUNBOOK.md";
const std::string kReadme = kSource + "/alerts/README.md";

// Alerts about something other than one cluster (a scrape target, the daemon itself).
const std::set<std::string> kAlertsWithoutCluster = {"CutoverExporterDown",
                                                     "CutoverWebhookRejected"};

ProcessResult RunTool(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.timeout = std::chrono::seconds(120);
  return RunProcess(argv, options);
}

std::string Describe(const ProcessResult& result) {
  return "exit " + std::to_string(result.exit_status) + " " + result.error + "\nstdout:\n" +
         result.out + "\nstderr:\n" + result.err;
}

struct Alert {
  std::string name;
  YAML::Node rule;
};

std::vector<Alert> LoadAlerts() {
  std::vector<Alert> alerts;
  for (const YAML::Node& group : YAML::LoadFile(kRules)["groups"])
    for (const YAML::Node& rule : group["rules"])
      if (rule["alert"]) alerts.push_back({rule["alert"].as<std::string>(), rule});
  return alerts;
}

std::vector<std::string> LoadRecordingRuleNames() {
  std::vector<std::string> names;
  for (const YAML::Node& group : YAML::LoadFile(kRules)["groups"])
    for (const YAML::Node& rule : group["rules"])
      if (rule["record"]) names.push_back(rule["record"].as<std::string>());
  return names;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

TEST(AlertRules, PromtoolCheckRulesAcceptsThem) {
  ProcessResult result = RunTool({"promtool", "check", "rules", kRules});
  ASSERT_TRUE(result.started) << result.error << " (install Debian's prometheus package)";
  EXPECT_EQ(result.exit_status, 0) << Describe(result);
  EXPECT_THAT(result.out, HasSubstr("SUCCESS")) << Describe(result);
}

TEST(AlertRules, PromtoolUnitTestsPass) {
  ProcessResult result = RunTool({"promtool", "test", "rules", kRulesTest});
  ASSERT_TRUE(result.started) << result.error;
  EXPECT_EQ(result.exit_status, 0)
      << "an alert fires when it should not, or stays quiet when it should fire:\n"
      << Describe(result);
}

TEST(AlertRules, EveryAlertFollowsTheMixinStyle) {
  std::vector<Alert> alerts = LoadAlerts();
  ASSERT_GE(alerts.size(), 9u);
  const std::string runbook = testing::ReadFile(kRunbook);
  const std::string readme = testing::ReadFile(kReadme);
  for (const Alert& alert : alerts) {
    SCOPED_TRACE(alert.name);
    EXPECT_TRUE(alert.name.starts_with("Cutover")) << "Alertmanager routes only Cutover*";
    std::string severity = alert.rule["labels"]["severity"].as<std::string>("");
    EXPECT_THAT((std::set<std::string>{"info", "warning", "critical"}),
                ::testing::Contains(severity));
    const YAML::Node& annotations = alert.rule["annotations"];
    EXPECT_FALSE(annotations["summary"].as<std::string>("").empty());
    EXPECT_THAT(annotations["summary"].as<std::string>(""), ::testing::Not(HasSubstr("{{")))
        << "summary is the static headline; details go in description";
    EXPECT_THAT(annotations["description"].as<std::string>(""), HasSubstr("{{ $labels."))
        << "description must name what it is about";
    EXPECT_EQ(annotations["runbook_url"].as<std::string>(""),
              "alerts/RUNBOOK.md#" + Lower(alert.name));
    EXPECT_THAT(runbook, HasSubstr("\n## " + alert.name + "\n")) << "no runbook section";
    EXPECT_THAT(readme, HasSubstr("\n| `" + alert.name + "` |"))
        << "no row in alerts/README.md's table of alerts";
  }
}

TEST(AlertRules, RecordingRulesAreNamedLevelMetricOperations) {
  const std::regex convention("[a-z_]*:[a-z0-9_]+:[a-z0-9_]+");
  const std::string readme = testing::ReadFile(kReadme);
  for (const std::string& name : LoadRecordingRuleNames()) {
    EXPECT_TRUE(std::regex_match(name, convention)) << name;
    EXPECT_THAT(readme, HasSubstr("`" + name + "`")) << name << " missing from README.md";
  }
}

TEST(AlertRulesUnitTests, EveryAlertIsSeenFiringAndQuiet) {
  std::map<std::string, int> firing;
  std::map<std::string, int> quiet;
  std::map<std::string, std::vector<YAML::Node>> fired_labels;
  for (const YAML::Node& test : YAML::LoadFile(kRulesTest)["tests"]) {
    for (const YAML::Node& check : test["alert_rule_test"]) {
      std::string name = check["alertname"].as<std::string>();
      if (check["exp_alerts"].size() == 0) {
        ++quiet[name];
      } else {
        ++firing[name];
        for (const YAML::Node& alert : check["exp_alerts"])
          fired_labels[name].push_back(alert["exp_labels"]);
      }
    }
  }
  for (const Alert& alert : LoadAlerts()) {
    SCOPED_TRACE(alert.name);
    EXPECT_GT(firing[alert.name], 0) << "no test case sees it fire";
    EXPECT_GT(quiet[alert.name], 0) << "no test case sees it stay quiet";
    if (kAlertsWithoutCluster.count(alert.name)) continue;
    for (const YAML::Node& labels : fired_labels[alert.name])
      EXPECT_TRUE(labels["ha_cluster"].IsDefined())
          << "fires without ha_cluster: cutover-actions could not match it to a run";
  }
}

TEST(AlertRouting, AmtoolCheckConfigAcceptsIt) {
  ProcessResult result = RunTool({"amtool", "check-config", kAlertmanager});
  ASSERT_TRUE(result.started) << result.error << " (install Debian's prometheus-alertmanager)";
  EXPECT_EQ(result.exit_status, 0) << Describe(result);
  EXPECT_THAT(result.out, HasSubstr("SUCCESS")) << Describe(result);
}

ProcessResult RouteTest(const std::string& receiver, const std::vector<std::string>& labels) {
  std::vector<std::string> argv = {"amtool",
                                   "config",
                                   "routes",
                                   "test",
                                   "--config.file=" + kAlertmanager,
                                   "--verify.receivers=" + receiver};
  argv.insert(argv.end(), labels.begin(), labels.end());
  return RunTool(argv);
}

TEST(AlertRouting, EveryCutoverAlertRoutesToCutoverActions) {
  for (const Alert& alert : LoadAlerts()) {
    std::string severity = alert.rule["labels"]["severity"].as<std::string>("");
    ProcessResult result = RouteTest(
        "cutover-actions", {"alertname=" + alert.name, "severity=" + severity, "ha_cluster=edge"});
    EXPECT_EQ(result.exit_status, 0)
        << alert.name << " would not reach cutover-actions: " << Describe(result);
  }
}

TEST(AlertRouting, OtherAlertsDoNotReachCutoverActions) {
  ProcessResult result =
      RouteTest("default", {"alertname=NodeFilesystemAlmostFull", "severity=critical"});
  EXPECT_EQ(result.exit_status, 0) << Describe(result);
}

YAML::Node CutoverRoute(const YAML::Node& config) {
  for (const YAML::Node& route : config["route"]["routes"])
    if (route["receiver"].as<std::string>("") == "cutover-actions") return route;
  return YAML::Node();
}

TEST(AlertRouting, AlertsThatDrivePlansAreDeliveredWithinSeconds) {
  YAML::Node route = CutoverRoute(YAML::LoadFile(kAlertmanager));
  ASSERT_TRUE(route.IsDefined()) << "no route to cutover-actions";
  EXPECT_EQ(route["group_by"].as<std::vector<std::string>>(std::vector<std::string>{}),
            (std::vector<std::string>{"alertname", "ha_cluster"}))
      << "a group must not mix clusters: cutover-actions matches runs by ha_cluster";
  bool found = false;
  for (const YAML::Node& child : route["routes"]) {
    std::string matchers = YAML::Dump(child["matchers"]);
    if (matchers.find("severity") == std::string::npos ||
        matchers.find("info") == std::string::npos ||
        matchers.find("critical") == std::string::npos)
      continue;
    found = true;
    auto group_wait = ParseDuration(child["group_wait"].as<std::string>(""));
    ASSERT_TRUE(group_wait.has_value());
    EXPECT_LE(*group_wait, std::chrono::seconds(10))
        << "plan steps and rollbacks would wait for Alertmanager's group_wait";
  }
  EXPECT_TRUE(found) << "no route with a short group_wait for info and critical alerts";
}

TEST(AlertRouting, CutoverActionsReceiverUsesBearerAuthAndSendsResolved) {
  YAML::Node config = YAML::LoadFile(kAlertmanager);
  YAML::Node receiver;
  for (const YAML::Node& r : config["receivers"])
    if (r["name"].as<std::string>("") == "cutover-actions") receiver = r;
  ASSERT_TRUE(receiver.IsDefined());
  ASSERT_EQ(receiver["webhook_configs"].size(), 1u);
  const YAML::Node& webhook = receiver["webhook_configs"][0];
  EXPECT_EQ(webhook["url"].as<std::string>(""), "http://127.0.0.1:10471/api/v1/alertmanager");
  EXPECT_TRUE(webhook["send_resolved"].as<bool>(false))
      << "cutover-actions must hear when an alert resolves";
  const YAML::Node& auth = webhook["http_config"]["authorization"];
  EXPECT_EQ(auth["type"].as<std::string>(""), "Bearer");
  EXPECT_FALSE(auth["credentials_file"].as<std::string>("").empty())
      << "the token belongs in a file, not in alertmanager.yml";
  EXPECT_FALSE(auth["credentials"].IsDefined());
}

}  // namespace
}  // namespace cutover
