// dashboards/ as Grafana would provision it, checked without Grafana: each dashboard
// loads as it is (no "export for sharing" inputs), every panel follows the dashboard's
// datasource and variables, every query parses in promtool, the grid holds together, and
// the upgrade dashboard shows what an operator follows during a cutover run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "common/process.h"
#include "common/strings.h"
#include "tests/dashboards/dashboard_queries.h"
#include "tests/support/temp_dir.h"

namespace cutover::dashboards {
namespace {

using ::testing::HasSubstr;
using Json = rapidjson::Value;

const std::string kDashboards = std::string(CUTOVER_SOURCE_DIR) + "/dashboards";
const std::string kUpgradeDashboard = kDashboards + "/cutover-upgrade.json";
const std::string kQueriesTool =
    std::string(CUTOVER_BINARY_DIR) + "/tests/dashboards/cutover-dashboard-queries";

struct Dashboard {
  std::string path;
  std::string text;
  rapidjson::Document doc;
};

std::vector<std::string> DashboardFiles() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kDashboards))
    if (entry.path().extension() == ".json") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::unique_ptr<Dashboard>> LoadDashboards() {
  std::vector<std::unique_ptr<Dashboard>> dashboards;
  for (const std::string& file : DashboardFiles()) {
    auto dashboard = std::make_unique<Dashboard>();
    dashboard->path = file;
    dashboard->text = testing::ReadFile(file);
    dashboard->doc.Parse(dashboard->text.c_str());
    EXPECT_FALSE(dashboard->doc.HasParseError()) << file << " is not JSON";
    if (!dashboard->doc.HasParseError()) dashboards.push_back(std::move(dashboard));
  }
  EXPECT_FALSE(dashboards.empty()) << "no dashboards in " << kDashboards;
  return dashboards;
}

std::string Str(const Json& object, const char* key) {
  if (!object.IsObject() || !object.HasMember(key) || !object[key].IsString()) return "";
  return object[key].GetString();
}

// Panels in grid order, the panels of collapsed rows included.
std::vector<const Json*> Panels(const Json& doc) {
  std::vector<const Json*> panels;
  for (const Json& panel : doc["panels"].GetArray()) {
    panels.push_back(&panel);
    if (panel.HasMember("panels"))
      for (const Json& inner : panel["panels"].GetArray()) panels.push_back(&inner);
  }
  return panels;
}

std::string Describe(const Json& panel) {
  return "panel " +
         (panel.HasMember("id") && panel["id"].IsInt() ? std::to_string(panel["id"].GetInt())
                                                       : std::string("without id")) +
         " \"" + Str(panel, "title") + "\"";
}

bool UsesDatasourceVariable(const Json& object) {
  if (!object.IsObject() || !object.HasMember("datasource")) return false;
  const Json& ds = object["datasource"];
  return ds.IsObject() && Str(ds, "type") == "prometheus" && Str(ds, "uid") == "${datasource}";
}

std::vector<DashboardQuery> Queries(const Dashboard& dashboard) {
  auto queries = ExtractQueries(dashboard.text);
  EXPECT_TRUE(queries.ok()) << dashboard.path << ": " << queries.error();
  return queries.ok() ? queries.value() : std::vector<DashboardQuery>{};
}

TEST(Dashboards, ProvisionAsTheyAreWithStableUids) {
  std::set<std::string> uids;
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    const Json& doc = dashboard->doc;
    EXPECT_THAT(dashboard->text, ::testing::Not(HasSubstr("__inputs")))
        << "\"export for sharing\" JSON: provisioning cannot resolve its inputs";
    EXPECT_THAT(dashboard->text, ::testing::Not(HasSubstr("${DS_")))
        << "panels would fail with 'Datasource ${DS_...} was not found'";
    std::string uid = Str(doc, "uid");
    EXPECT_FALSE(uid.empty());
    EXPECT_LE(uid.size(), 40u);
    EXPECT_TRUE(uids.insert(uid).second) << "uid " << uid << " used twice";
    ASSERT_TRUE(doc.HasMember("id"));
    EXPECT_TRUE(doc["id"].IsNull()) << "id must be null: Grafana assigns it";
    ASSERT_TRUE(doc.HasMember("schemaVersion") && doc["schemaVersion"].IsInt());
    EXPECT_GE(doc["schemaVersion"].GetInt(), 36);
    EXPECT_LE(doc["schemaVersion"].GetInt(), 39);
    for (const char* key : {"title", "tags", "time", "refresh", "graphTooltip", "version",
                            "templating", "annotations"})
      EXPECT_TRUE(doc.HasMember(key)) << "missing " << key;
  }
  auto upgrade = std::find(uids.begin(), uids.end(), "cutover-upgrade");
  EXPECT_NE(upgrade, uids.end()) << "bookmarks and links use uid cutover-upgrade";
}

TEST(Dashboards, EveryPanelTargetAnnotationAndVariableUsesTheDatasourceVariable) {
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    const Json& doc = dashboard->doc;
    bool has_variable = false;
    for (const Json& variable : doc["templating"]["list"].GetArray()) {
      if (Str(variable, "type") == "datasource") {
        has_variable =
            Str(variable, "name") == "datasource" && Str(variable, "query") == "prometheus";
      } else if (Str(variable, "type") == "query") {
        EXPECT_TRUE(UsesDatasourceVariable(variable)) << "variable " << Str(variable, "name");
      }
    }
    EXPECT_TRUE(has_variable) << "needs a datasource variable named datasource (prometheus)";
    for (const Json* panel : Panels(doc)) {
      if (Str(*panel, "type") == "row") continue;
      EXPECT_TRUE(UsesDatasourceVariable(*panel)) << Describe(*panel);
      ASSERT_TRUE(panel->HasMember("targets")) << Describe(*panel) << " has no targets";
      for (const Json& target : (*panel)["targets"].GetArray())
        EXPECT_TRUE(UsesDatasourceVariable(target))
            << Describe(*panel) << " target " << Str(target, "refId");
    }
    for (const Json& annotation : doc["annotations"]["list"].GetArray()) {
      if (annotation.HasMember("builtIn")) continue;
      EXPECT_TRUE(UsesDatasourceVariable(annotation)) << "annotation " << Str(annotation, "name");
    }
  }
}

TEST(Dashboards, EveryReferencedVariableIsDefinedAndMultiValuesAreMatchedAsRegex) {
  const std::regex exact_match(R"((^|[^=~!])!?="[^"]*(\$|\[\[))");
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    std::set<std::string> defined;
    for (const auto& [name, value] : BuiltInVariables()) defined.insert(name);
    for (const Json& variable : dashboard->doc["templating"]["list"].GetArray())
      defined.insert(Str(variable, "name"));
    for (const DashboardQuery& query : Queries(*dashboard)) {
      for (const std::string& name : ReferencedVariables(query.expr))
        EXPECT_TRUE(defined.count(name))
            << query.location << " uses $" << name << ", which the dashboard does not define";
      EXPECT_FALSE(std::regex_search(query.expr, exact_match))
          << query.location << " matches a variable with = or !=; multi-value and All "
          << "selections need =~ or !~: " << query.expr;
    }
  }
}

// The text between `open` (an opening parenthesis) and its closing one.
std::string Argument(const std::string& expr, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < expr.size(); ++i) {
    if (expr[i] == '(') ++depth;
    if (expr[i] == ')' && --depth == 0) return expr.substr(open + 1, i - open - 1);
  }
  return expr.substr(open + 1);
}

TEST(Dashboards, RatesUseRateInterval) {
  const std::regex rate_call(R"(\b(rate|irate|increase)\s*\()");
  const std::regex range(R"(\[[^\]]*\])");
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    for (const DashboardQuery& query : Queries(*dashboard)) {
      for (auto it = std::sregex_iterator(query.expr.begin(), query.expr.end(), rate_call);
           it != std::sregex_iterator(); ++it) {
        std::string argument =
            Argument(query.expr, static_cast<std::size_t>(it->position() + it->length() - 1));
        std::smatch window;
        ASSERT_TRUE(std::regex_search(argument, window, range)) << query.location;
        EXPECT_EQ(window.str(), "[$__rate_interval]")
            << query.location << ": a fixed window shows nothing or noise at other zoom "
            << "levels and scrape intervals: " << query.expr;
      }
    }
  }
}

TEST(Dashboards, EveryQueryParsesInPromtool) {
  testing::TempDir dir;
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    std::vector<DashboardQuery> queries = Queries(*dashboard);
    ASSERT_FALSE(queries.empty());
    YAML::Emitter rules;
    std::string index;
    rules << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq
          << YAML::BeginMap << YAML::Key << "name" << YAML::Value << "dashboard" << YAML::Key
          << "rules" << YAML::Value << YAML::BeginSeq;
    for (std::size_t i = 0; i < queries.size(); ++i) {
      std::string record = "dashboard_query_" + std::to_string(i);
      rules << YAML::BeginMap << YAML::Key << "record" << YAML::Value << record << YAML::Key
            << "expr" << YAML::Value << YAML::DoubleQuoted << SubstituteVariables(queries[i].expr)
            << YAML::EndMap;
      index += record + ": " + queries[i].location + "\n";
    }
    rules << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
    std::string file = dir.Write("dashboard.rules.yml", rules.c_str());

    ProcessOptions options;
    options.timeout = std::chrono::seconds(60);
    ProcessResult result = RunProcess({"promtool", "check", "rules", file}, options);
    ASSERT_TRUE(result.started) << result.error << " (install Debian's prometheus package)";
    EXPECT_EQ(result.exit_status, 0) << "Prometheus would reject these queries:\n"
                                     << result.out << result.err << "\nwhere\n"
                                     << index;
    EXPECT_THAT(result.out, HasSubstr("SUCCESS: " + std::to_string(queries.size()) + " rules"));
  }
}

struct Box {
  int x, y, w, h;
};

TEST(Dashboards, PanelsHaveUniqueIdsAndFitTheGridWithoutOverlapping) {
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    std::set<int> ids;
    std::vector<std::pair<std::string, Box>> boxes;
    for (const Json& panel : dashboard->doc["panels"].GetArray()) {
      ASSERT_TRUE(panel.HasMember("id") && panel["id"].IsInt()) << Describe(panel);
      EXPECT_TRUE(ids.insert(panel["id"].GetInt()).second) << "id used twice: " << Describe(panel);
      ASSERT_TRUE(panel.HasMember("gridPos")) << Describe(panel);
      const Json& g = panel["gridPos"];
      Box box{g["x"].GetInt(), g["y"].GetInt(), g["w"].GetInt(), g["h"].GetInt()};
      EXPECT_GE(box.x, 0) << Describe(panel);
      EXPECT_GE(box.y, 0) << Describe(panel);
      EXPECT_GT(box.h, 0) << Describe(panel);
      EXPECT_GE(box.w, 1) << Describe(panel);
      EXPECT_LE(box.w, 24) << Describe(panel);
      EXPECT_LE(box.x + box.w, 24) << Describe(panel) << " reaches past the 24 grid columns";
      for (const auto& [other, o] : boxes)
        EXPECT_FALSE(box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h &&
                     o.y < box.y + box.h)
            << Describe(panel) << " overlaps " << other;
      boxes.push_back({Describe(panel), box});
    }
  }
}

bool AnyQueryHas(const std::vector<DashboardQuery>& queries, const std::string& text) {
  return std::any_of(queries.begin(), queries.end(), [&](const DashboardQuery& q) {
    return q.expr.find(text) != std::string::npos;
  });
}

const Json* PanelTitled(const Json& doc, const std::string& prefix) {
  for (const Json* panel : Panels(doc))
    if (Str(*panel, "title").starts_with(prefix)) return panel;
  return nullptr;
}

TEST(UpgradeDashboard, ShowsWhatAnOperatorFollowsDuringARun) {
  rapidjson::Document doc;
  std::string text = testing::ReadFile(kUpgradeDashboard);
  doc.Parse(text.c_str());
  ASSERT_FALSE(doc.HasParseError());
  auto queries = ExtractQueries(text);
  ASSERT_TRUE(queries.ok()) << queries.error();

  std::map<std::string, std::string> variables;
  for (const Json& variable : doc["templating"]["list"].GetArray()) {
    variables[Str(variable, "name")] = Str(variable, "definition");
    if (Str(variable, "type") == "query") {
      EXPECT_TRUE(variable["multi"].GetBool()) << Str(variable, "name");
      EXPECT_TRUE(variable["includeAll"].GetBool()) << Str(variable, "name");
    }
  }
  EXPECT_EQ(variables["ha_cluster"], "label_values(cutover_member_up, ha_cluster)");
  EXPECT_EQ(variables["member"],
            "label_values(cutover_member_up{ha_cluster=~\"$ha_cluster\"}, member)");

  for (const char* metric : {"cutover_member_connections",
                             "cutover_member_info",
                             "cutover_member_role",
                             "cutover_run_step",
                             "cutover_step_state",
                             "cutover_member_sync_ok",
                             "ha_cluster_member:cutover_standby_parity:ratio",
                             "cutover_gate_value",
                             "cutover_gate_threshold",
                             "cutover_gate_passing",
                             "ha_cluster_member:cutover_member_draining:bool",
                             "ha_cluster_member:cutover_drain_estimate:seconds",
                             "cutover_traffic_sessions_open",
                             "cutover_traffic_sessions_broken_total",
                             "cutover_traffic_connects_failed_total",
                             "cutover_traffic_sessions_stalled_total",
                             "ALERTS{alertname=~\"Cutover.*\"",
                             "changes(cutover_run_step",
                             "rate(cutover_member_forwarded_packets_total",
                             "increase(cutover_member_invalid_state_drops_total"})
    EXPECT_TRUE(AnyQueryHas(queries.value(), metric)) << "no query shows " << metric;

  std::map<std::string, std::string> expected_types = {
      {"Connections per member", "timeseries"},
      {"Forwarded packets per member", "timeseries"},
      {"Invalid-state drops per member", "timeseries"},
      {"Versions per member", "table"},
      {"Roles", "state-timeline"},
      {"Run step", "state-timeline"},
      {"Step states", "state-timeline"},
      {"Drain progress", "timeseries"},
      {"Drain estimate", "timeseries"}};
  for (const auto& [title, type] : expected_types) {
    const Json* panel = PanelTitled(doc, title);
    ASSERT_NE(panel, nullptr) << "no panel titled " << title;
    EXPECT_EQ(Str(*panel, "type"), type) << title;
  }
  // On a real pair the members' own counters show the move: they sit in the row under
  // the connections, in the same columns, so traffic and breakage read side by side.
  const Json* connections = PanelTitled(doc, "Connections per member");
  const Json* forwarded = PanelTitled(doc, "Forwarded packets per member");
  const Json* invalid = PanelTitled(doc, "Invalid-state drops per member");
  ASSERT_TRUE(connections && forwarded && invalid);
  const Json& below = (*connections)["gridPos"];
  EXPECT_EQ((*forwarded)["gridPos"]["y"].GetInt(), below["y"].GetInt() + below["h"].GetInt())
      << "forwarded packets belong right under the connections";
  EXPECT_EQ((*forwarded)["gridPos"]["x"].GetInt(), below["x"].GetInt());
  EXPECT_EQ((*invalid)["gridPos"]["y"].GetInt(), (*forwarded)["gridPos"]["y"].GetInt())
      << "invalid-state drops belong beside the forwarded packets";

  for (const char* title : {"Roles", "Step states", "Gate verdicts"}) {
    const Json* panel = PanelTitled(doc, title);
    ASSERT_NE(panel, nullptr) << title;
    EXPECT_GT((*panel)["fieldConfig"]["defaults"]["mappings"].Size(), 0u)
        << title << " shows numbers instead of names";
  }
}

// A panel reading a recording rule that alerts/cutover.rules.yml does not define (a
// typo, a renamed rule) stays empty without any error in Grafana.
TEST(Dashboards, EveryRecordingRuleTheyReadIsDefinedInTheAlertRules) {
  std::set<std::string> recorded;
  YAML::Node rules = YAML::LoadFile(std::string(CUTOVER_SOURCE_DIR) + "/alerts/cutover.rules.yml");
  for (const YAML::Node& group : rules["groups"])
    for (const YAML::Node& rule : group["rules"])
      if (rule["record"]) recorded.insert(rule["record"].as<std::string>());
  ASSERT_FALSE(recorded.empty());
  const std::regex rule_name(R"((^|[^A-Za-z0-9_:"])([A-Za-z_]*:[A-Za-z0-9_]+:[A-Za-z0-9_]+))");
  for (const auto& dashboard : LoadDashboards()) {
    SCOPED_TRACE(dashboard->path);
    for (const DashboardQuery& query : Queries(*dashboard)) {
      for (auto it = std::sregex_iterator(query.expr.begin(), query.expr.end(), rule_name);
           it != std::sregex_iterator(); ++it)
        EXPECT_TRUE(recorded.count((*it)[2].str()))
            << query.location << " reads " << (*it)[2].str()
            << ", which alerts/cutover.rules.yml does not record: the panel would stay empty";
    }
  }
}

TEST(DashboardProvisioning, PointsGrafanaAtTheDashboardsFolder) {
  YAML::Node config = YAML::LoadFile(kDashboards + "/provisioning/cutover.yaml");
  EXPECT_EQ(config["apiVersion"].as<int>(0), 1);
  ASSERT_EQ(config["providers"].size(), 1u);
  const YAML::Node& provider = config["providers"][0];
  EXPECT_EQ(provider["type"].as<std::string>(""), "file");
  EXPECT_FALSE(provider["name"].as<std::string>("").empty());
  EXPECT_FALSE(provider["folder"].as<std::string>("").empty());
  EXPECT_FALSE(provider["allowUiUpdates"].as<bool>(true))
      << "edits in the UI would be lost at the next provisioning";
  EXPECT_TRUE(provider["options"]["path"].as<std::string>("").starts_with("/"));
}

TEST(DashboardQueriesTool, PrintsEveryQueryReadyForPrometheus) {
  ProcessResult result = RunProcess({kQueriesTool, kUpgradeDashboard}, ProcessOptions{});
  ASSERT_TRUE(result.started) << result.error;
  ASSERT_EQ(result.exit_status, 0) << result.err;
  auto queries = ExtractQueries(testing::ReadFile(kUpgradeDashboard));
  ASSERT_TRUE(queries.ok());
  std::vector<std::string_view> lines = SplitLines(result.out);
  ASSERT_EQ(lines.size(), queries.value().size()) << result.out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string_view> fields = Split(lines[i], '\t');
    ASSERT_EQ(fields.size(), 2u) << lines[i];
    EXPECT_EQ(fields[0], queries.value()[i].location);
    EXPECT_EQ(fields[1].find('$'), std::string_view::npos) << "unsubstituted: " << lines[i];
  }
  ProcessResult missing = RunProcess({kQueriesTool, "/nonexistent.json"}, ProcessOptions{});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_THAT(missing.err, HasSubstr("cannot read"));
}

}  // namespace
}  // namespace cutover::dashboards
