#include "exporter/exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/transport/http_client.h"
#include "tests/support/fake_driver.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class ExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"fw1", "fw2", "fw3"})
      states_[name] = std::make_shared<testing::FakeMemberState>();
    registry_.Add(testing::FakeDriverDescriptor(
        [this](const std::string& member) { return states_.at(member); }));
    auto loaded = LoadConfigString(
        "clusters:\n- name: edge\n  driver: fake\n  members: [{name: fw1}, {name: fw2}, {name: "
        "fw3}]\n",
        "t.yml", registry_);
    ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
    config_ = loaded.config;
    members_ = std::make_unique<MemberSet>(config_, registry_, &errors_);
    ASSERT_TRUE(errors_.empty());

    MemberStatus active;
    active.up = true;
    active.connections = 37;
    active.version = "R81.10";
    active.role = "active";
    active.sync.ok = true;
    active.sync.values[SyncMetric::kLostMessages] = 2;
    active.sync.values[SyncMetric::kExternalCacheEntries] = 35;
    active.accepting_new_connections = true;
    active.config_digest = "0123456789abcdef";
    states_["fw1"]->status = active;
    MemberStatus standby = active;
    standby.connections = 0;
    standby.role = "standby";
    standby.accepting_new_connections = false;
    states_["fw2"]->status = standby;
    states_["fw3"]->status = MemberStatus::Down("ssh: connection refused");
  }

  std::unique_ptr<Exporter> StartExporter(Duration probe_timeout = std::chrono::seconds(2)) {
    ExporterOptions options;
    options.listen_addresses = {"127.0.0.1:0"};
    options.probe_timeout = probe_timeout;
    auto exporter = std::make_unique<Exporter>(config_, *members_, options);
    std::string error;
    EXPECT_TRUE(exporter->Start(&error)) << error;
    return exporter;
  }

  std::map<std::string, std::shared_ptr<testing::FakeMemberState>> states_;
  DriverRegistry registry_;
  CutoverConfig config_;
  std::vector<ConfigError> errors_;
  std::unique_ptr<MemberSet> members_;
};

TEST_F(ExporterTest, PublishesEveryFigureOfAReachableMember) {
  auto exporter = StartExporter();
  std::string text = exporter->Scrape(Duration(0));
  for (const char* line : {
           "cutover_member_up{ha_cluster=\"edge\",member=\"fw1\"} 1",
           "cutover_member_connections{ha_cluster=\"edge\",member=\"fw1\"} 37",
           "cutover_member_info{ha_cluster=\"edge\",member=\"fw1\",version=\"R81.10\",driver="
           "\"fake\"} 1",
           "cutover_member_role{ha_cluster=\"edge\",member=\"fw1\",role=\"active\"} 1",
           "cutover_member_role{ha_cluster=\"edge\",member=\"fw1\",role=\"standby\"} 0",
           "cutover_member_role{ha_cluster=\"edge\",member=\"fw2\",role=\"standby\"} 1",
           "cutover_member_sync_ok{ha_cluster=\"edge\",member=\"fw1\"} 1",
           "cutover_member_sync_lost_messages_total{ha_cluster=\"edge\",member=\"fw1\"} 2",
           "cutover_member_sync_external_cache_entries{ha_cluster=\"edge\",member=\"fw1\"} 35",
           "cutover_member_accepting_new_connections{ha_cluster=\"edge\",member=\"fw2\"} 0",
           "cutover_member_config_info{ha_cluster=\"edge\",member=\"fw1\",digest="
           "\"0123456789abcdef\"} 1",
           "# TYPE cutover_member_sync_lost_messages_total counter",
       })
    EXPECT_THAT(text, HasSubstr(line));
  EXPECT_THAT(text,
              HasSubstr("cutover_probe_duration_seconds{ha_cluster=\"edge\",member=\"fw1\"}"));
  EXPECT_THAT(text, HasSubstr("cutover_build_info{version=\""));
}

// A drain gate reads cutover_member_connections; an unreadable member must not look
// drained, so it publishes no connection figure at all.
TEST_F(ExporterTest, AnUnreachableMemberIsDownAndPublishesNoFigures) {
  auto exporter = StartExporter();
  std::string text = exporter->Scrape(Duration(0));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw3\"} 0"));
  EXPECT_THAT(text,
              Not(HasSubstr("cutover_member_connections{ha_cluster=\"edge\",member=\"fw3\"}")));
  EXPECT_THAT(text, Not(HasSubstr("member=\"fw3\",role=")));
}

TEST_F(ExporterTest, AHangingMemberCostsOnlyItsOwnFiguresAndTheScrapeAnswersInTime) {
  states_["fw2"]->probe_delay = std::chrono::seconds(3);
  auto exporter = StartExporter(std::chrono::milliseconds(400));
  auto start = std::chrono::steady_clock::now();
  std::string text = exporter->Scrape(Duration(0));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw2\"} 0"));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw1\"} 1"));
  // The next scrape finds fw2 still busy and says so instead of piling up probes.
  text = exporter->Scrape(Duration(0));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw2\"} 0"));
  EXPECT_LE(states_["fw2"]->probes.load(), 1);
}

TEST_F(ExporterTest, PrometheusScrapeTimeoutBoundsTheProbes) {
  states_["fw1"]->probe_delay = std::chrono::seconds(2);
  auto exporter = StartExporter(std::chrono::seconds(10));
  HttpClient client;
  auto start = std::chrono::steady_clock::now();
  auto response =
      client.Get("http://127.0.0.1:" + std::to_string(exporter->Ports().at(0)) + "/metrics",
                 {"X-Prometheus-Scrape-Timeout-Seconds: 1"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(response.status, 200);
  EXPECT_LT(took, std::chrono::milliseconds(1000));
  EXPECT_THAT(response.body, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw1\"} 0"));
  EXPECT_THAT(response.content_type, HasSubstr("text/plain; version=0.0.4"));
}

TEST_F(ExporterTest, ServesLandingPageHealthAndReadiness) {
  auto exporter = StartExporter();
  HttpClient client;
  std::string base = "http://127.0.0.1:" + std::to_string(exporter->Ports().at(0));
  auto landing = client.Get(base + "/");
  EXPECT_EQ(landing.status, 200);
  EXPECT_THAT(landing.body, HasSubstr("<a href=\"/metrics\">Metrics</a>"));
  EXPECT_THAT(landing.body, HasSubstr("edge: fw1 (fake), fw2 (fake), fw3 (fake)"));
  EXPECT_EQ(client.Get(base + "/-/healthy").status, 200);
  EXPECT_EQ(client.Get(base + "/-/ready").status, 200);
  EXPECT_EQ(client.Get(base + "/nothing").status, 404);
}

}  // namespace
}  // namespace cutover
