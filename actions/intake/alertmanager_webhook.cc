#include "actions/intake/alertmanager_webhook.h"

#include <cstdio>
#include <utility>

#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover {
namespace {

using Json = rapidjson::Value;

constexpr char kVersionHelp[] = "cutover speaks webhook version 4 (Alertmanager 0.25+)";

std::string_view View(const Json& value) {
  return std::string_view(value.GetString(), value.GetStringLength());
}

const char* TypeName(const Json& value) {
  switch (value.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "a boolean";
    case rapidjson::kObjectType:
      return "an object";
    case rapidjson::kArrayType:
      return "an array";
    case rapidjson::kStringType:
      return "a string";
    case rapidjson::kNumberType:
      return "a number";
  }
  return "an unknown JSON type";
}

// Quotes a value from the payload for an error message: control bytes escaped, long
// values shortened, so a hostile payload cannot flood or garble the log.
std::string Quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 64;
  std::string quoted = QuoteForMessage(text, kMaxShown);
  if (text.size() > kMaxShown) quoted += " (" + std::to_string(text.size()) + " bytes)";
  return quoted;
}

std::string Describe(const Json& value) {
  if (value.IsString()) return "the string " + Quoted(View(value));
  return TypeName(value);
}

bool IsPlainName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Member(const std::string& path, std::string_view name) {
  std::string key = IsPlainName(name) ? std::string(name) : "[" + Quoted(name) + "]";
  if (path.empty()) return key;
  return key.front() == '[' ? path + key : path + "." + key;
}

// Reads one object, reporting the first problem as "<path>: <what was expected>".
class Fields {
 public:
  Fields(const Json& object, std::string path, std::string* error)
      : object_(object), path_(std::move(path)), error_(error) {}

  // Null when absent. Go's encoder never repeats a key; a repeated one could smuggle a
  // second value past a reader that takes the other, so it is an error.
  const Json* Find(std::string_view name) {
    const Json* found = nullptr;
    for (auto it = object_.MemberBegin(); it != object_.MemberEnd(); ++it) {
      if (View(it->name) != name) continue;
      if (found != nullptr) return Fail(name, "appears more than once");
      found = &it->value;
    }
    return found;
  }

  bool RequiredString(std::string_view name, std::string* out) {
    const Json* value = Find(name);
    if (!ok()) return false;
    if (value == nullptr) {
      Fail(name, "missing (expected a non-empty string)");
      return false;
    }
    return String(name, *value, out);
  }

  // Absent and null both leave *out empty.
  bool OptionalString(std::string_view name, std::string* out) {
    const Json* value = Find(name);
    if (!ok()) return false;
    if (value == nullptr || value->IsNull()) return true;
    if (!value->IsString()) return Expected(name, "a string", *value);
    *out = std::string(View(*value));
    return true;
  }

  bool OptionalStringMap(std::string_view name, std::map<std::string, std::string>* out) {
    const Json* value = Find(name);
    if (!ok()) return false;
    if (value == nullptr || value->IsNull()) return true;
    return StringMap(name, *value, out);
  }

  bool StringMap(std::string_view name, const Json& value,
                 std::map<std::string, std::string>* out) {
    if (!value.IsObject()) return Expected(name, "an object of string values", value);
    std::string path = Member(path_, name);
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      std::string key(View(it->name));
      if (!it->value.IsString()) {
        *error_ = Member(path, key) + ": expected a string, got " + Describe(it->value);
        return false;
      }
      if (!out->emplace(key, std::string(View(it->value))).second) {
        *error_ = Member(path, key) + ": appears more than once";
        return false;
      }
    }
    return true;
  }

  bool String(std::string_view name, const Json& value, std::string* out) {
    if (!value.IsString() || value.GetStringLength() == 0) {
      return Expected(name, "a non-empty string", value);
    }
    *out = std::string(View(value));
    return true;
  }

  bool Expected(std::string_view name, const std::string& what, const Json& got) {
    Fail(name, "expected " + what + ", got " + Describe(got));
    return false;
  }

  const Json* Fail(std::string_view name, const std::string& why) {
    *error_ = Member(path_, name) + ": " + why;
    return nullptr;
  }

  bool ok() const { return error_->empty(); }
  const std::string& path() const { return path_; }

 private:
  const Json& object_;
  std::string path_;
  std::string* error_;
};

bool ParseStatus(Fields& fields, std::string* status) {
  const Json* value = fields.Find("status");
  if (!fields.ok()) return false;
  if (value == nullptr) {
    fields.Fail("status", "missing (expected \"firing\" or \"resolved\")");
    return false;
  }
  if (!value->IsString() || (View(*value) != "firing" && View(*value) != "resolved")) {
    fields.Fail("status", "expected \"firing\" or \"resolved\", got " +
                              (value->IsString() ? Quoted(View(*value)) : TypeName(*value)));
    return false;
  }
  *status = std::string(View(*value));
  return true;
}

bool ParseAlert(const Json& value, const std::string& path, AlertmanagerAlert* alert,
                std::string* error) {
  if (!value.IsObject()) {
    *error = path + ": expected an alert object, got " + Describe(value);
    return false;
  }
  Fields fields(value, path, error);
  if (!ParseStatus(fields, &alert->status)) return false;
  const Json* labels = fields.Find("labels");
  if (!fields.ok()) return false;
  if (labels == nullptr) {
    fields.Fail("labels", "missing (expected an object of string values with alertname)");
    return false;
  }
  if (!fields.StringMap("labels", *labels, &alert->labels)) return false;
  if (alert->Label("alertname").empty()) {
    *error = path + ".labels.alertname: missing (every Prometheus alert has a non-empty one)";
    return false;
  }
  return fields.OptionalStringMap("annotations", &alert->annotations) &&
         fields.RequiredString("startsAt", &alert->starts_at) &&
         fields.OptionalString("endsAt", &alert->ends_at) &&
         fields.OptionalString("generatorURL", &alert->generator_url) &&
         fields.RequiredString("fingerprint", &alert->fingerprint);
}

bool ParseTruncatedAlerts(Fields& fields, int* truncated) {
  const Json* value = fields.Find("truncatedAlerts");
  if (!fields.ok()) return false;
  if (value == nullptr || value->IsNull()) return true;
  if (!value->IsInt() || value->GetInt() < 0) {
    return fields.Expected("truncatedAlerts", "a non-negative integer", *value);
  }
  *truncated = value->GetInt();
  return true;
}

}  // namespace

std::string AlertmanagerAlert::Label(const std::string& name) const {
  auto it = labels.find(name);
  return it == labels.end() ? std::string() : it->second;
}

ParseResult<AlertmanagerNotification> ParseAlertmanagerWebhook(std::string_view body) {
  using Result = ParseResult<AlertmanagerNotification>;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return Result::Error("empty body: expected an Alertmanager webhook JSON object (" +
                         std::string(kVersionHelp) + ")");
  }
  // Go's encoder never repeats a key, but Fields names a repeated one by its path, so
  // the reader leaves that to it; labels may hold any UTF-8 text, NUL included.
  JsonLimits limits;
  limits.refuse_duplicate_keys = false;
  limits.refuse_nul = false;
  auto parsed = ReadJson(body, limits);
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Document& doc = parsed.value();
  if (!doc.IsObject()) {
    return Result::Error("top level: expected a JSON object, got " + Describe(doc));
  }

  std::string error;
  Fields fields(doc, "", &error);
  AlertmanagerNotification notification;
  const Json* version = fields.Find("version");
  if (!fields.ok()) return Result::Error(error);
  if (version == nullptr) return Result::Error("version: missing; " + std::string(kVersionHelp));
  if (!version->IsString() || View(*version) != "4") {
    return Result::Error("version: got " +
                         (version->IsString() ? Quoted(View(*version)) : Describe(*version)) +
                         ", but " + kVersionHelp);
  }
  notification.version = "4";

  bool ok = ParseStatus(fields, &notification.status) &&
            fields.OptionalString("receiver", &notification.receiver) &&
            fields.OptionalString("groupKey", &notification.group_key) &&
            fields.OptionalString("externalURL", &notification.external_url) &&
            fields.OptionalStringMap("groupLabels", &notification.group_labels) &&
            fields.OptionalStringMap("commonLabels", &notification.common_labels) &&
            ParseTruncatedAlerts(fields, &notification.truncated_alerts);
  if (!ok) return Result::Error(error);

  const Json* alerts = fields.Find("alerts");
  if (!fields.ok()) return Result::Error(error);
  if (alerts == nullptr) return Result::Error("alerts: missing (expected an array of alerts)");
  if (!alerts->IsArray()) {
    return Result::Error("alerts: expected an array of alerts, got " + Describe(*alerts));
  }
  notification.alerts.reserve(alerts->Size());
  for (rapidjson::SizeType i = 0; i < alerts->Size(); ++i) {
    AlertmanagerAlert alert;
    if (!ParseAlert((*alerts)[i], "alerts[" + std::to_string(i) + "]", &alert, &error)) {
      return Result::Error(error);
    }
    notification.alerts.push_back(std::move(alert));
  }
  return notification;
}

std::string DeliveryKey(const AlertmanagerAlert& alert) {
  return alert.fingerprint + "|" + alert.starts_at + "|" + alert.status;
}

}  // namespace cutover
