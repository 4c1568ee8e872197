#include "lab/summary/summary_render.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace cutover::lab_summary {
namespace {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Str(Writer& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

// Whole numbers as integers, as jq wrote them: 1 rather than 1.0.
void Number(Writer& w, double value) {
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 9e15)
    w.Int64(static_cast<std::int64_t>(value));
  else if (std::isfinite(value))
    w.Double(value);
  else
    w.Null();  // JSON has no NaN or infinity; nothing this tool computes gives them
}

void Number(Writer& w, const char* key, const std::optional<double>& value) {
  w.Key(key);
  if (value)
    Number(w, *value);
  else
    w.Null();
}

void Count(Writer& w, const char* key, std::uint64_t value) {
  w.Key(key);
  w.Uint64(value);
}

void Count(Writer& w, const char* key, const std::optional<std::uint64_t>& value) {
  w.Key(key);
  if (value)
    w.Uint64(*value);
  else
    w.Null();
}

void WriteCutover(Writer& w, const std::optional<CutoverFigures>& cutover) {
  w.Key("cutover");
  if (!cutover) {
    w.Null();
    return;
  }
  w.StartObject();
  Count(w, "drain_threshold", cutover->drain_threshold);
  Number(w, "old_member_connections", cutover->old_member_connections);
  Str(w, "note", cutover->note);
  Number(w, "disconnected_at", cutover->disconnected_at);
  Count(w, "sessions_broken_before", cutover->sessions_broken_before);
  w.EndObject();
}

void WriteGate(Writer& w, const GateMeasurement& gate) {
  w.StartObject();
  Str(w, "gate", gate.gate);
  Str(w, "member", gate.member);
  Str(w, "phase", gate.phase);
  Number(w, "value", gate.value);
  Str(w, "condition", gate.condition);
  Number(w, "measured_at", gate.measured_at);
  w.EndObject();
}

void WriteStep(Writer& w, const StepSummary& step) {
  w.StartObject();
  Str(w, "name", step.name);
  Str(w, "state", step.state);
  Str(w, "triggered_by", step.triggered_by);
  Number(w, "action_seen_at", step.action_seen_at);
  w.Key("gates");
  w.StartArray();
  for (const GateMeasurement& gate : step.gates) WriteGate(w, gate);
  w.EndArray();
  Number(w, "wait_seconds", step.wait_seconds);
  Number(w, "duration_seconds", step.duration_seconds);
  Count(w, "sessions_broken_during", step.sessions_broken_during);
  Count(w, "connects_failed_during", step.connects_failed_during);
  Number(w, "invalid_drops_during", step.invalid_drops_during);
  w.EndObject();
}

void WriteBrokenSession(Writer& w, const BrokenSession& broken) {
  w.StartObject();
  Str(w, "time", broken.time);
  Str(w, "session", broken.session);
  Str(w, "session_kind", broken.long_session ? "long" : "short");
  Str(w, "reason", broken.reason);
  Str(w, "step", broken.step);
  Number(w, "seconds_into_step", broken.seconds_into_step);
  w.EndObject();
}

// Tenths of a second, or "-" when unknown.
std::string Tenths(const std::optional<double>& seconds) {
  return seconds ? FormatNumber(std::round(*seconds * 10) / 10) : "-";
}

std::string CountOrDash(const std::optional<std::uint64_t>& count) {
  return count ? std::to_string(*count) : "-";
}

std::string TableLine(const std::string& step, const std::string& state, const std::string& wait,
                      const std::string& total, const std::string& broken,
                      const std::optional<std::string>& invalid_drops) {
  char line[512];
  std::snprintf(line, sizeof line, "%-22s %-12s %10s %10s %8s", step.c_str(), state.c_str(),
                wait.c_str(), total.c_str(), broken.c_str());
  std::string text = line;
  if (invalid_drops) {
    std::snprintf(line, sizeof line, " %14s", invalid_drops->c_str());
    text += line;
  }
  return text + "\n";
}

std::string CutoverLine(const CutoverFigures& cutover) {
  std::string line =
      "cutover: the OLD member left with " +
      (cutover.old_member_connections ? FormatNumber(*cutover.old_member_connections)
                                      : std::string("?")) +
      " connections (drained at <= " + std::to_string(cutover.drain_threshold) +
      "); sessions broken before it: " +
      (cutover.sessions_broken_before ? std::to_string(*cutover.sessions_broken_before)
                                      : std::string("?"));
  if (!cutover.note.empty()) line += "; " + cutover.note;
  return line + "\n";
}

}  // namespace

std::string FormatNumber(double value) {
  if (value == 0) return "0";  // also -0
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return ec == std::errc() ? std::string(buffer, end) : "?";
}

std::string SummaryJson(const UpgradeSummary& summary) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  Str(w, "run", summary.run);
  Str(w, "scenario", summary.scenario);
  Str(w, "run_state", summary.run_state);
  Str(w, "run_reason", summary.run_reason);
  Str(w, "waiting_for", summary.waiting_for);
  Count(w, "sessions_target", summary.sessions_target);
  Count(w, "sessions_kept", summary.sessions_kept);
  Count(w, "sessions_broken", summary.sessions_broken);
  Count(w, "sessions_stalled", summary.sessions_stalled);
  Count(w, "connects_ok", summary.connects_ok);
  Count(w, "connects_failed", summary.connects_failed);
  WriteCutover(w, summary.cutover);
  w.Key("steps");
  w.StartArray();
  for (const StepSummary& step : summary.steps) WriteStep(w, step);
  w.EndArray();
  w.Key("broken_sessions_by_step");
  w.StartArray();
  for (const BrokenSession& broken : summary.broken_sessions_by_step) WriteBrokenSession(w, broken);
  w.EndArray();
  Number(w, "invalid_drops_total", summary.invalid_drops_total);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string SummaryText(const UpgradeSummary& summary, const SummaryFiles& files) {
  std::string text = "== " + summary.plan + ": run " + summary.run + " " + summary.run_state + "\n";
  if (summary.run_state != "completed")
    text += "   " + summary.run_reason + " " + summary.waiting_for + "\n";
  text += "sessions kept " + std::to_string(summary.sessions_kept) + "/" +
          std::to_string(summary.sessions_target) + ", broken " +
          std::to_string(summary.sessions_broken) + ", stalled " +
          std::to_string(summary.sessions_stalled) + "; connects " +
          std::to_string(summary.connects_ok) + " ok / " + std::to_string(summary.connects_failed) +
          " failed\n";
  if (summary.cutover) text += CutoverLine(*summary.cutover);

  // The product's own count beside the traffic client's, once the driver exports it.
  const bool product_counts = summary.invalid_drops_total.has_value();
  text += TableLine("step", "state", "wait (s)", "total (s)", "broken",
                    product_counts ? std::optional<std::string>("invalid drops") : std::nullopt);
  for (const StepSummary& step : summary.steps) {
    std::optional<std::string> invalid_drops;
    if (product_counts)
      invalid_drops = step.invalid_drops_during ? FormatNumber(*step.invalid_drops_during) : "-";
    text +=
        TableLine(step.name, step.state, Tenths(step.wait_seconds), Tenths(step.duration_seconds),
                  CountOrDash(step.sessions_broken_during), invalid_drops);
  }
  text += "timeline: " + files.timeline + "; summary: " + files.summary +
          "; traffic report: " + files.traffic + "\n";
  return text;
}

}  // namespace cutover::lab_summary
