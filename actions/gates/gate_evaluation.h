// A gate measures (one PromQL instant query) and evaluates (a pure function of the
// measurements), in the style of Argo Rollouts' analysis. Where cutover differs: no data,
// an error or an unclear answer never lets a step run.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "actions/gates/prometheus_client.h"
#include "actions/plan/plan.h"

namespace cutover {

enum class Phase { kSuccessful, kFailed, kInconclusive, kError };
std::string_view PhaseName(Phase phase);  // "Successful", ...

// One measurement of one gate: plain data, journaled and shown in the run status.
struct Measurement {
  std::string gate;
  std::string member;  // empty for cluster-wide gates
  std::string query;   // resolved: placeholders replaced
  Phase phase = Phase::kError;
  std::optional<double> value;
  std::string condition;  // "< 10"
  std::string message;    // why, for Error and Inconclusive (and Failed on no data)
  std::chrono::system_clock::time_point at;
};

// Pure: the phase of one query result against the gate's condition and no-data policy.
// A value of NaN is Inconclusive; several series are an Error (a gate reads one number).
Measurement Measure(const GateSpec& gate, const std::string& member, const std::string& query,
                    const QueryResult& result, std::chrono::system_clock::time_point at);

// Running counts over a gate's measurements (for one member).
struct GateTally {
  int measurements = 0;
  int consecutive_successes = 0;
  int failures = 0;
  int inconclusives = 0;
  int consecutive_errors = 0;
};
GateTally Count(GateTally tally, Phase phase);

enum class GateVerdict { kPending, kPassed, kFailed, kError };
std::string_view VerdictName(GateVerdict verdict);  // "pending", "passed", ...

// Pure: Passed once `samples` consecutive Successful measurements are in; Failed past
// failure_limit or inconclusive_limit; Error past consecutive_error_limit; else Pending.
GateVerdict Assess(const GateSpec& gate, const GateTally& tally);

// The sentence an operator reads in `cutoverctl status`, e.g.
// gate drained: cutover_member_connections{member="fw1"} = 37, needs < 10
std::string Explain(const Measurement& measurement);

}  // namespace cutover
