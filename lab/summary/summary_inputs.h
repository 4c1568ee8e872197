// What a lab upgrade run leaves in its work directory for the summary, read into plain
// records: the run's status (`cutoverctl status RUN --json`), the traffic client's report
// (lab/traffic/traffic_report.h), when run-upgrade.sh first saw each step's action under
// way, and a Prometheus range query of one of the product's counters. Each parser is pure
// and, on input it cannot read, names the file and the field.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_result.h"

namespace cutover::lab_summary {

struct GateMeasurement {
  std::string gate;
  std::string member;
  std::string phase;
  std::optional<double> value;  // absent when the query gave no number
  std::string condition;
  double measured_at = 0;  // Unix seconds
};

struct StepRecord {
  std::string name;
  std::string state;
  std::string triggered_by;
  std::string waiting_for;
  std::string note;
  std::optional<double> triggered_at;  // Unix seconds; absent while the step waits its turn
  std::optional<double> finished_at;
  std::vector<GateMeasurement> gates;
};

struct RunRecord {
  std::string id;
  std::string plan;
  std::string state;
  std::string reason;
  double started_at = 0;
  std::optional<double> finished_at;
  std::vector<StepRecord> steps;  // in the plan's order
};

enum class TrafficEventKind { kBroken, kConnectFailed, kStalled };

struct TrafficEvent {
  TrafficEventKind kind = TrafficEventKind::kBroken;
  std::string time_text;  // as the report wrote it: "2024-05-01T12:00:03.250Z"
  double time = 0;        // the same, in Unix seconds
  std::string session;    // "s17"
  bool long_session = true;
  std::string reason;
};

struct TrafficRecord {
  std::uint64_t sessions_target = 0;
  std::uint64_t sessions_open = 0;
  std::uint64_t sessions_broken = 0;
  std::uint64_t sessions_stalled = 0;
  std::uint64_t connects_ok = 0;
  std::uint64_t connects_failed = 0;
  std::vector<TrafficEvent> events;
};

// Step name -> when its action was first seen under way (Unix seconds).
using ActionSeenTimes = std::map<std::string, double>;

struct CounterSample {
  double time = 0;  // Unix seconds
  double value = 0;
};

// One series of a range query: a counter of one member.
struct CounterSeries {
  std::string member;                  // its `member` label; "" when it has none
  std::vector<CounterSample> samples;  // in time order, as Prometheus returns them
};

// `file` is the name errors give, e.g. "/tmp/co-upgrade/status.json: runs[0].steps[2]
// .triggered_at: expected a number (Unix seconds), got a string".
ParseResult<RunRecord> ParseRunStatus(std::string_view text, const std::string& file);
ParseResult<TrafficRecord> ParseTrafficReport(std::string_view text, const std::string& file);
// Lines `STEP UNIXSECONDS`, one per step, as run-upgrade.sh writes action-seen.txt.
ParseResult<ActionSeenTimes> ParseActionSeen(std::string_view text, const std::string& file);
// The body of /api/v1/query_range: `{status, data: {resultType: "matrix", result: [...]}}`.
// An empty result (the counter is not exported) is no series, not an error.
ParseResult<std::vector<CounterSeries>> ParseCounterRange(std::string_view text,
                                                          const std::string& file);

// "2024-05-01T12:00:03.250Z" (the traffic report's times, UTC, milliseconds optional) in
// Unix seconds; nullopt for anything else.
std::optional<double> ParseReportTime(std::string_view text);

}  // namespace cutover::lab_summary
