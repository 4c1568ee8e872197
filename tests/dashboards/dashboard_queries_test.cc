// Reading a dashboard's queries the way Grafana sends them: every place PromQL hides in
// the JSON, and the variables substituted so Prometheus can run them.
#include "tests/dashboards/dashboard_queries.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cutover::dashboards {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::HasSubstr;

constexpr char kDashboard[] = R"json({
  "templating": {"list": [
    {"type": "datasource", "name": "datasource", "query": "prometheus"},
    {"type": "query", "name": "ha_cluster", "definition": "label_values(cutover_member_up, ha_cluster)"},
    {"type": "query", "name": "member",
     "query": {"query": "label_values(cutover_member_up{ha_cluster=~\"$ha_cluster\"}, member)"}},
    {"type": "custom", "name": "window", "query": "5m,1h"}
  ]},
  "annotations": {"list": [
    {"builtIn": 1, "name": "Annotations & Alerts"},
    {"name": "Cutover alerts", "expr": "ALERTS{alertname=~\"Cutover.*\"}"}
  ]},
  "panels": [
    {"id": 1, "title": "Connections", "targets": [
      {"refId": "A", "expr": "cutover_member_connections{member=~\"$member\"}"},
      {"refId": "B", "expr": ""}
    ]},
    {"id": 2, "type": "row", "title": "Traffic", "collapsed": true, "panels": [
      {"id": 3, "title": "Broken", "targets": [
        {"refId": "A", "expr": "rate(cutover_traffic_sessions_broken_total[$__rate_interval])"}]}
    ]}
  ]
})json";

TEST(DashboardQueries, FindsVariablesAnnotationsAndPanelTargetsIncludingCollapsedRows) {
  auto queries = ExtractQueries(kDashboard);
  ASSERT_TRUE(queries.ok()) << queries.error();
  EXPECT_THAT(
      queries.value(),
      ElementsAre(Field(&DashboardQuery::expr, "cutover_member_up"),
                  Field(&DashboardQuery::expr, "cutover_member_up{ha_cluster=~\"$ha_cluster\"}"),
                  Field(&DashboardQuery::expr, "ALERTS{alertname=~\"Cutover.*\"}"),
                  Field(&DashboardQuery::expr, "cutover_member_connections{member=~\"$member\"}"),
                  Field(&DashboardQuery::expr,
                        "rate(cutover_traffic_sessions_broken_total[$__rate_interval])")));
  EXPECT_EQ(queries.value()[0].location, "variable ha_cluster");
  EXPECT_EQ(queries.value()[2].location, "annotation \"Cutover alerts\"");
  EXPECT_EQ(queries.value()[3].location, "panel 1 \"Connections\" target A");
  EXPECT_EQ(queries.value()[4].location, "panel 3 \"Broken\" target A");
}

TEST(DashboardQueries, RefusesWhatIsNotADashboard) {
  auto broken = ExtractQueries("{\"panels\": [");
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.error(), HasSubstr("not JSON"));
  auto other = ExtractQueries("{\"dashboard\": {}}");
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(other.error(), HasSubstr("no \"panels\" array"));
}

TEST(DashboardQueries, NamesEveryVariableSpelling) {
  EXPECT_THAT(
      ReferencedVariables("rate(x{a=~\"$ha_cluster\", b=~\"${member:regex}\", c=~\"[[old]]\"}"
                          "[$__rate_interval]) and on () y{d=\"${datasource}\"}"),
      ::testing::UnorderedElementsAre("ha_cluster", "member", "old", "__rate_interval",
                                      "datasource"));
  EXPECT_TRUE(ReferencedVariables("ALERTS{alertname=~\"Cutover.*\"} > 0").empty());
}

TEST(DashboardQueries, SubstitutesAllForDashboardVariablesAndLabValuesForBuiltIns) {
  EXPECT_EQ(SubstituteVariables("rate(x{ha_cluster=~\"$ha_cluster\", member=~\"${member}\"}"
                                "[$__rate_interval])"),
            "rate(x{ha_cluster=~\".*\", member=~\".*\"}[5m])");
  EXPECT_EQ(SubstituteVariables("increase(x[$__range]) / $__range_s"), "increase(x[1h]) / 3600");
  EXPECT_EQ(SubstituteVariables("x[$__unknown_builtin]"), "x[$__unknown_builtin]");
}

}  // namespace
}  // namespace cutover::dashboards
