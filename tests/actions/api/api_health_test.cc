// What a health probe sees of cutover-actions: healthy and ready while decisions can be
// made durable, 503 with the journal's failure once they cannot (until a restart).
#include <gtest/gtest.h>

#include <cerrno>

#include "actions/api/api_server.h"
#include "plugins/core/registry.h"
#include "plugins/transport/http_client.h"
#include "tests/actions/journal/journal_test_peer.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

// Alertmanager 0.25's shape (as in cutover_actions_integration_test.cc), for a cluster
// with no run: the engine still journals its decision to remember it.
const char kFiringAlert[] =
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

int DiskFullSync(int) {
  errno = ENOSPC;
  return -1;
}

TEST(ApiHealth, HealthyAndReadyAnswer503OnceTheJournalHasFailed) {
  testing::TempDir dir;
  const std::string journal_file = dir.File("journal");
  JournalOpenResult opened = Journal::Open(journal_file);
  ASSERT_NE(opened.journal, nullptr) << opened.error;
  CutoverConfig config;
  DriverRegistry registry;
  std::vector<ConfigError> errors;
  MemberSet members(config, registry, &errors);
  Engine engine({}, members, *opened.journal,
                [] { return [](const std::string&) { return QueryResult{}; }; });
  ASSERT_EQ(engine.Replay(opened.records), "");
  engine.Start();
  ApiServer api(engine, {{"127.0.0.1:0"}, "", 1 << 20, 4});
  std::string error;
  ASSERT_TRUE(api.Start(&error)) << error;
  const std::string url = "http://127.0.0.1:" + std::to_string(api.Ports().at(0));
  HttpClient http;

  EXPECT_EQ(http.Get(url + "/-/healthy").status, 200);
  EXPECT_EQ(http.Get(url + "/-/ready").status, 200);

  JournalTestPeer::SetSync(*opened.journal, DiskFullSync);
  HttpClientResponse webhook =
      http.Post(url + "/api/v1/alertmanager", kFiringAlert, "application/json");
  ASSERT_TRUE(webhook.ok) << webhook.error;
  EXPECT_EQ(webhook.status, 503) << webhook.body;

  for (const char* probe : {"/-/healthy", "/-/ready"}) {
    SCOPED_TRACE(probe);
    HttpClientResponse r = http.Get(url + probe);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.status, 503) << "every decision now gets 503 until a restart; the probe must say "
                                "so, or nothing restarts the daemon. Body: "
                             << r.body;
    EXPECT_NE(
        r.body.find("journal " + journal_file + ": fdatasync failed: No space left on device"),
        std::string::npos)
        << r.body;
  }
}

}  // namespace
}  // namespace cutover
