#include "exporter/exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/process.h"
#include "common/strings.h"
#include "plugins/transport/http_client.h"
#include "tests/support/fake_driver.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;

// The value of the one sample of `series` (e.g. "cutover_probe_round_age_seconds") in an
// exposition, or -1 when absent.
double SampleValue(const std::string& text, const std::string& series) {
  for (std::string_view line : SplitLines(text)) {
    if (!StartsWith(line, series + " ")) continue;
    auto value = ParseDouble(line.substr(series.size() + 1));
    return value ? *value : -1;
  }
  return -1;
}

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
    // Every client of a test comes from 127.0.0.1, as if through one proxy.
    options.max_connections_per_client = 32;
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

// A BGP pair's after-gates read the members' own counters: traffic flows through the new
// active, the old one forwards nothing, and invalid-state drops did not rise. They appear
// as counters with the member labels, only for members whose driver reads them.
TEST_F(ExporterTest, PublishesForwardedPacketsAndInvalidStateDropsWhereTheDriverReadsThem) {
  states_["fw1"]->status.forwarded_packets = 120345;
  states_["fw1"]->status.forwarded_bytes = 98765432;
  states_["fw1"]->status.invalid_state_drops = 0;
  states_["fw2"]->status.invalid_state_drops = 17;
  states_["fw3"]->status.invalid_state_drops = 5;
  auto exporter = StartExporter();
  std::string text = exporter->Scrape(Duration(0));
  for (const char* line : {
           "# TYPE cutover_member_forwarded_packets_total counter",
           "cutover_member_forwarded_packets_total{ha_cluster=\"edge\",member=\"fw1\"} 120345",
           "# TYPE cutover_member_forwarded_bytes_total counter",
           "cutover_member_forwarded_bytes_total{ha_cluster=\"edge\",member=\"fw1\"} 98765432",
           "# TYPE cutover_member_invalid_state_drops_total counter",
           "cutover_member_invalid_state_drops_total{ha_cluster=\"edge\",member=\"fw1\"} 0",
           "cutover_member_invalid_state_drops_total{ha_cluster=\"edge\",member=\"fw2\"} 17",
           "# HELP cutover_member_invalid_state_drops_total Packets the member dropped because "
           "they matched no connection state",
       })
    EXPECT_THAT(text, HasSubstr(line));
  EXPECT_THAT(text, Not(HasSubstr("cutover_member_forwarded_packets_total{ha_cluster=\"edge\","
                                  "member=\"fw2\"}")))
      << "fw2's driver reads no forwarded counter: no series, not a 0";
  EXPECT_THAT(text, Not(HasSubstr("cutover_member_invalid_state_drops_total{ha_cluster=\"edge\","
                                  "member=\"fw3\"}")))
      << "a member that is down publishes no counter, whatever its driver left in the status";
}

TEST_F(ExporterTest, NoCounterFamilyAppearsWhenNoDriverReadsOne) {
  auto exporter = StartExporter();
  std::string text = exporter->Scrape(Duration(0));
  EXPECT_THAT(text, Not(HasSubstr("cutover_member_forwarded_packets_total")));
  EXPECT_THAT(text, Not(HasSubstr("cutover_member_forwarded_bytes_total")));
  EXPECT_THAT(text, Not(HasSubstr("cutover_member_invalid_state_drops_total")));
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

// Found in a soak: eight anonymous scrapers next to Prometheus made 8 of 12 Prometheus
// scrapes publish a healthy member as cutover_member_up 0 ("member busy", "no time left"),
// the member_down signal that rolls a soak back. Scrapes arriving during a probe round
// share it; none may turn a healthy member down.
TEST_F(ExporterTest, ConcurrentScrapesNeverMakeAHealthyMemberLookDown) {
  states_["fw1"]->probe_delay = milliseconds(200);
  states_["fw2"]->probe_delay = milliseconds(500);
  states_["fw3"]->status = states_["fw1"]->status;
  states_["fw3"]->probe_delay = milliseconds(350);
  auto exporter = StartExporter(std::chrono::seconds(2));
  const std::string url =
      "http://127.0.0.1:" + std::to_string(exporter->Ports().at(0)) + "/metrics";

  std::mutex mutex;
  std::vector<std::string> failures;
  std::atomic<int> scrapes{0};
  auto check = [&](const std::string& who, const HttpClientResponse& response) {
    ++scrapes;
    std::string missing;
    for (const char* member : {"fw1", "fw2", "fw3"}) {
      std::string up =
          "cutover_member_up{ha_cluster=\"edge\",member=\"" + std::string(member) + "\"} 1";
      if (response.body.find(up) == std::string::npos) missing += std::string(" ") + member;
    }
    if (response.status != 200 || !missing.empty()) {
      std::lock_guard lock(mutex);
      failures.push_back(who + ": status " + std::to_string(response.status) +
                         ", not up:" + missing + "\n" + response.body.substr(0, 400));
    }
  };
  std::atomic<bool> stop{false};
  std::vector<std::thread> anonymous;
  for (int t = 0; t < 8; ++t) {
    anonymous.emplace_back([&, t] {
      while (!stop) {
        HttpClient client;  // a fresh connection per scrape, like curl in a loop
        check("anonymous scraper " + std::to_string(t), client.Get(url));
      }
    });
  }
  for (int i = 0; i < 6; ++i) {
    HttpClient prometheus;
    auto start = std::chrono::steady_clock::now();
    auto response = prometheus.Get(url, {"X-Prometheus-Scrape-Timeout-Seconds: 2"});
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2))
        << "a Prometheus scrape must answer within its own timeout";
    check("Prometheus scrape " + std::to_string(i), response);
    std::this_thread::sleep_for(milliseconds(300));
  }
  stop = true;
  for (auto& thread : anonymous) thread.join();
  EXPECT_GT(scrapes.load(), 20);
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << scrapes.load()
                                << " scrapes published a healthy member as down; first:\n"
                                << (failures.empty() ? "" : failures.front());
}

// A scrape whose deadline ends before the round in flight does gets the last complete
// round, marked with its age, rather than "member busy" for every member that round holds.
TEST_F(ExporterTest, AScrapeThatCannotWaitForTheRoundInFlightGetsTheLastRoundWithItsAge) {
  auto exporter = StartExporter(std::chrono::seconds(3));
  std::string first = exporter->Scrape(Duration(0));
  ASSERT_THAT(first, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw2\"} 1"));
  EXPECT_GE(SampleValue(first, "cutover_probe_round_age_seconds"), 0);
  EXPECT_LT(SampleValue(first, "cutover_probe_round_age_seconds"), 0.5);

  {
    std::lock_guard lock(states_["fw2"]->mutex);
    states_["fw2"]->probe_delay = milliseconds(1500);
  }
  std::thread slow_round([&] { exporter->Scrape(Duration(0)); });
  std::this_thread::sleep_for(milliseconds(200));
  auto start = std::chrono::steady_clock::now();
  std::string text = exporter->Scrape(Duration(1000));  // 500 ms after the safety margin
  auto took = std::chrono::steady_clock::now() - start;
  slow_round.join();
  EXPECT_LT(took, milliseconds(900)) << "the scrape's own deadline bounds it";
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw1\"} 1"));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw2\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("member busy")));
  EXPECT_GE(SampleValue(text, "cutover_probe_round_age_seconds"), 0.6) << text;
  EXPECT_LE(states_["fw2"]->probes.load(), 2) << "no probe of its own: fw2 was in the round";
}

// One member printing a version that is not UTF-8 made Prometheus refuse the whole scrape
// ("invalid UTF-8 label value"): every member of every cluster disappeared.
TEST_F(ExporterTest, AVersionThatIsNotUtf8IsReplacedAndTheMemberSaysSo) {
  states_["fw1"]->status.version = "R81.10\xff\xfe";
  auto exporter = StartExporter();
  ::testing::internal::CaptureStderr();
  std::string text = exporter->Scrape(Duration(0));
  std::string log = ::testing::internal::GetCapturedStderr();
  EXPECT_TRUE(IsValidUtf8(text));
  EXPECT_THAT(text, HasSubstr("member=\"fw1\",version=\"R81.10\xef\xbf\xbd\xef\xbf\xbd\""));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw2\"} 1"));
  EXPECT_THAT(log, HasSubstr("member=fw1"));
  EXPECT_THAT(log, HasSubstr("version is not valid UTF-8")) << log;
  ProcessOptions options;
  options.stdin_data = text;
  ProcessResult lint = RunProcess({"promtool", "check", "metrics"}, options);
  EXPECT_EQ(lint.exit_status, 0) << lint.out << lint.err;
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
