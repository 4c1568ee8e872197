// The records cutover-actions writes to its journal, one JSON object each. The journal is
// the source of truth: the engine's state after a restart is what replaying these gives.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "actions/gates/gate_evaluation.h"
#include "common/parse_result.h"

namespace cutover {

enum class RecordType {
  kRunStarted,            // run, plan, plan_digest, cluster, by, params
  kTriggered,             // run, step, by (what started the step: auto, an alert, approval)
  kGateMeasured,          // run, step, measurement, verdict
  kGatesPassed,           // run, step: its before-gates passed, the action runs next
  kActionStarted,         // run, step, member, detail = action name
  kActionFinished,        // run, step, member, ok, detail = output or error
  kActionsDone,           // run, step: every member acted, its after-gates are measured next
  kStepDone,              // run, step
  kStepFailed,            // run, step, detail = why
  kRollbackStarted,       // run, by, detail = why
  kCompensationStarted,   // run, step, member = "<index>/<member>", detail = action
  kCompensationFinished,  // run, step, member, ok, detail
  kStepCompensated,       // run, step
  kPaused,                // run, by, detail = why (an alert's pause says which instance)
  kResumed,               // run, by
  kRunFinished,           // run, state, detail = why
  kAlertReceived,         // key, alertname, cluster, member, status, group_key, detail
  // A rollback alert fired while the run was paused: it rolls back once resumed.
  kRollbackRequested,  // run, by, detail = why
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
  std::map<std::string, std::string> params;  // kRunStarted: the plan's parameter values
};

std::string EncodeRecord(const JournalRecord& record);
ParseResult<JournalRecord> DecodeRecord(std::string_view json);

std::int64_t NowMillis();

}  // namespace cutover
