#include "actions/engine/journal_record.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <chrono>
#include <cmath>

#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover {
namespace {

constexpr std::array<std::pair<RecordType, std::string_view>, 18> kTypeNames{{
    {RecordType::kRunStarted, "run_started"},
    {RecordType::kTriggered, "triggered"},
    {RecordType::kGateMeasured, "gate_measured"},
    {RecordType::kActionStarted, "action_started"},
    {RecordType::kActionFinished, "action_finished"},
    {RecordType::kStepDone, "step_done"},
    {RecordType::kStepFailed, "step_failed"},
    {RecordType::kRollbackStarted, "rollback_started"},
    {RecordType::kCompensationStarted, "compensation_started"},
    {RecordType::kCompensationFinished, "compensation_finished"},
    {RecordType::kStepCompensated, "step_compensated"},
    {RecordType::kPaused, "paused"},
    {RecordType::kResumed, "resumed"},
    {RecordType::kRunFinished, "run_finished"},
    {RecordType::kAlertReceived, "alert_received"},
    {RecordType::kRollbackRequested, "rollback_requested"},
    {RecordType::kGatesPassed, "gates_passed"},
    {RecordType::kActionsDone, "actions_done"},
}};

constexpr std::array<std::pair<Phase, std::string_view>, 4> kPhases{{
    {Phase::kSuccessful, "Successful"},
    {Phase::kFailed, "Failed"},
    {Phase::kInconclusive, "Inconclusive"},
    {Phase::kError, "Error"},
}};

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Fields carry members' output and Prometheus' words: the journal stays UTF-8 whatever
// they sent.
void Field(Writer& w, const char* key, const std::string& value) {
  if (value.empty()) return;
  const std::string text = ReplaceInvalidUtf8(value);
  w.Key(key);
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
}

// Journals written before the writer repaired UTF-8 may hold invalid bytes: repaired on
// reading, so replay still works and nothing invalid is served.
std::string Text(const rapidjson::Value& object, const char* key) {
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return {};
  return ReplaceInvalidUtf8(std::string_view(it->value.GetString(), it->value.GetStringLength()));
}

JsonLimits JournalLimits() {
  JsonLimits limits = MachineJsonLimits();
  limits.validate_utf8 = false;
  return limits;
}

}  // namespace

std::string_view RecordTypeName(RecordType type) {
  for (const auto& [t, name] : kTypeNames)
    if (t == type) return name;
  return "unknown";
}

std::int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string EncodeRecord(const JournalRecord& r) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("type");
  std::string type(RecordTypeName(r.type));
  w.String(type.c_str());
  w.Key("at");
  w.Int64(r.at_ms);
  Field(w, "run", r.run);
  Field(w, "step", r.step);
  Field(w, "member", r.member);
  Field(w, "plan", r.plan);
  Field(w, "plan_digest", r.plan_digest);
  Field(w, "cluster", r.cluster);
  Field(w, "by", r.by);
  Field(w, "detail", r.detail);
  Field(w, "state", r.state);
  Field(w, "verdict", r.verdict);
  Field(w, "key", r.key);
  Field(w, "alertname", r.alertname);
  Field(w, "status", r.status);
  Field(w, "group_key", r.group_key);
  if (!r.params.empty()) {
    w.Key("params");
    w.StartObject();
    for (const auto& [name, value] : r.params) {
      w.Key(name.c_str());
      const std::string text = ReplaceInvalidUtf8(value);
      w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
    }
    w.EndObject();
  }
  if (r.type == RecordType::kActionFinished || r.type == RecordType::kCompensationFinished) {
    w.Key("ok");
    w.Bool(r.ok);
  }
  if (r.measurement) {
    const Measurement& m = *r.measurement;
    w.Key("measurement");
    w.StartObject();
    Field(w, "gate", m.gate);
    Field(w, "member", m.member);
    Field(w, "query", m.query);
    w.Key("phase");
    w.String(std::string(PhaseName(m.phase)).c_str());
    // JSON has no NaN or infinity: write the value as Prometheus does, as a string.
    if (m.value) {
      w.Key("value");
      if (std::isnan(*m.value)) {
        w.String("NaN");
      } else if (std::isinf(*m.value)) {
        w.String(*m.value > 0 ? "+Inf" : "-Inf");
      } else {
        w.Double(*m.value);
      }
    }
    Field(w, "condition", m.condition);
    Field(w, "message", m.message);
    w.Key("at");
    w.Int64(std::chrono::duration_cast<std::chrono::milliseconds>(m.at.time_since_epoch()).count());
    w.EndObject();
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ParseResult<JournalRecord> DecodeRecord(std::string_view json) {
  auto parsed = ReadJson(json, JournalLimits());
  if (!parsed.ok())
    return ParseResult<JournalRecord>::Error("journal record is not a JSON object: " +
                                             parsed.error());
  const rapidjson::Document& doc = parsed.value();
  if (!doc.IsObject())
    return ParseResult<JournalRecord>::Error("journal record is not a JSON object");
  JournalRecord r;
  std::string type = Text(doc, "type");
  bool known = false;
  for (const auto& [t, name] : kTypeNames) {
    if (name == type) {
      r.type = t;
      known = true;
    }
  }
  if (!known)
    return ParseResult<JournalRecord>::Error("unknown journal record type '" + type + "'");
  if (doc.HasMember("at") && doc["at"].IsInt64()) r.at_ms = doc["at"].GetInt64();
  r.run = Text(doc, "run");
  r.step = Text(doc, "step");
  r.member = Text(doc, "member");
  r.plan = Text(doc, "plan");
  r.plan_digest = Text(doc, "plan_digest");
  r.cluster = Text(doc, "cluster");
  r.by = Text(doc, "by");
  r.detail = Text(doc, "detail");
  r.state = Text(doc, "state");
  r.verdict = Text(doc, "verdict");
  r.key = Text(doc, "key");
  r.alertname = Text(doc, "alertname");
  r.status = Text(doc, "status");
  r.group_key = Text(doc, "group_key");
  if (doc.HasMember("ok") && doc["ok"].IsBool()) r.ok = doc["ok"].GetBool();
  if (auto params = doc.FindMember("params"); params != doc.MemberEnd()) {
    if (!params->value.IsObject())
      return ParseResult<JournalRecord>::Error("journal record's params is not an object");
    for (const auto& p : params->value.GetObject()) {
      if (!p.value.IsString())
        return ParseResult<JournalRecord>::Error(
            "journal record's parameter '" + std::string(p.name.GetString()) + "' is not a string");
      r.params[p.name.GetString()] = ReplaceInvalidUtf8(p.value.GetString());
    }
  }
  if (doc.HasMember("measurement") && doc["measurement"].IsObject()) {
    const auto& m = doc["measurement"];
    Measurement measurement;
    measurement.gate = Text(m, "gate");
    measurement.member = Text(m, "member");
    measurement.query = Text(m, "query");
    std::string phase = Text(m, "phase");
    for (const auto& [p, name] : kPhases)
      if (name == phase) measurement.phase = p;
    if (m.HasMember("value")) {
      const auto& v = m["value"];
      if (v.IsNumber()) measurement.value = v.GetDouble();
      if (v.IsString()) {
        std::string s = v.GetString();
        if (s == "NaN") measurement.value = std::nan("");
        if (s == "+Inf") measurement.value = INFINITY;
        if (s == "-Inf") measurement.value = -INFINITY;
      }
    }
    measurement.condition = Text(m, "condition");
    measurement.message = Text(m, "message");
    if (m.HasMember("at") && m["at"].IsInt64())
      measurement.at =
          std::chrono::system_clock::time_point(std::chrono::milliseconds(m["at"].GetInt64()));
    r.measurement = measurement;
  }
  return r;
}

}  // namespace cutover
