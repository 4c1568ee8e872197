// Reading what a lab run leaves: the files of a real bgp-pair run that rolled back
// (fixtures/bgp-pair-rolled-back, copied from its work directory), and what an operator
// sees when one of them is not what the summary expects.
#include "lab/summary/summary_inputs.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace cutover::lab_summary {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) +
                           "/tests/lab/summary/fixtures/bgp-pair-rolled-back/" + name);
}

std::string StatusWithStep(const std::string& step_fields) {
  return R"({"runs":[{"id":"r1","plan":"bgp-pair-upgrade","state":"running","reason":"",
    "started_at":1714564800.0,"steps":[{"name":"preflight","state":"done",
    "triggered_at":1714564800.5,"finished_at":1714564802.0,"gates":[]},{)" +
         step_fields + "}]}]}";
}

TEST(StatusJson, ARealRunReadsWithEveryStepAndGate) {
  auto run = ParseRunStatus(Fixture("status.json"), "status.json");
  ASSERT_TRUE(run.ok()) << run.error();
  EXPECT_EQ(run.value().id, "bgp-pair-upgrade-20261203T134414Z");
  EXPECT_EQ(run.value().plan, "bgp-pair-upgrade");
  EXPECT_EQ(run.value().state, "rolled_back");
  EXPECT_THAT(run.value().reason, HasSubstr("upgrade on fw2 failed"));
  EXPECT_DOUBLE_EQ(run.value().started_at, 1796305454.38);
  ASSERT_EQ(run.value().steps.size(), 18u);
  const StepRecord& first = run.value().steps.front();
  EXPECT_EQ(first.name, "preflight-resync-fw2");
  EXPECT_EQ(first.state, "compensated");
  EXPECT_EQ(first.triggered_by, "auto");
  EXPECT_DOUBLE_EQ(*first.triggered_at, 1796305454.387);
  EXPECT_DOUBLE_EQ(*first.finished_at, 1796305458.197);
  ASSERT_EQ(first.gates.size(), 4u);
  EXPECT_EQ(first.gates[0].gate, "both-up");
  EXPECT_EQ(first.gates[0].phase, "Successful");
  EXPECT_EQ(first.gates[0].condition, "== 1");
  EXPECT_DOUBLE_EQ(*first.gates[0].value, 1.0);
  // The step it never reached: no trigger, no finish.
  const StepRecord& last = run.value().steps.back();
  EXPECT_EQ(last.name, "resync-fw2");
  EXPECT_EQ(last.state, "pending");
  EXPECT_FALSE(last.triggered_at);
  EXPECT_FALSE(last.finished_at);
}

TEST(StatusJson, AGateWithoutAValueIsReadAsNoValue) {
  auto run =
      ParseRunStatus(StatusWithStep(R"("name":"cutover","state":"gating","gates":[{"gate":"drained",
        "member":"fw1","phase":"Inconclusive","condition":"<= 0","measured_at":1714564803.0}])"),
                     "status.json");
  ASSERT_TRUE(run.ok()) << run.error();
  EXPECT_FALSE(run.value().steps[1].gates[0].value);
  EXPECT_EQ(run.value().steps[1].gates[0].member, "fw1");
}

TEST(StatusJson, BadStatusJsonNamesTheFileAndTheField) {
  auto run =
      ParseRunStatus(StatusWithStep(R"("name":"prefer-fw2","state":"done","triggered_at":"soon")"),
                     "/tmp/co-upgrade/status.json");
  ASSERT_FALSE(run.ok());
  EXPECT_EQ(run.error(),
            "/tmp/co-upgrade/status.json: runs[0].steps[1].triggered_at: expected a number (Unix "
            "seconds), got a string (is it the output of cutoverctl status RUN --json?)");

  auto nameless = ParseRunStatus(StatusWithStep(R"("state":"done")"), "status.json");
  ASSERT_FALSE(nameless.ok());
  EXPECT_THAT(nameless.error(), HasSubstr("status.json: runs[0].steps[1].name: missing"));

  auto bad_gate = ParseRunStatus(
      StatusWithStep(R"("name":"soak","state":"done","gates":[{"gate":"parity","phase":"Successful",
        "value":"high","measured_at":1714564803.0}])"),
      "status.json");
  ASSERT_FALSE(bad_gate.ok());
  EXPECT_THAT(bad_gate.error(), HasSubstr("runs[0].steps[1].gates[0].value: expected a number"));
}

TEST(StatusJson, AnAnswerWithoutARunOrNotJsonSaysSo) {
  auto empty = ParseRunStatus(R"({"runs":[]})", "status.json");
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(empty.error(), HasSubstr("status.json: runs: no run in it"));

  auto cut = ParseRunStatus(R"({"runs":[{"id":)", "status.json");
  ASSERT_FALSE(cut.ok());
  EXPECT_THAT(cut.error(), HasSubstr("status.json: invalid JSON at byte offset"));

  auto error_page = ParseRunStatus("cutoverctl: cannot reach cutover-actions", "status.json");
  ASSERT_FALSE(error_page.ok());
  EXPECT_THAT(error_page.error(), HasSubstr("cutoverctl status RUN --json"));
}

TEST(TrafficJson, ARealReportReadsWithItsCounts) {
  auto traffic = ParseTrafficReport(Fixture("traffic.json"), "traffic.json");
  ASSERT_TRUE(traffic.ok()) << traffic.error();
  EXPECT_EQ(traffic.value().sessions_target, 1000u);
  EXPECT_EQ(traffic.value().sessions_open, 1000u);
  EXPECT_EQ(traffic.value().sessions_broken, 0u);
  EXPECT_EQ(traffic.value().connects_ok, 3005u);
  EXPECT_EQ(traffic.value().connects_failed, 0u);
  EXPECT_TRUE(traffic.value().events.empty());
}

constexpr const char* kCounts =
    R"("sessions_target":1000,"sessions_open":999,"sessions_broken":1,"sessions_stalled":0,
       "connects_ok":2400,"connects_failed":1,)";

TEST(TrafficJson, EveryEventKeepsItsKindTimeAndSession) {
  auto traffic = ParseTrafficReport(std::string("{") + kCounts + R"json("events":[
        {"time":"2024-05-01T12:00:03.250Z","seconds":3.25,"kind":"broken","session":"s17",
         "session_kind":"long","reason":"connection reset (RST)"},
        {"time":"2024-05-01T12:00:04.000Z","seconds":4.0,"kind":"connect_failed",
         "session":"s2001","session_kind":"short","reason":"Connection refused"}]})json",
                                    "traffic.json");
  ASSERT_TRUE(traffic.ok()) << traffic.error();
  ASSERT_EQ(traffic.value().events.size(), 2u);
  const TrafficEvent& broken = traffic.value().events[0];
  EXPECT_EQ(broken.kind, TrafficEventKind::kBroken);
  EXPECT_EQ(broken.time_text, "2024-05-01T12:00:03.250Z");
  EXPECT_DOUBLE_EQ(broken.time, 1714564803.25);
  EXPECT_EQ(broken.session, "s17");
  EXPECT_TRUE(broken.long_session);
  EXPECT_EQ(broken.reason, "connection reset (RST)");
  EXPECT_EQ(traffic.value().events[1].kind, TrafficEventKind::kConnectFailed);
  EXPECT_FALSE(traffic.value().events[1].long_session);
}

TEST(TrafficJson, BadTrafficJsonNamesTheField) {
  auto kind = ParseTrafficReport(
      std::string("{") + kCounts + R"("events":[{"time":"2024-05-01T12:00:03Z","kind":"lost"}]})",
      "traffic.json");
  ASSERT_FALSE(kind.ok());
  EXPECT_THAT(kind.error(),
              HasSubstr("traffic.json: events[0].kind: unknown kind \"lost\" (broken, "
                        "connect_failed or stalled)"));

  auto time = ParseTrafficReport(
      std::string("{") + kCounts + R"("events":[{"time":"12:00:03","kind":"broken"}]})",
      "traffic.json");
  ASSERT_FALSE(time.ok());
  EXPECT_THAT(time.error(), HasSubstr("traffic.json: events[0].time: expected a UTC time"));

  auto count = ParseTrafficReport(R"({"sessions_target":-1})", "traffic.json");
  ASSERT_FALSE(count.ok());
  EXPECT_THAT(count.error(),
              HasSubstr("traffic.json: sessions_target: expected a whole number of at least 0"));
}

TEST(TrafficJson, ReportTimesAreUtcWithOptionalMilliseconds) {
  EXPECT_DOUBLE_EQ(*ParseReportTime("2024-05-01T12:00:00Z"), 1714564800.0);
  EXPECT_DOUBLE_EQ(*ParseReportTime("2024-05-01T12:00:03.250Z"), 1714564803.25);
  EXPECT_DOUBLE_EQ(*ParseReportTime("2026-12-03T13:43:57.423Z"), 1796305437.423);
  EXPECT_FALSE(ParseReportTime("2024-05-01 12:00:00Z"));
  EXPECT_FALSE(ParseReportTime("2024-05-01T12:00:00"));
  EXPECT_FALSE(ParseReportTime("2024-02-30T12:00:00Z"));
  EXPECT_FALSE(ParseReportTime("2024-05-01T12:00:00.Z"));
  EXPECT_FALSE(ParseReportTime(""));
}

TEST(ActionSeenTxt, EachStepHasTheTimeItsActionWasFirstSeen) {
  auto seen = ParseActionSeen(Fixture("action-seen.txt"), "action-seen.txt");
  ASSERT_TRUE(seen.ok()) << seen.error();
  EXPECT_EQ(seen.value().size(), 17u);
  EXPECT_DOUBLE_EQ(seen.value().at("preflight-resync-fw2"), 1796305455.577459431);
  EXPECT_FALSE(seen.value().count("resync-fw2")) << "never reached";
  auto none = ParseActionSeen("", "action-seen.txt");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().empty());
}

TEST(ActionSeenTxt, ABadLineNamesTheFileAndTheLine) {
  auto bad = ParseActionSeen("soak 1714564800.5\nprefer-fw2 soon\n", "action-seen.txt");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error(), HasSubstr("action-seen.txt:2: expected `STEP UNIXSECONDS`, got "
                                     "\"prefer-fw2 soon\""));
  auto twice = ParseActionSeen("soak 1\nsoak 2\n", "action-seen.txt");
  ASSERT_FALSE(twice.ok());
  EXPECT_THAT(twice.error(), HasSubstr("action-seen.txt:2: step \"soak\" given twice"));
}

TEST(ProductCounters, ARealRangeAnswerReadsAsOneSeriesPerMember) {
  // A per-member counter of the same run (conntrackd's received messages), captured from
  // its Prometheus: the shape cutover_member_invalid_state_drops_total will have.
  auto series = ParseCounterRange(Fixture("member-counter-range.json"), "counters.json");
  ASSERT_TRUE(series.ok()) << series.error();
  ASSERT_EQ(series.value().size(), 2u);
  EXPECT_EQ(series.value()[0].member, "fw1");
  EXPECT_EQ(series.value()[1].member, "fw2");
  ASSERT_EQ(series.value()[0].samples.size(), 82u);
  EXPECT_DOUBLE_EQ(series.value()[0].samples[0].time, 1796305450);
  EXPECT_DOUBLE_EQ(series.value()[0].samples[0].value, 19);
}

TEST(ProductCounters, ACounterNotExportedYetIsNoSeriesNotAnError) {
  auto series = ParseCounterRange(Fixture("invalid-drops-not-exported.json"), "counters.json");
  ASSERT_TRUE(series.ok()) << series.error();
  EXPECT_TRUE(series.value().empty());
}

TEST(ProductCounters, AnErrorAnswerOrAnotherShapeSaysWhat) {
  auto refused = ParseCounterRange(
      R"({"status":"error","errorType":"bad_data","error":"parse error at char 5"})",
      "counters.json");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error(), HasSubstr("counters.json: status: \"error\", not \"success\": "
                                         "\"parse error at char 5\""));

  auto instant = ParseCounterRange(R"({"status":"success","data":{"resultType":"vector",
    "result":[]}})",
                                   "counters.json");
  ASSERT_FALSE(instant.ok());
  EXPECT_THAT(instant.error(),
              HasSubstr("counters.json: data.resultType: expected \"matrix\", got \"vector\""));

  auto sample = ParseCounterRange(R"({"status":"success","data":{"resultType":"matrix",
    "result":[{"metric":{"member":"fw1"},"values":[[1714564800,"3"],[1714564801,3]]}]}})",
                                  "counters.json");
  ASSERT_FALSE(sample.ok());
  EXPECT_THAT(sample.error(), HasSubstr("counters.json: data.result[0].values[1]: expected "
                                        "[UNIXSECONDS, \"VALUE\"]"));
}

}  // namespace
}  // namespace cutover::lab_summary
