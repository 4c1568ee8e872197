// The figures of one lab upgrade run, computed from what the run left (summary_inputs.h):
// what the end-to-end tests assert (sessions kept and broken, when each broke relative to
// each step) and what run-upgrade.sh prints. Pure: records in, a record out.
//
// When an event counts for a step: each event belongs to the step current at its time,
// the last one triggered at or before it ("before the run" when none was), which is where
// broken_sessions_by_step puts every broken session. A step's own figures (broken
// sessions, failed connects, invalid drops) count what came from its trigger until the
// next step's trigger, but no later than `grace_seconds` after it finished: a session cut
// by the step's last action is reported by the traffic client only when its next echo
// fails, and what comes while the run waits between steps (a drain, a trigger alert) is
// no step's doing. So each event counts for one step at most, and a step still under way
// counts until the end of the traffic. A cut reported after the next step began counts for
// that next step: its entry in broken_sessions_by_step says how far into it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lab/summary/summary_inputs.h"

namespace cutover::lab_summary {

inline constexpr const char* kBeforeTheRun = "before the run";

// osu: the step that cuts over away from the OLD member, and the one that disconnects it.
inline constexpr const char* kCutoverStep = "cutover-old-upgrade-mode-off";
inline constexpr const char* kDisconnectOldStep = "cutover-disconnect-old";

struct SummaryInputs {
  RunRecord run;
  TrafficRecord traffic;
  ActionSeenTimes action_seen;
  // The product's cutover_member_invalid_state_drops_total per member over the run;
  // nullopt when not fetched. No series (the driver does not export it) gives null figures.
  std::optional<std::vector<CounterSeries>> invalid_drops;
};

struct SummaryOptions {
  std::string scenario;   // bgp-pair or osu
  std::string run_state;  // as run-upgrade.sh ends it: the run's state, or "timeout"
  std::uint64_t drain_threshold = 0;
  double grace_seconds = 5;
};

// osu: what the cutover cut.
struct CutoverFigures {
  std::uint64_t drain_threshold = 0;
  // The drained gate's last value (connections minus the threshold) plus the threshold;
  // nullopt when that gate has no value.
  std::optional<double> old_member_connections;
  std::string note;
  std::optional<double> disconnected_at;  // when the disconnect's action was first seen
  // Broken sessions before the disconnect step was triggered, compared to the whole second
  // as the summary always has: a session reported in the disconnect's own second is the
  // disconnect's. nullopt when the disconnect was never seen acting.
  std::optional<std::uint64_t> sessions_broken_before;
};

struct StepSummary {
  std::string name;
  std::string state;
  std::string triggered_by;
  std::optional<double> action_seen_at;
  std::vector<GateMeasurement> gates;
  std::optional<double> wait_seconds;      // from the trigger to the action seen under way
  std::optional<double> duration_seconds;  // from the trigger to the finish
  // What came while the step was current, up to the grace after its finish (see the top of
  // this file); nullopt when the step was never triggered. Broken sessions are long and
  // short ones alike.
  std::optional<std::uint64_t> sessions_broken_during;
  std::optional<std::uint64_t> connects_failed_during;
  // The increase of the invalid-state drop counters summed over members; nullopt also
  // when the product's counters are not known.
  std::optional<double> invalid_drops_during;
};

struct BrokenSession {
  std::string time;     // the traffic report's time
  std::string session;  // "s17"
  bool long_session = true;
  std::string reason;
  std::string step;                         // current at its time, or kBeforeTheRun
  std::optional<double> seconds_into_step;  // since that step's trigger
};

struct UpgradeSummary {
  std::string plan;
  std::string run;
  std::string scenario;
  std::string run_state;
  std::string run_reason;
  std::string waiting_for;  // "STEP: what it waits for" of the first unfinished step
  std::uint64_t sessions_target = 0;
  std::uint64_t sessions_kept = 0;
  std::uint64_t sessions_broken = 0;
  std::uint64_t sessions_stalled = 0;
  std::uint64_t connects_ok = 0;
  std::uint64_t connects_failed = 0;
  std::optional<CutoverFigures> cutover;  // osu only
  std::vector<StepSummary> steps;
  std::vector<BrokenSession> broken_sessions_by_step;
  std::optional<double> invalid_drops_total;  // from the run's start to its finish + grace
};

UpgradeSummary SummarizeUpgrade(const SummaryInputs& inputs, const SummaryOptions& options);

// The increase of one counter over [from, to], as Prometheus counts it: from its value at
// `from` (the last sample at or before it; the first sample after it when the series
// starts later) through every sample up to `to`. A value below the previous one is a reset
// (the process restarted), and the new value counts as increase.
double CounterIncrease(const std::vector<CounterSample>& samples, double from, double to);

// The step current at `time`: the last triggered at or before it (the later in the plan
// on a tie); nullptr before the first trigger.
const StepRecord* StepCurrentAt(const std::vector<StepRecord>& steps, double time);

}  // namespace cutover::lab_summary
