// The records cutover-actions writes to its journal, one JSON object each. The journal is
// the source of truth: the engine's state after a restart is what replaying these gives.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "actions/gates/gate_evaluation.h"
#include "common/parse_result.h"

namespace cutover {

enum class RecordType {
  kRunStarted,            // run, plan, plan_digest, cluster, by
  kTriggered,             // run, step, by (what started the step: auto, an alert, approval)
  kGateMeasured,          // run, step, measurement, verdict
  kActionStarted,         // run, step, member, detail = action name
  kActionFinished,        // run, step, member, ok, detail = output or error
  kStepDone,              // run, step
  kStepFailed,            // run, step, detail = why
  kRollbackStarted,       // run, by, detail = why
  kCompensationStarted,   // run, step, member = "<index>/<member>", detail = action
  kCompensationFinished,  // run, step, member, ok, detail
  kStepCompensated,       // run, step
  kPaused,                // run, by
  kResumed,               // run, by
  kRunFinished,           // run, state, detail = why
  kAlertReceived,         // key, alertname, cluster, status, group_key, detail = decision
};
std::string_view RecordTypeName(RecordType type);

struct JournalRecord {
  RecordType type = RecordType::kRunStarted;
  std::int64_t at_ms = 0;  // Unix time in milliseconds
  std::string run, step, member, plan, plan_digest, cluster, by, detail, state;
  bool ok = false;
  std::optional<Measurement> measurement;
  std::string verdict;
  std::string key, alertname, status, group_key;
};

std::string EncodeRecord(const JournalRecord& record);
ParseResult<JournalRecord> DecodeRecord(std::string_view json);

std::int64_t NowMillis();

}  // namespace cutover
