// The engine's decisions about a waiting step, as pure functions of the plan, the run's
// journaled state, the alerts firing and the time: the worker journals what they decide.
// Tests call them with any time they like.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "actions/engine/alert_router.h"
#include "actions/engine/run_status.h"
#include "actions/gates/gate_evaluation.h"
#include "actions/plan/plan.h"

namespace cutover {

// A step waiting for its trigger: triggered (by whom, for the journal's "by") or what it
// waits for, in an operator's words.
struct TriggerDecision {
  bool triggered = false;
  std::string by;           // "auto", "alert CutoverDrainComplete"
  std::string waiting_for;  // when not triggered
};
TriggerDecision DecideTrigger(const StepSpec& step, const std::string& run_id,
                              const AlertStates& alerts);

// The sentence "deadline of 20m for step cutover passed" once the deadline of the run's
// step `index` has passed at `now`, counted from when the step became current (the
// previous step done, or the run started); nullopt before, or without a deadline.
std::optional<std::string> DeadlinePassed(const StepSpec& step, const RunStatus& run,
                                          std::size_t index,
                                          std::chrono::system_clock::time_point now);

// Whether a triggered step has run past its timeout at `now`.
bool TimedOut(const StepSpec& step, const StepStatus& status,
              std::chrono::system_clock::time_point now);

// Where one gate (for one member) stands in the current phase.
struct GateStanding {
  std::string gate;
  GateVerdict verdict = GateVerdict::kPending;
  int passing_samples = 0;  // consecutive successes so far
  int samples_needed = 1;
  std::string explained;  // Explain() of its latest measurement, or "not measured yet"
};

// A round of gates judged together: passed only when every gate passed; failed as soon
// as one failed its limits; blocked while one cannot be measured. `why` is what the status
// says: the failed gate, else the first that holds the step back.
struct GateRoundJudgment {
  bool passed = false;
  bool failed = false;
  bool blocked = false;
  std::string why;
};
GateRoundJudgment JudgeGateRound(const std::vector<GateStanding>& standings);

}  // namespace cutover
