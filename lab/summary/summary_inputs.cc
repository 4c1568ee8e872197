#include "lab/summary/summary_inputs.h"

#include <rapidjson/document.h>

#include <charconv>
#include <chrono>
#include <cmath>

#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover::lab_summary {
namespace {

enum class Presence { kRequired, kOptional };

const char* TypeName(const rapidjson::Value& value) {
  if (value.IsNull()) return "null";
  if (value.IsBool()) return "a boolean";
  if (value.IsObject()) return "an object";
  if (value.IsArray()) return "an array";
  if (value.IsString()) return "a string";
  return "a number";
}

std::string Join(const std::string& path, const char* key) {
  return path.empty() ? key : path + "." + key;
}

std::string Index(const std::string& path, rapidjson::SizeType i) {
  return path + "[" + std::to_string(i) + "]";
}

// Reads the fields of one document, keeping the first problem with the file and the
// field's path ("runs[0].steps[2].triggered_at"), so the caller checks once at the end.
class FieldReader {
 public:
  FieldReader(std::string file, std::string hint)
      : file_(std::move(file)), hint_(std::move(hint)) {}

  bool ok() const { return error_.empty(); }
  std::string error() const { return error_ + " (" + hint_ + ")"; }

  void Fail(const std::string& path, const std::string& what) {
    if (error_.empty()) error_ = file_ + ": " + (path.empty() ? "" : path + ": ") + what;
  }

  // A member absent or null counts as not given.
  const rapidjson::Value* Find(const rapidjson::Value& object, const std::string& path,
                               const char* key, Presence presence) {
    auto member = object.FindMember(key);
    if (member == object.MemberEnd() || member->value.IsNull()) {
      if (presence == Presence::kRequired) Fail(Join(path, key), "missing");
      return nullptr;
    }
    return &member->value;
  }

  std::string String(const rapidjson::Value& object, const std::string& path, const char* key,
                     Presence presence) {
    const rapidjson::Value* value = Find(object, path, key, presence);
    if (value == nullptr) return "";
    if (!value->IsString()) {
      Fail(Join(path, key), std::string("expected a string, got ") + TypeName(*value));
      return "";
    }
    return std::string(value->GetString(), value->GetStringLength());
  }

  std::optional<double> Number(const rapidjson::Value& object, const std::string& path,
                               const char* key, Presence presence, const char* meaning) {
    const rapidjson::Value* value = Find(object, path, key, presence);
    if (value == nullptr) return std::nullopt;
    if (!value->IsNumber()) {
      Fail(Join(path, key),
           std::string("expected a number (") + meaning + "), got " + TypeName(*value));
      return std::nullopt;
    }
    return value->GetDouble();
  }

  std::uint64_t Count(const rapidjson::Value& object, const std::string& path, const char* key) {
    const rapidjson::Value* value = Find(object, path, key, Presence::kRequired);
    if (value == nullptr) return 0;
    if (!value->IsUint64()) {
      Fail(Join(path, key),
           std::string("expected a whole number of at least 0, got ") +
               (value->IsNumber() ? "a negative or fractional number" : TypeName(*value)));
      return 0;
    }
    return value->GetUint64();
  }

  const rapidjson::Value* Array(const rapidjson::Value& object, const std::string& path,
                                const char* key, Presence presence) {
    const rapidjson::Value* value = Find(object, path, key, presence);
    if (value != nullptr && !value->IsArray()) {
      Fail(Join(path, key), std::string("expected an array, got ") + TypeName(*value));
      return nullptr;
    }
    return value;
  }

  bool IsObject(const rapidjson::Value& value, const std::string& path) {
    if (value.IsObject()) return true;
    Fail(path, std::string("expected an object, got ") + TypeName(value));
    return false;
  }

 private:
  std::string file_;
  std::string hint_;
  std::string error_;
};

template <typename T>
ParseResult<T> ReadError(const std::string& file, const std::string& why, const std::string& hint) {
  return ParseResult<T>::Error(file + ": " + why + " (" + hint + ")");
}

constexpr const char* kStatusHint = "is it the output of cutoverctl status RUN --json?";
constexpr const char* kTrafficHint = "is it the report of cutover-traffic client --report?";
constexpr const char* kRangeHint = "is it the answer of Prometheus' /api/v1/query_range?";

GateMeasurement ReadGate(FieldReader& r, const rapidjson::Value& gate, const std::string& path) {
  GateMeasurement m;
  if (!r.IsObject(gate, path)) return m;
  m.gate = r.String(gate, path, "gate", Presence::kRequired);
  m.member = r.String(gate, path, "member", Presence::kOptional);
  m.phase = r.String(gate, path, "phase", Presence::kRequired);
  m.value = r.Number(gate, path, "value", Presence::kOptional, "the measured value");
  m.condition = r.String(gate, path, "condition", Presence::kOptional);
  m.measured_at =
      r.Number(gate, path, "measured_at", Presence::kRequired, "Unix seconds").value_or(0);
  return m;
}

StepRecord ReadStep(FieldReader& r, const rapidjson::Value& step, const std::string& path) {
  StepRecord s;
  if (!r.IsObject(step, path)) return s;
  s.name = r.String(step, path, "name", Presence::kRequired);
  s.state = r.String(step, path, "state", Presence::kRequired);
  s.triggered_by = r.String(step, path, "triggered_by", Presence::kOptional);
  s.waiting_for = r.String(step, path, "waiting_for", Presence::kOptional);
  s.note = r.String(step, path, "note", Presence::kOptional);
  s.triggered_at = r.Number(step, path, "triggered_at", Presence::kOptional, "Unix seconds");
  s.finished_at = r.Number(step, path, "finished_at", Presence::kOptional, "Unix seconds");
  if (const rapidjson::Value* gates = r.Array(step, path, "gates", Presence::kOptional))
    for (rapidjson::SizeType i = 0; i < gates->Size(); ++i)
      s.gates.push_back(ReadGate(r, (*gates)[i], Index(Join(path, "gates"), i)));
  return s;
}

std::optional<TrafficEventKind> ParseEventKind(std::string_view name) {
  if (name == "broken") return TrafficEventKind::kBroken;
  if (name == "connect_failed") return TrafficEventKind::kConnectFailed;
  if (name == "stalled") return TrafficEventKind::kStalled;
  return std::nullopt;
}

TrafficEvent ReadEvent(FieldReader& r, const rapidjson::Value& event, const std::string& path) {
  TrafficEvent e;
  if (!r.IsObject(event, path)) return e;
  std::string kind = r.String(event, path, "kind", Presence::kRequired);
  if (r.ok()) {
    if (auto parsed = ParseEventKind(kind))
      e.kind = *parsed;
    else
      r.Fail(Join(path, "kind"),
             "unknown kind " + QuoteForMessage(kind, 40) + " (broken, connect_failed or stalled)");
  }
  e.time_text = r.String(event, path, "time", Presence::kRequired);
  if (r.ok()) {
    if (auto time = ParseReportTime(e.time_text))
      e.time = *time;
    else
      r.Fail(Join(path, "time"), "expected a UTC time like 2024-05-01T12:00:03.250Z, got " +
                                     QuoteForMessage(e.time_text, 40));
  }
  e.session = r.String(event, path, "session", Presence::kOptional);
  std::string session_kind = r.String(event, path, "session_kind", Presence::kOptional);
  if (r.ok() && !session_kind.empty() && session_kind != "long" && session_kind != "short")
    r.Fail(Join(path, "session_kind"),
           "expected \"long\" or \"short\", got " + QuoteForMessage(session_kind, 40));
  e.long_session = session_kind != "short";
  e.reason = r.String(event, path, "reason", Presence::kOptional);
  return e;
}

bool ReadDigits(std::string_view text, std::size_t at, std::size_t count, int* out) {
  if (at + count > text.size()) return false;
  for (std::size_t i = at; i < at + count; ++i)
    if (text[i] < '0' || text[i] > '9') return false;
  std::from_chars(text.data() + at, text.data() + at + count, *out);
  return true;
}

}  // namespace

std::optional<double> ParseReportTime(std::string_view text) {
  // 2024-05-01T12:00:03[.250]Z
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, 0, 4, &year) || text.substr(4, 1) != "-" ||
      !ReadDigits(text, 5, 2, &month) || text.substr(7, 1) != "-" ||
      !ReadDigits(text, 8, 2, &day) || text.substr(10, 1) != "T" ||
      !ReadDigits(text, 11, 2, &hour) || text.substr(13, 1) != ":" ||
      !ReadDigits(text, 14, 2, &minute) || text.substr(16, 1) != ":" ||
      !ReadDigits(text, 17, 2, &second))
    return std::nullopt;
  double fraction = 0;
  std::size_t at = 19;
  if (text.substr(at, 1) == ".") {
    std::size_t digits = 0;
    for (double scale = 0.1; at + 1 + digits < text.size() && text[at + 1 + digits] >= '0' &&
                             text[at + 1 + digits] <= '9';
         ++digits, scale /= 10)
      fraction += (text[at + 1 + digits] - '0') * scale;
    if (digits == 0) return std::nullopt;
    at += 1 + digits;
  }
  if (text.substr(at) != "Z") return std::nullopt;
  std::chrono::year_month_day date{std::chrono::year{year},
                                   std::chrono::month{static_cast<unsigned>(month)},
                                   std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  auto days = std::chrono::sys_days{date}.time_since_epoch().count();
  return static_cast<double>(days) * 86400 + hour * 3600 + minute * 60 + second + fraction;
}

ParseResult<RunRecord> ParseRunStatus(std::string_view text, const std::string& file) {
  auto parsed = ReadJson(text, MachineJsonLimits());
  if (!parsed.ok()) return ReadError<RunRecord>(file, parsed.error(), kStatusHint);
  const rapidjson::Document& doc = parsed.value();
  FieldReader r(file, kStatusHint);
  RunRecord run;
  if (!r.IsObject(doc, "")) return ParseResult<RunRecord>::Error(r.error());
  const rapidjson::Value* runs = r.Array(doc, "", "runs", Presence::kRequired);
  if (runs != nullptr && runs->Empty()) r.Fail("runs", "no run in it");
  if (!r.ok()) return ParseResult<RunRecord>::Error(r.error());
  // cutoverctl status RUN answers with that one run.
  const rapidjson::Value& first = (*runs)[0];
  const std::string path = "runs[0]";
  if (!r.IsObject(first, path)) return ParseResult<RunRecord>::Error(r.error());
  run.id = r.String(first, path, "id", Presence::kRequired);
  run.plan = r.String(first, path, "plan", Presence::kRequired);
  run.state = r.String(first, path, "state", Presence::kRequired);
  run.reason = r.String(first, path, "reason", Presence::kOptional);
  run.started_at =
      r.Number(first, path, "started_at", Presence::kRequired, "Unix seconds").value_or(0);
  run.finished_at = r.Number(first, path, "finished_at", Presence::kOptional, "Unix seconds");
  if (const rapidjson::Value* steps = r.Array(first, path, "steps", Presence::kRequired))
    for (rapidjson::SizeType i = 0; i < steps->Size(); ++i)
      run.steps.push_back(ReadStep(r, (*steps)[i], Index(Join(path, "steps"), i)));
  if (!r.ok()) return ParseResult<RunRecord>::Error(r.error());
  return run;
}

ParseResult<TrafficRecord> ParseTrafficReport(std::string_view text, const std::string& file) {
  auto parsed = ReadJson(text, MachineJsonLimits());
  if (!parsed.ok()) return ReadError<TrafficRecord>(file, parsed.error(), kTrafficHint);
  const rapidjson::Document& doc = parsed.value();
  FieldReader r(file, kTrafficHint);
  TrafficRecord traffic;
  if (!r.IsObject(doc, "")) return ParseResult<TrafficRecord>::Error(r.error());
  traffic.sessions_target = r.Count(doc, "", "sessions_target");
  traffic.sessions_open = r.Count(doc, "", "sessions_open");
  traffic.sessions_broken = r.Count(doc, "", "sessions_broken");
  traffic.sessions_stalled = r.Count(doc, "", "sessions_stalled");
  traffic.connects_ok = r.Count(doc, "", "connects_ok");
  traffic.connects_failed = r.Count(doc, "", "connects_failed");
  if (const rapidjson::Value* events = r.Array(doc, "", "events", Presence::kRequired))
    for (rapidjson::SizeType i = 0; i < events->Size() && r.ok(); ++i)
      traffic.events.push_back(ReadEvent(r, (*events)[i], Index("events", i)));
  if (!r.ok()) return ParseResult<TrafficRecord>::Error(r.error());
  return traffic;
}

ParseResult<ActionSeenTimes> ParseActionSeen(std::string_view text, const std::string& file) {
  ActionSeenTimes seen;
  std::vector<std::string_view> lines = SplitLines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = Trim(lines[i]);
    if (line.empty()) continue;
    const std::string where = file + ":" + std::to_string(i + 1) + ": ";
    std::vector<std::string_view> fields = SplitFields(line);
    std::optional<double> at = fields.size() == 2 ? ParseDouble(fields[1]) : std::nullopt;
    if (!at || !std::isfinite(*at))
      return ParseResult<ActionSeenTimes>::Error(
          where + "expected `STEP UNIXSECONDS`, got " + QuoteForMessage(line, 80) +
          " (run-upgrade.sh writes one such line per step whose action it saw)");
    if (!seen.emplace(std::string(fields[0]), *at).second)
      return ParseResult<ActionSeenTimes>::Error(where + "step " + QuoteForMessage(fields[0], 60) +
                                                 " given twice (give each step once)");
  }
  return seen;
}

ParseResult<std::vector<CounterSeries>> ParseCounterRange(std::string_view text,
                                                          const std::string& file) {
  using Result = ParseResult<std::vector<CounterSeries>>;
  auto parsed = ReadJson(text, MachineJsonLimits());
  if (!parsed.ok()) return ReadError<std::vector<CounterSeries>>(file, parsed.error(), kRangeHint);
  const rapidjson::Document& doc = parsed.value();
  FieldReader r(file, kRangeHint);
  if (!r.IsObject(doc, "")) return Result::Error(r.error());
  std::string status = r.String(doc, "", "status", Presence::kRequired);
  if (r.ok() && status != "success")
    r.Fail("status", QuoteForMessage(status, 40) + ", not \"success\": " +
                         QuoteForMessage(r.String(doc, "", "error", Presence::kOptional), 200));
  const rapidjson::Value* data = r.ok() ? r.Find(doc, "", "data", Presence::kRequired) : nullptr;
  if (data == nullptr || !r.IsObject(*data, "data")) return Result::Error(r.error());
  std::string type = r.String(*data, "data", "resultType", Presence::kRequired);
  if (r.ok() && type != "matrix")
    r.Fail("data.resultType", "expected \"matrix\", got " + QuoteForMessage(type, 40));
  const rapidjson::Value* result = r.Array(*data, "data", "result", Presence::kRequired);
  if (!r.ok()) return Result::Error(r.error());

  std::vector<CounterSeries> all;
  for (rapidjson::SizeType i = 0; i < result->Size() && r.ok(); ++i) {
    const std::string path = Index("data.result", i);
    const rapidjson::Value& series = (*result)[i];
    if (!r.IsObject(series, path)) break;
    CounterSeries out;
    if (const rapidjson::Value* metric = r.Find(series, path, "metric", Presence::kRequired);
        metric != nullptr && r.IsObject(*metric, Join(path, "metric")))
      out.member = r.String(*metric, Join(path, "metric"), "member", Presence::kOptional);
    const rapidjson::Value* values = r.Array(series, path, "values", Presence::kRequired);
    for (rapidjson::SizeType j = 0; values != nullptr && j < values->Size() && r.ok(); ++j) {
      const rapidjson::Value& pair = (*values)[j];
      const std::string at = Index(Join(path, "values"), j);
      std::optional<double> value =
          pair.IsArray() && pair.Size() == 2 && pair[0].IsNumber() && pair[1].IsString()
              ? ParseDouble(std::string_view(pair[1].GetString(), pair[1].GetStringLength()))
              : std::nullopt;
      if (!value || !std::isfinite(*value))
        r.Fail(at, "expected [UNIXSECONDS, \"VALUE\"] with a finite counter value");
      else
        out.samples.push_back({pair[0].GetDouble(), *value});
    }
    all.push_back(std::move(out));
  }
  if (!r.ok()) return Result::Error(r.error());
  return all;
}

}  // namespace cutover::lab_summary
