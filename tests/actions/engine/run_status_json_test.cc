// What cutover-actions serves and journals stays JSON in UTF-8 whatever a member's
// program, Prometheus or an old journal put into the text it quotes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "actions/engine/journal_record.h"
#include "actions/engine/run_status.h"
#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

const std::string kInvalid = "fw\xff\xfe\xc0\xaf-1";
const std::string kRepaired = "fw\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD-1";

TEST(RunStatusJson, InvalidUtf8FromMembersIsServedAsReplacementCharacters) {
  RunStatus run;
  run.id = "r1";
  run.started_by = "operator " + kInvalid;
  StepStatus step;
  step.name = "disconnect";
  step.error = "program said " + kInvalid;
  step.members_done = {kInvalid};
  Measurement m;
  m.gate = "drained";
  m.message = kInvalid;
  step.last_measurements = {m};
  run.steps = {step};

  const std::string json = RunStatusJson({run});
  EXPECT_TRUE(IsValidUtf8(json)) << "GET /api/v1/runs would not be JSON: " << json;
  auto read = ReadJson(json);
  ASSERT_TRUE(read.ok()) << read.error();
  const auto& served = read.value()["runs"][0];
  EXPECT_EQ(std::string(served["started_by"].GetString()), "operator " + kRepaired);
  EXPECT_EQ(std::string(served["steps"][0]["error"].GetString()), "program said " + kRepaired);
  EXPECT_EQ(std::string(served["steps"][0]["members_done"][0].GetString()), kRepaired);
}

TEST(JournalRecord, TheJournalIsWrittenInUtf8AndOldInvalidRecordsStillReplay) {
  JournalRecord record;
  record.type = RecordType::kActionFinished;
  record.run = "r1";
  record.by = "approval by " + kInvalid;
  record.detail = std::string("output\0with NUL ", 16) + kInvalid;
  const std::string encoded = EncodeRecord(record);
  EXPECT_TRUE(IsValidUtf8(encoded)) << encoded;
  auto decoded = DecodeRecord(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().by, "approval by " + kRepaired);
  EXPECT_EQ(decoded.value().detail, std::string("output\0with NUL ", 16) + kRepaired);

  // Written by a cutover that journaled bytes as they came.
  auto legacy = DecodeRecord(R"({"type":"paused","at":1,"run":"r1","by":")" + kInvalid + "\"}");
  ASSERT_TRUE(legacy.ok()) << legacy.error();
  EXPECT_EQ(legacy.value().by, kRepaired);
}

TEST(JournalRecord, ARecordNestedAMillionDeepIsAnErrorNotACrash) {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  auto decoded = DecodeRecord(R"({"type":"paused","detail":)" + deep + "}");
  ASSERT_FALSE(decoded.ok());
  EXPECT_THAT(decoded.error(), HasSubstr("JSON nested deeper than 64 levels"));
}

}  // namespace
}  // namespace cutover
