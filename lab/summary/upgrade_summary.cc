#include "lab/summary/upgrade_summary.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cutover::lab_summary {
namespace {

struct Window {
  double from = 0;
  double to = 0;
};

std::optional<double> Lookup(const ActionSeenTimes& seen, const std::string& step) {
  auto found = seen.find(step);
  if (found == seen.end()) return std::nullopt;
  return found->second;
}

// From the step's trigger to the next step's, but no later than the grace after its
// finish (see the top of upgrade_summary.h).
std::optional<Window> StepWindow(const StepRecord& step, const std::vector<StepRecord>& steps,
                                 double grace_seconds) {
  if (!step.triggered_at) return std::nullopt;
  double to = step.finished_at ? *step.finished_at + grace_seconds
                               : std::numeric_limits<double>::infinity();
  for (const StepRecord& other : steps)
    if (other.triggered_at && *other.triggered_at > *step.triggered_at)
      to = std::min(to, *other.triggered_at);
  return Window{*step.triggered_at, to};
}

// Events of `kind` while `step` was current, up to the window's end.
std::uint64_t EventsWithin(const std::vector<TrafficEvent>& events, TrafficEventKind kind,
                           const StepRecord& step, const std::vector<StepRecord>& steps,
                           const Window& window) {
  std::uint64_t count = 0;
  for (const TrafficEvent& event : events)
    if (event.kind == kind && event.time <= window.to && StepCurrentAt(steps, event.time) == &step)
      ++count;
  return count;
}

// Summed over members; nullopt when the product's counters are not known.
std::optional<double> InvalidDropsWithin(const std::optional<std::vector<CounterSeries>>& series,
                                         const Window& window) {
  if (!series || series->empty()) return std::nullopt;
  double total = 0;
  for (const CounterSeries& member : *series)
    total += CounterIncrease(member.samples, window.from, window.to);
  return total;
}

bool Unfinished(const StepRecord& step) {
  return step.state != "done" && step.state != "pending" && step.state != "compensated";
}

std::string WaitingFor(const RunRecord& run) {
  for (const StepRecord& step : run.steps)
    if (Unfinished(step)) return step.name + ": " + step.waiting_for;
  return "";
}

const StepRecord* FindStep(const RunRecord& run, const std::string& name) {
  for (const StepRecord& step : run.steps)
    if (step.name == name) return &step;
  return nullptr;
}

std::optional<CutoverFigures> Cutover(const SummaryInputs& inputs, const SummaryOptions& options) {
  const StepRecord* cut = FindStep(inputs.run, kCutoverStep);
  if (options.scenario != "osu" || cut == nullptr) return std::nullopt;
  CutoverFigures figures;
  figures.drain_threshold = options.drain_threshold;
  // The drained gate reads connections minus the threshold.
  for (const GateMeasurement& gate : cut->gates) {
    if (gate.gate != "drained") continue;
    if (gate.value)
      figures.old_member_connections = *gate.value + static_cast<double>(options.drain_threshold);
    break;
  }
  figures.note = cut->note;
  figures.disconnected_at = Lookup(inputs.action_seen, kDisconnectOldStep);
  const StepRecord* disconnect = FindStep(inputs.run, kDisconnectOldStep);
  if (figures.disconnected_at && disconnect != nullptr && disconnect->triggered_at) {
    const double disconnect_second = std::floor(*disconnect->triggered_at);
    std::uint64_t before = 0;
    for (const TrafficEvent& event : inputs.traffic.events)
      if (event.kind == TrafficEventKind::kBroken && std::floor(event.time) < disconnect_second)
        ++before;
    figures.sessions_broken_before = before;
  }
  return figures;
}

StepSummary SummarizeStep(const StepRecord& step, const SummaryInputs& inputs,
                          const SummaryOptions& options) {
  StepSummary s;
  s.name = step.name;
  s.state = step.state;
  s.triggered_by = step.triggered_by;
  s.action_seen_at = Lookup(inputs.action_seen, step.name);
  s.gates = step.gates;
  if (step.triggered_at && s.action_seen_at)
    s.wait_seconds = *s.action_seen_at - *step.triggered_at;
  if (step.triggered_at && step.finished_at)
    s.duration_seconds = *step.finished_at - *step.triggered_at;
  const std::vector<StepRecord>& steps = inputs.run.steps;
  if (std::optional<Window> window = StepWindow(step, steps, options.grace_seconds)) {
    const std::vector<TrafficEvent>& events = inputs.traffic.events;
    s.sessions_broken_during =
        EventsWithin(events, TrafficEventKind::kBroken, step, steps, *window);
    s.connects_failed_during =
        EventsWithin(events, TrafficEventKind::kConnectFailed, step, steps, *window);
    s.invalid_drops_during = InvalidDropsWithin(inputs.invalid_drops, *window);
  }
  return s;
}

BrokenSession PlaceBrokenSession(const TrafficEvent& event, const RunRecord& run) {
  BrokenSession placed{event.time_text, event.session, event.long_session,
                       event.reason,    kBeforeTheRun, std::nullopt};
  if (const StepRecord* step = StepCurrentAt(run.steps, event.time)) {
    placed.step = step->name;
    // To the millisecond, the report's own precision.
    placed.seconds_into_step = std::round((event.time - *step->triggered_at) * 1000) / 1000;
  }
  return placed;
}

}  // namespace

double CounterIncrease(const std::vector<CounterSample>& samples, double from, double to) {
  double increase = 0;
  std::optional<double> previous;
  for (const CounterSample& sample : samples) {
    if (sample.time <= from) {
      previous = sample.value;
      continue;
    }
    if (sample.time > to) break;
    if (previous) increase += sample.value >= *previous ? sample.value - *previous : sample.value;
    previous = sample.value;
  }
  return increase;
}

const StepRecord* StepCurrentAt(const std::vector<StepRecord>& steps, double time) {
  const StepRecord* current = nullptr;
  for (const StepRecord& step : steps)
    if (step.triggered_at && *step.triggered_at <= time &&
        (current == nullptr || *step.triggered_at >= *current->triggered_at))
      current = &step;
  return current;
}

UpgradeSummary SummarizeUpgrade(const SummaryInputs& inputs, const SummaryOptions& options) {
  const RunRecord& run = inputs.run;
  const TrafficRecord& traffic = inputs.traffic;
  UpgradeSummary summary;
  summary.plan = run.plan;
  summary.run = run.id;
  summary.scenario = options.scenario;
  summary.run_state = options.run_state;
  summary.run_reason = run.reason;
  summary.waiting_for = WaitingFor(run);
  summary.sessions_target = traffic.sessions_target;
  summary.sessions_kept = traffic.sessions_open;
  summary.sessions_broken = traffic.sessions_broken;
  summary.sessions_stalled = traffic.sessions_stalled;
  summary.connects_ok = traffic.connects_ok;
  summary.connects_failed = traffic.connects_failed;
  summary.cutover = Cutover(inputs, options);
  for (const StepRecord& step : run.steps)
    summary.steps.push_back(SummarizeStep(step, inputs, options));
  for (const TrafficEvent& event : traffic.events)
    if (event.kind == TrafficEventKind::kBroken)
      summary.broken_sessions_by_step.push_back(PlaceBrokenSession(event, run));
  Window whole_run{run.started_at, run.finished_at ? *run.finished_at + options.grace_seconds
                                                   : std::numeric_limits<double>::infinity()};
  summary.invalid_drops_total = InvalidDropsWithin(inputs.invalid_drops, whole_run);
  return summary;
}

}  // namespace cutover::lab_summary
