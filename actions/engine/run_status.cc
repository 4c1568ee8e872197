#include "actions/engine/run_status.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <cmath>

#include "common/strings.h"

namespace cutover {
namespace {

constexpr std::array<std::pair<RunState, std::string_view>, 7> kRunStates{{
    {RunState::kRunning, "running"},
    {RunState::kPaused, "paused"},
    {RunState::kRollingBack, "rolling_back"},
    {RunState::kCompleted, "completed"},
    {RunState::kRolledBack, "rolled_back"},
    {RunState::kAborted, "aborted"},
    {RunState::kFailed, "failed"},
}};

constexpr std::array<std::pair<StepState, std::string_view>, 9> kStepStates{{
    {StepState::kPending, "pending"},
    {StepState::kWaitingTrigger, "waiting_trigger"},
    {StepState::kGating, "gating"},
    {StepState::kPerforming, "performing"},
    {StepState::kVerifying, "verifying"},
    {StepState::kDone, "done"},
    {StepState::kFailed, "failed"},
    {StepState::kCompensating, "compensating"},
    {StepState::kCompensated, "compensated"},
}};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// What the API serves quotes members' output, Prometheus' errors and alert labels: it
// stays UTF-8 (so JSON) whatever they sent.
void Str(Writer& w, std::string_view value) {
  const std::string text = ReplaceInvalidUtf8(value);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void Str(Writer& w, const char* key, std::string_view value) {
  w.Key(key);
  Str(w, value);
}

void Time(Writer& w, const char* key, std::chrono::system_clock::time_point t) {
  w.Key(key);
  w.Double(std::chrono::duration<double>(t.time_since_epoch()).count());
}

}  // namespace

std::string_view RunStateName(RunState state) {
  for (const auto& [s, name] : kRunStates)
    if (s == state) return name;
  return "unknown";
}

std::optional<RunState> ParseRunState(std::string_view name) {
  for (const auto& [s, n] : kRunStates)
    if (n == name) return s;
  return std::nullopt;
}

bool IsFinished(RunState state) {
  return state == RunState::kCompleted || state == RunState::kRolledBack ||
         state == RunState::kAborted || state == RunState::kFailed;
}

std::string_view StepStateName(StepState state) {
  for (const auto& [s, name] : kStepStates)
    if (s == state) return name;
  return "unknown";
}

std::optional<StepState> ParseStepState(std::string_view name) {
  for (const auto& [s, n] : kStepStates)
    if (n == name) return s;
  return std::nullopt;
}

std::string RunStatusJson(const std::vector<RunStatus>& runs) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("runs");
  w.StartArray();
  for (const RunStatus& run : runs) {
    w.StartObject();
    Str(w, "id", run.id);
    Str(w, "plan", run.plan);
    Str(w, "cluster", run.cluster);
    w.Key("clusters");
    w.StartArray();
    for (const std::string& cluster : run.clusters) Str(w, cluster);
    w.EndArray();
    w.Key("params");
    w.StartObject();
    for (const auto& [name, value] : run.params) Str(w, name.c_str(), value);
    w.EndObject();
    Str(w, "state", RunStateName(run.state));
    w.Key("blocked");
    w.Bool(run.blocked);
    Str(w, "reason", run.reason);
    Str(w, "warning", run.warning);
    w.Key("current_step");
    w.Uint64(run.current_step);
    Str(w, "started_by", run.started_by);
    Time(w, "started_at", run.started_at);
    if (run.finished_at) Time(w, "finished_at", *run.finished_at);
    w.Key("steps");
    w.StartArray();
    for (const StepStatus& step : run.steps) {
      w.StartObject();
      Str(w, "name", step.name);
      Str(w, "state", StepStateName(step.state));
      Str(w, "waiting_for", step.waiting_for);
      Str(w, "error", step.error);
      Str(w, "note", step.note);
      w.Key("members_done");
      w.StartArray();
      for (const auto& m : step.members_done) Str(w, m);
      w.EndArray();
      if (step.triggered_at) Time(w, "triggered_at", *step.triggered_at);
      Str(w, "triggered_by", step.triggered_by);
      if (step.finished_at) Time(w, "finished_at", *step.finished_at);
      w.Key("gates");
      w.StartArray();
      for (const Measurement& m : step.last_measurements) {
        w.StartObject();
        Str(w, "gate", m.gate);
        Str(w, "member", m.member);
        Str(w, "query", m.query);
        Str(w, "phase", PhaseName(m.phase));
        if (m.value && std::isfinite(*m.value)) {
          w.Key("value");
          w.Double(*m.value);
        }
        Str(w, "condition", m.condition);
        Str(w, "explanation", Explain(m));
        Time(w, "measured_at", m.at);
        w.EndObject();
      }
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace cutover
