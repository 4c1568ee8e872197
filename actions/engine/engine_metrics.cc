// Engine::WriteMetrics: the state of the latest run of each cluster, its steps and gates,
// and the engine's counters, in the Prometheus text format.
#include "actions/engine/engine.h"

namespace cutover {

void Engine::WriteMetrics(ExpositionWriter& out) const {
  std::lock_guard lock(mutex_);
  // The latest run of each cluster, for every cluster a run holds.
  std::map<std::string, const RunRecord*> latest;
  for (const auto& record : state_.runs) {
    const RunRecord* run = record.get();
    for (const std::string& cluster : run->status.clusters) latest[cluster] = run;
  }

  auto family = [&](const char* name, const char* help, const char* type, auto&& each) {
    bool started = false;
    auto sample = [&](std::initializer_list<ExpositionLabel> labels, double value) {
      if (!started) out.Family(name, help, type);
      started = true;
      out.Sample(name, labels, value);
    };
    each(sample);
  };

  family("cutover_run_state", "1 for the state of the cluster's latest run, 0 for the others.",
         "gauge", [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             for (RunState s : {RunState::kRunning, RunState::kPaused, RunState::kRollingBack,
                                RunState::kCompleted, RunState::kRolledBack, RunState::kAborted,
                                RunState::kFailed})
               sample({{"ha_cluster", cluster},
                       {"plan", run->status.plan},
                       {"run", run->status.id},
                       {"state", RunStateName(s)}},
                      run->status.state == s ? 1 : 0);
         });
  family("cutover_run_step",
         "Number of the step the cluster's latest run is at (1-based; steps + 1 when done).",
         "gauge", [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             sample({{"ha_cluster", cluster}, {"plan", run->status.plan}, {"run", run->status.id}},
                    static_cast<double>(run->status.current_step + 1));
         });
  family("cutover_run_blocked",
         "1 while the latest run cannot measure a gate: nothing runs until it can.", "gauge",
         [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             sample({{"ha_cluster", cluster}, {"plan", run->status.plan}, {"run", run->status.id}},
                    run->status.blocked ? 1 : 0);
         });
  family("cutover_step_state", "1 for each step's state in the cluster's latest run.", "gauge",
         [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             for (const StepStatus& step : run->status.steps)
               for (StepState s :
                    {StepState::kPending, StepState::kWaitingTrigger, StepState::kGating,
                     StepState::kPerforming, StepState::kVerifying, StepState::kDone,
                     StepState::kFailed, StepState::kCompensating, StepState::kCompensated})
                 sample({{"ha_cluster", cluster},
                         {"plan", run->status.plan},
                         {"step", step.name},
                         {"state", StepStateName(s)}},
                        step.state == s ? 1 : 0);
         });
  family("cutover_step_duration_seconds",
         "From trigger to done or failed, for finished steps of the latest run.", "gauge",
         [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             for (const StepStatus& step : run->status.steps)
               if (step.triggered_at && step.finished_at)
                 sample(
                     {{"ha_cluster", cluster}, {"plan", run->status.plan}, {"step", step.name}},
                     std::chrono::duration<double>(*step.finished_at - *step.triggered_at).count());
         });
  // A member stays "recently upgraded" for the alert rules while the run that upgraded it
  // goes on, however long its soak: the rules' version-history window alone ends.
  family("cutover_run_member_upgraded",
         "1 for each member an upgrade action of a run still in progress completed on.", "gauge",
         [&](auto& sample) {
           for (const auto& record : state_.runs) {
             const RunRecord& run = *record;
             if (run.plan == nullptr || IsFinished(run.status.state)) continue;
             for (std::size_t i = 0; i < run.status.steps.size() && i < run.plan->steps.size();
                  ++i) {
               const ActionSpec& action = run.plan->steps[i].action;
               if (action.action != Action::kUpgrade) continue;
               for (const std::string& member : run.status.steps[i].members_done)
                 sample({{"ha_cluster", action.cluster},
                         {"member", member},
                         {"plan", run.status.plan},
                         {"run", run.status.id}},
                        1);
             }
           }
         });
  auto each_measurement = [&](auto&& emit) {
    for (const auto& [cluster, run] : latest) {
      if (run->plan == nullptr) continue;
      for (std::size_t i = 0; i < run->status.steps.size(); ++i) {
        const StepStatus& step = run->status.steps[i];
        // A gate reads its step's cluster: published under that cluster only.
        if (i < run->plan->steps.size() && run->plan->steps[i].action.cluster != cluster) continue;
        for (const Measurement& m : step.last_measurements) {
          const GateSpec* spec = nullptr;
          for (const GateSpec& g : run->plan->steps[i].gates)
            if (g.name == m.gate) spec = &g;
          for (const GateSpec& g : run->plan->steps[i].rollback_gates)
            if (g.name == m.gate) spec = &g;
          emit(cluster, *run, step, m, spec);
        }
      }
    }
  };
  family("cutover_gate_value", "The latest value a gate measured.", "gauge", [&](auto& sample) {
    each_measurement([&](const std::string& cluster, const RunRecord& run, const StepStatus& step,
                         const Measurement& m, const GateSpec*) {
      if (m.value)
        sample({{"ha_cluster", cluster},
                {"plan", run.status.plan},
                {"step", step.name},
                {"gate", m.gate},
                {"member", m.member}},
               *m.value);
    });
  });
  family(
      "cutover_gate_threshold", "The number a gate's condition compares its value with.", "gauge",
      [&](auto& sample) {
        each_measurement([&](const std::string& cluster, const RunRecord& run,
                             const StepStatus& step, const Measurement& m, const GateSpec* spec) {
          if (spec)
            sample({{"ha_cluster", cluster},
                    {"plan", run.status.plan},
                    {"step", step.name},
                    {"gate", m.gate},
                    {"member", m.member}},
                   spec->condition.threshold);
        });
      });
  family("cutover_gate_passing", "1 if the gate's latest measurement was Successful.", "gauge",
         [&](auto& sample) {
           each_measurement([&](const std::string& cluster, const RunRecord& run,
                                const StepStatus& step, const Measurement& m, const GateSpec*) {
             sample({{"ha_cluster", cluster},
                     {"plan", run.status.plan},
                     {"step", step.name},
                     {"gate", m.gate},
                     {"member", m.member}},
                    m.phase == Phase::kSuccessful ? 1 : 0);
           });
         });
  family("cutover_gate_evaluations_total", "Gate measurements by phase.", "counter",
         [&](auto& sample) {
           for (const auto& [key, count] : gate_evaluations_) {
             std::vector<std::string> parts;
             std::size_t start = 0;
             for (int n = 0; n < 4; ++n) {
               std::size_t bar = key.find('|', start);
               parts.push_back(key.substr(start, bar - start));
               start = bar + 1;
             }
             parts.push_back(key.substr(start));
             sample({{"ha_cluster", parts[0]},
                     {"plan", parts[1]},
                     {"step", parts[2]},
                     {"gate", parts[3]},
                     {"phase", parts[4]}},
                    count);
           }
         });
  family("cutover_actions_total", "Driver actions performed, by result.", "counter",
         [&](auto& sample) {
           for (const auto& [key, count] : actions_total_) {
             std::size_t a = key.find('|'), b = key.find('|', a + 1);
             sample({{"ha_cluster", key.substr(0, a)},
                     {"action", key.substr(a + 1, b - a - 1)},
                     {"result", key.substr(b + 1)}},
                    count);
           }
         });
}

}  // namespace cutover
