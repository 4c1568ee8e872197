#include "lab/traffic/traffic_report.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "tests/support/temp_dir.h"

namespace cutover::traffic {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

const system_clock::time_point kStart{milliseconds(1714564800000)};  // 2024-05-01T12:00:00Z

TrafficCounts SomeCounts() {
  TrafficCounts counts;
  counts.sessions_target = 1000;
  counts.sessions_open = 998;
  counts.sessions_broken = 2;
  counts.sessions_stalled = 1;
  counts.connects = 2403;
  counts.connects_failed = 3;
  counts.messages_sent = 5000;
  counts.messages_echoed = 4990;
  counts.echo_latency_max_seconds = 0.25;
  counts.echo_latency_sum_seconds = 4.99;
  return counts;
}

TEST(TrafficReport, SummaryLineIsWhatTheOperatorReads) {
  EXPECT_EQ(SummaryLine(SomeCounts()),
            "sessions kept 998/1000, broken 2, connects 2400 ok / 3 failed, stalled 1");
  TrafficCounts ended = SomeCounts();
  ended.sessions_ended = 12;
  EXPECT_EQ(SummaryLine(ended),
            "sessions kept 998/1000, broken 2, connects 2400 ok / 3 failed, stalled 1, "
            "ended normally 12");
}

TEST(TrafficReport, TimestampsAreUtcWithMilliseconds) {
  EXPECT_EQ(FormatTimestamp(kStart + milliseconds(3250)), "2024-05-01T12:00:03.250Z");
}

TEST(TrafficReport, JsonCarriesCountsAndEveryEventWithItsTime) {
  EventLog log;
  log.Add({EventKind::kBroken, kStart + milliseconds(12345), 12.345, 17, true,
           "connection reset (RST)"});
  log.Add({EventKind::kConnectFailed, kStart + milliseconds(13000), 13.0, 2001, false,
           "Connection refused"});
  log.Add({EventKind::kStalled, kStart + milliseconds(14000), 14.0, 18, true,
           "no echo for 3.001s (stall timeout 3s)"});
  ReportContext context{"10.0.2.10:7000", kStart, kStart + milliseconds(60000), true};

  std::string json = ReportJson(context, SomeCounts(), log);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_FALSE(doc.HasParseError()) << json;
  EXPECT_STREQ(doc["target"].GetString(), "10.0.2.10:7000");
  EXPECT_STREQ(doc["started_at"].GetString(), "2024-05-01T12:00:00.000Z");
  EXPECT_STREQ(doc["written_at"].GetString(), "2024-05-01T12:01:00.000Z");
  EXPECT_TRUE(doc["final"].GetBool());
  EXPECT_DOUBLE_EQ(doc["duration_seconds"].GetDouble(), 60.0);
  EXPECT_STREQ(doc["summary"].GetString(), SummaryLine(SomeCounts()).c_str());
  EXPECT_EQ(doc["sessions_target"].GetUint64(), 1000u);
  EXPECT_EQ(doc["sessions_open"].GetUint64(), 998u);
  EXPECT_EQ(doc["sessions_broken"].GetUint64(), 2u);
  EXPECT_EQ(doc["sessions_stalled"].GetUint64(), 1u);
  EXPECT_EQ(doc["sessions_ended_normally"].GetUint64(), 0u);
  EXPECT_EQ(doc["connects_ok"].GetUint64(), 2400u);
  EXPECT_EQ(doc["connects_failed"].GetUint64(), 3u);
  EXPECT_EQ(doc["messages_sent"].GetUint64(), 5000u);
  EXPECT_EQ(doc["messages_echoed"].GetUint64(), 4990u);
  EXPECT_DOUBLE_EQ(doc["echo_latency_max_seconds"].GetDouble(), 0.25);
  EXPECT_DOUBLE_EQ(doc["echo_latency_mean_seconds"].GetDouble(), 0.001);
  EXPECT_EQ(doc["events_dropped"].GetUint64(), 0u);

  const rapidjson::Value& events = doc["events"];
  ASSERT_EQ(events.Size(), 3u);
  EXPECT_STREQ(events[0]["time"].GetString(), "2024-05-01T12:00:12.345Z");
  EXPECT_DOUBLE_EQ(events[0]["seconds"].GetDouble(), 12.345);
  EXPECT_STREQ(events[0]["kind"].GetString(), "broken");
  EXPECT_STREQ(events[0]["session"].GetString(), "s17");
  EXPECT_STREQ(events[0]["session_kind"].GetString(), "long");
  EXPECT_STREQ(events[0]["reason"].GetString(), "connection reset (RST)");
  EXPECT_STREQ(events[1]["kind"].GetString(), "connect_failed");
  EXPECT_STREQ(events[1]["session_kind"].GetString(), "short");
  EXPECT_STREQ(events[2]["kind"].GetString(), "stalled");
}

TEST(TrafficReport, ReasonsWithQuotesStayValidJson) {
  EventLog log;
  log.Add({EventKind::kBroken, kStart, 0, 1, true,
           "wrong echo at byte 7: expected \"s1 #2\\n\", got \"\\x00\""});
  rapidjson::Document doc;
  doc.Parse(ReportJson(ReportContext{"t", kStart, kStart, false}, TrafficCounts{}, log).c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["events"][0]["reason"].GetString(),
               "wrong echo at byte 7: expected \"s1 #2\\n\", got \"\\x00\"");
  EXPECT_FALSE(doc["final"].GetBool());
  EXPECT_DOUBLE_EQ(doc["echo_latency_mean_seconds"].GetDouble(), 0.0)
      << "no echoes: a mean of 0, never NaN (invalid JSON)";
}

TEST(TrafficReport, AnOutageCannotGrowTheEventListWithoutBound) {
  EventLog log(2);
  for (int i = 0; i < 5; ++i) log.Add({EventKind::kConnectFailed, kStart, 0, 1, true, "refused"});
  EXPECT_EQ(log.events().size(), 2u);
  EXPECT_EQ(log.dropped(), 3u);
}

TEST(TrafficReport, WrittenWholeOrNotAtAll) {
  testing::TempDir dir;
  std::string error;
  ASSERT_TRUE(WriteFileAtomically(dir.File("report.json"), "{}\n", &error)) << error;
  EXPECT_EQ(testing::ReadFile(dir.File("report.json")), "{}\n");
  EXPECT_FALSE(WriteFileAtomically(dir.File("missing/report.json"), "{}\n", &error));
  EXPECT_NE(error.find("missing/report.json.tmp"), std::string::npos) << error;
}

}  // namespace
}  // namespace cutover::traffic
