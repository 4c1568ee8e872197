// summary.json and the printed summary, held to what lab/run-upgrade.sh's jq wrote for a
// real run (fixtures/bgp-pair-rolled-back/summary-by-jq.json and printed-by-jq.txt): the
// end-to-end tests read those fields, and the operator reads those lines.
#include "lab/summary/summary_render.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cmath>
#include <set>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace cutover::lab_summary {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string kFixtures =
    std::string(CUTOVER_SOURCE_DIR) + "/tests/lab/summary/fixtures/bgp-pair-rolled-back/";

UpgradeSummary TheRealRun() {
  SummaryInputs inputs;
  inputs.run = ParseRunStatus(testing::ReadFile(kFixtures + "status.json"), "status.json").value();
  inputs.traffic =
      ParseTrafficReport(testing::ReadFile(kFixtures + "traffic.json"), "traffic.json").value();
  inputs.action_seen =
      ParseActionSeen(testing::ReadFile(kFixtures + "action-seen.txt"), "action-seen.txt").value();
  return SummarizeUpgrade(inputs, {"bgp-pair", "rolled_back", 0});
}

rapidjson::Document Parse(const std::string& text) {
  rapidjson::Document doc;
  doc.Parse(text.c_str());
  EXPECT_FALSE(doc.HasParseError()) << text;
  return doc;
}

// The fields this tool adds; everything else is the jq's, unchanged.
const std::set<std::string> kAddedAtTop = {"broken_sessions_by_step", "invalid_drops_total"};
const std::set<std::string> kAddedPerStep = {"sessions_broken_during", "connects_failed_during",
                                             "invalid_drops_during"};

void ExpectSameAsJq(const rapidjson::Value& jq, const rapidjson::Value& ours,
                    const std::string& path, const std::set<std::string>& added) {
  if (jq.IsNumber()) {
    ASSERT_TRUE(ours.IsNumber()) << path;
    // A microsecond: the shared JSON reader may read a Unix time one unit in the last place
    // off jq's, and a difference of two such times shows it.
    EXPECT_NEAR(ours.GetDouble(), jq.GetDouble(), 1e-6) << path;
    EXPECT_EQ(ours.IsUint64(), jq.IsUint64()) << path << ": a whole number stays one";
    return;
  }
  ASSERT_EQ(ours.GetType(), jq.GetType()) << path;
  if (jq.IsString()) {
    EXPECT_STREQ(ours.GetString(), jq.GetString()) << path;
  } else if (jq.IsArray()) {
    ASSERT_EQ(ours.Size(), jq.Size()) << path;
    for (rapidjson::SizeType i = 0; i < jq.Size(); ++i)
      ExpectSameAsJq(jq[i], ours[i], path + "[" + std::to_string(i) + "]",
                     path == "steps" ? kAddedPerStep : std::set<std::string>{});
  } else if (jq.IsObject()) {
    std::vector<std::string> jq_keys, our_keys;
    for (const auto& m : jq.GetObject()) jq_keys.emplace_back(m.name.GetString());
    for (const auto& m : ours.GetObject())
      if (!added.count(m.name.GetString())) our_keys.emplace_back(m.name.GetString());
    EXPECT_EQ(our_keys, jq_keys) << path << ": the same fields in the same order";
    for (const auto& m : jq.GetObject()) {
      const std::string key = m.name.GetString();
      if (ours.HasMember(key.c_str()))
        ExpectSameAsJq(m.value, ours[key.c_str()], path.empty() ? key : path + "." + key, {});
    }
  }
}

TEST(SummaryJson, EveryFieldTheScriptsJqWroteIsThereWithTheSameValue) {
  rapidjson::Document jq = Parse(testing::ReadFile(kFixtures + "summary-by-jq.json"));
  rapidjson::Document ours = Parse(SummaryJson(TheRealRun()));
  ExpectSameAsJq(jq, ours, "", kAddedAtTop);
  for (const std::string& key : kAddedAtTop) EXPECT_TRUE(ours.HasMember(key.c_str())) << key;
  for (const auto& step : ours["steps"].GetArray())
    for (const std::string& key : kAddedPerStep) EXPECT_TRUE(step.HasMember(key.c_str())) << key;
}

TEST(SummaryJson, WithoutTheProductsCounterItsFiguresAreNull) {
  rapidjson::Document ours = Parse(SummaryJson(TheRealRun()));
  EXPECT_TRUE(ours["invalid_drops_total"].IsNull());
  EXPECT_TRUE(ours["steps"][0]["invalid_drops_during"].IsNull());
  EXPECT_EQ(ours["steps"][0]["sessions_broken_during"].GetUint64(), 0u);
  EXPECT_TRUE(ours["steps"][17]["sessions_broken_during"].IsNull()) << "resync-fw2 never ran";
}

// An osu run that cut two sessions, written out with every figure the e2e tests read.
UpgradeSummary OsuRunThatCutTwoSessions() {
  UpgradeSummary s;
  s.plan = "optimal-service-upgrade";
  s.run = "optimal-service-upgrade-20240501T120000Z";
  s.scenario = "osu";
  s.run_state = "completed";
  s.sessions_target = 200;
  s.sessions_kept = 200;
  s.sessions_broken = 2;
  s.connects_ok = 1500;
  s.cutover = CutoverFigures{30, 26, "", 1714564901.4, 0};
  StepSummary cut;
  cut.name = kCutoverStep;
  cut.state = "done";
  cut.triggered_by = "alert CutoverDrainComplete";
  cut.action_seen_at = 1714564900.2;
  cut.gates = {{"drained", "fw1", "Successful", -4, "<= 0", 1714564899}};
  cut.wait_seconds = 0.2;
  cut.duration_seconds = 1.0;
  cut.sessions_broken_during = 0;
  cut.connects_failed_during = 0;
  StepSummary disconnect = cut;
  disconnect.name = kDisconnectOldStep;
  disconnect.triggered_by = "auto";
  disconnect.gates.clear();
  disconnect.sessions_broken_during = 2;
  s.steps = {cut, disconnect};
  s.broken_sessions_by_step = {
      {"2024-05-01T12:01:46.000Z", "s17", true, "timed out", kDisconnectOldStep, 5.0},
      {"2024-05-01T12:01:46.500Z", "s18", true, "timed out", kDisconnectOldStep, 5.5}};
  return s;
}

TEST(SummaryJson, TheFiguresTheEndToEndTestsReadHaveTheTypesTheyReadThemAs) {
  rapidjson::Document doc = Parse(SummaryJson(OsuRunThatCutTwoSessions()));
  // tests/e2e/*_e2e_test.cc: GetUint64 on the counts, GetString on states and reasons.
  for (const char* count : {"sessions_broken", "sessions_kept", "connects_ok", "connects_failed"})
    EXPECT_TRUE(doc[count].IsUint64()) << count;
  for (const char* text : {"run_state", "run_reason", "waiting_for"})
    EXPECT_TRUE(doc[text].IsString()) << text;
  const rapidjson::Value& cutover = doc["cutover"];
  EXPECT_DOUBLE_EQ(cutover["old_member_connections"].GetDouble(), 26);
  EXPECT_TRUE(cutover["note"].IsString());
  EXPECT_EQ(cutover["sessions_broken_before"].GetUint64(), 0u);
  // tests/e2e/upgrade_run.cc: the steps, their gates and when their action was seen.
  const rapidjson::Value& step = doc["steps"][0];
  EXPECT_STREQ(step["name"].GetString(), kCutoverStep);
  EXPECT_STREQ(step["state"].GetString(), "done");
  EXPECT_STREQ(step["triggered_by"].GetString(), "alert CutoverDrainComplete");
  EXPECT_TRUE(step["duration_seconds"].IsNumber());
  EXPECT_DOUBLE_EQ(step["action_seen_at"].GetDouble(), 1714564900.2);
  const rapidjson::Value& gate = step["gates"][0];
  EXPECT_STREQ(gate["gate"].GetString(), "drained");
  EXPECT_STREQ(gate["phase"].GetString(), "Successful");
  EXPECT_DOUBLE_EQ(gate["value"].GetDouble(), -4);
  EXPECT_DOUBLE_EQ(gate["measured_at"].GetDouble(), 1714564899);
  // The new figures: whole counts per step, and each broken session with its step.
  EXPECT_EQ(doc["steps"][1]["sessions_broken_during"].GetUint64(), 2u);
  const rapidjson::Value& broken = doc["broken_sessions_by_step"][1];
  EXPECT_STREQ(broken["step"].GetString(), kDisconnectOldStep);
  EXPECT_STREQ(broken["session"].GetString(), "s18");
  EXPECT_STREQ(broken["session_kind"].GetString(), "long");
  EXPECT_STREQ(broken["time"].GetString(), "2024-05-01T12:01:46.500Z");
  EXPECT_DOUBLE_EQ(broken["seconds_into_step"].GetDouble(), 5.5);
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(SummaryText, TheOperatorReadsTheLinesTheScriptPrinted) {
  // printed-by-jq.txt starts with the blank line the script still prints before it, and
  // stops before the line of file paths.
  std::vector<std::string> jq = Lines(testing::ReadFile(kFixtures + "printed-by-jq.txt"));
  std::vector<std::string> ours =
      Lines(SummaryText(TheRealRun(), {"/w/timeline.svg", "/w/summary.json", "/w/traffic.json"}));
  ASSERT_EQ(ours.size(), jq.size()) << "one line more for the paths, one less for the blank";
  EXPECT_EQ(jq.front(), "");
  bool in_table = false;
  for (std::size_t i = 1; i < jq.size(); ++i) {
    const std::string& line = ours[i - 1];
    in_table = in_table || jq[i].rfind("step ", 0) == 0;
    if (in_table)
      EXPECT_EQ(line.substr(0, jq[i].size()), jq[i]) << "the table keeps its columns";
    else
      EXPECT_EQ(line, jq[i]);
  }
  EXPECT_EQ(ours.back(),
            "timeline: /w/timeline.svg; summary: /w/summary.json; traffic report: /w/traffic.json");
}

TEST(SummaryText, EachStepSaysHowManySessionsBrokeWhileItRan) {
  std::string text = SummaryText(OsuRunThatCutTwoSessions(), {"t", "s", "r"});
  EXPECT_THAT(text,
              HasSubstr("step                   state          wait (s)  total (s)   broken\n"));
  EXPECT_THAT(text,
              HasSubstr("cutover-disconnect-old done                0.2          1        2\n"));
  EXPECT_THAT(text, Not(HasSubstr("invalid drops"))) << "the product's counter is not known";
}

TEST(SummaryText, TheOsuCutoverLineSaysWhatTheOldMemberLeftWith) {
  UpgradeSummary summary = OsuRunThatCutTwoSessions();
  EXPECT_THAT(SummaryText(summary, {"t", "s", "r"}),
              HasSubstr("\ncutover: the OLD member left with 26 connections (drained at <= 30); "
                        "sessions broken before it: 0\n"));
  summary.cutover->note = "proceeding (policy proceed) although gate drained failed";
  summary.cutover->old_member_connections.reset();
  summary.cutover->sessions_broken_before.reset();
  EXPECT_THAT(SummaryText(summary, {"t", "s", "r"}),
              HasSubstr("\ncutover: the OLD member left with ? connections (drained at <= 30); "
                        "sessions broken before it: ?; proceeding (policy proceed) although "
                        "gate drained failed\n"));
}

TEST(SummaryText, TheProductsInvalidDropsStandBesideTheWitnesssBrokenSessions) {
  UpgradeSummary summary = OsuRunThatCutTwoSessions();
  summary.invalid_drops_total = 41;
  summary.steps[1].invalid_drops_during = 40;
  std::string text = SummaryText(summary, {"t", "s", "r"});
  EXPECT_THAT(text, HasSubstr("  total (s)   broken  invalid drops\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover-disconnect-old done                0.2          1        "
                              "2             40\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover-old-upgrade-mode-off done                0.2          1 "
                              "       0              -\n"));
}

TEST(SummaryText, ARunNotCompletedSaysWhyAndWhatItWaitsFor) {
  UpgradeSummary summary = OsuRunThatCutTwoSessions();
  summary.run_state = "timeout";
  summary.run_reason = "";
  summary.waiting_for = "upgrade-old: gate up-on-new-version: no data";
  EXPECT_THAT(SummaryText(summary, {"t", "s", "r"}),
              HasSubstr(" timeout\n    upgrade-old: gate up-on-new-version: no data\n"));
}

TEST(SummaryText, NumbersPrintAsJqPrintsThem) {
  EXPECT_EQ(FormatNumber(0), "0");
  EXPECT_EQ(FormatNumber(-0.0), "0");
  EXPECT_EQ(FormatNumber(30), "30");
  EXPECT_EQ(FormatNumber(3.8), "3.8");
  EXPECT_EQ(FormatNumber(29.4), "29.4");
  EXPECT_EQ(FormatNumber(-4), "-4");
}

}  // namespace
}  // namespace cutover::lab_summary
