#include "actions/gates/gate_evaluation.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace cutover {
namespace {

std::string_view NoDataName(NoDataPolicy policy) {
  return policy == NoDataPolicy::kFail ? "no_data: fail" : "no_data: wait";
}

// Prometheus's spelling of a sample value: 37, 0.25, NaN, +Inf, -Inf.
std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return "?";
  return std::string(buffer, end);
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kSuccessful:
      return "Successful";
    case Phase::kFailed:
      return "Failed";
    case Phase::kInconclusive:
      return "Inconclusive";
    case Phase::kError:
      return "Error";
  }
  return "Error";
}

std::string_view VerdictName(GateVerdict verdict) {
  switch (verdict) {
    case GateVerdict::kPending:
      return "pending";
    case GateVerdict::kPassed:
      return "passed";
    case GateVerdict::kFailed:
      return "failed";
    case GateVerdict::kError:
      return "error";
  }
  return "error";
}

Measurement Measure(const GateSpec& gate, const std::string& member, const std::string& query,
                    const QueryResult& result, std::chrono::system_clock::time_point at) {
  Measurement m;
  m.gate = gate.name;
  m.member = member;
  m.query = query;
  m.condition = gate.condition.ToString();
  m.at = at;
  switch (result.kind) {
    case QueryResult::Kind::kValue:
      m.value = result.value;
      if (std::isnan(result.value)) {
        m.phase = Phase::kInconclusive;
        m.message = "query returned NaN, which no condition can judge";
      } else {
        m.phase = gate.condition.Holds(result.value) ? Phase::kSuccessful : Phase::kFailed;
      }
      break;
    case QueryResult::Kind::kNoData:
      if (gate.no_data == NoDataPolicy::kFail) {
        m.phase = Phase::kFailed;
        m.message =
            "no data: the query returned nothing, so the gate cannot tell whether it holds (" +
            std::string(NoDataName(gate.no_data)) + ")";
      } else {
        m.phase = Phase::kInconclusive;
        m.message = "no data: the query returned nothing yet; waiting for data (" +
                    std::string(NoDataName(gate.no_data)) + ")";
      }
      break;
    case QueryResult::Kind::kMany:
      m.phase = Phase::kError;
      m.message = "query returned " + std::to_string(result.series_count) +
                  " series; a gate reads one number: aggregate it, e.g. max(...)";
      break;
    case QueryResult::Kind::kError:
      m.phase = Phase::kError;
      m.message = result.error.empty() ? "the query failed for an unknown reason" : result.error;
      break;
  }
  return m;
}

GateTally Count(GateTally tally, Phase phase) {
  ++tally.measurements;
  if (phase == Phase::kSuccessful) {
    ++tally.consecutive_successes;
  } else {
    tally.consecutive_successes = 0;
  }
  if (phase == Phase::kError) {
    ++tally.consecutive_errors;
  } else {
    tally.consecutive_errors = 0;
  }
  if (phase == Phase::kFailed) ++tally.failures;
  if (phase == Phase::kInconclusive) ++tally.inconclusives;
  return tally;
}

GateVerdict Assess(const GateSpec& gate, const GateTally& tally) {
  if (gate.failure_limit >= 0 && tally.failures > gate.failure_limit) return GateVerdict::kFailed;
  if (gate.inconclusive_limit >= 0 && tally.inconclusives > gate.inconclusive_limit)
    return GateVerdict::kFailed;
  if (gate.consecutive_error_limit >= 0 && tally.consecutive_errors > gate.consecutive_error_limit)
    return GateVerdict::kError;
  // At least one Successful measurement, whatever `samples` says: a gate never passes
  // on no evidence.
  if (tally.consecutive_successes >= std::max(gate.samples, 1)) return GateVerdict::kPassed;
  return GateVerdict::kPending;
}

std::string Explain(const Measurement& measurement) {
  std::string out = "gate " + measurement.gate + ": " + measurement.query;
  if (measurement.phase == Phase::kError)
    return out + " could not be measured: " + measurement.message;
  if (!measurement.value) {
    // No data: Measure made it Failed under no_data: fail, Inconclusive under wait.
    NoDataPolicy policy =
        measurement.phase == Phase::kFailed ? NoDataPolicy::kFail : NoDataPolicy::kWait;
    return out + " returned no data (" + std::string(NoDataName(policy)) + ")";
  }
  out += " = " + FormatValue(*measurement.value) + ", needs " + measurement.condition;
  if (measurement.phase == Phase::kInconclusive) out += " (" + measurement.message + ")";
  return out;
}

}  // namespace cutover
