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
// Pure: the tally after one more measurement. A non-Successful measurement resets
// consecutive_successes; a non-Error one resets consecutive_errors.
GateTally Count(GateTally tally, Phase phase);

enum class GateVerdict { kPending, kPassed, kFailed, kError };
std::string_view VerdictName(GateVerdict verdict);  // "pending", "passed", ...

// Pure: Passed once `samples` consecutive Successful measurements are in; Failed past
// failure_limit or inconclusive_limit; Error past consecutive_error_limit; else Pending.
// A limit of -1 never trips. Checked in this order:
//  1. Failed first: failures and inconclusives only grow, so Failed is final, and a gate
//     that has failed stays failed even if later samples succeed.
//  2. Error next: it only holds while the latest measurements are errors.
//  3. Passed: consecutive_successes >= max(samples, 1), so it needs the latest measurement
//     to be Successful (never on no measurements, whatever samples says). That latest
//     Successful measurement reset consecutive_errors, so Error and Passed never overlap.
//  4. Pending otherwise.
GateVerdict Assess(const GateSpec& gate, const GateTally& tally);

// The sentence an operator reads in `cutoverctl status`, e.g.
// gate drained: cutover_member_connections{member="fw1"} = 37, needs < 10
std::string Explain(const Measurement& measurement);

}  // namespace cutover
