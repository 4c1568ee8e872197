#include "plugins/patroni/patroni_api.h"

#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover {
namespace {

const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string StringMember(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = Member(object, name);
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}

std::optional<std::int64_t> IntMember(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = Member(object, name);
  if (!v || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::optional<std::uint64_t> UintMember(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = Member(object, name);
  if (!v || !v->IsUint64()) return std::nullopt;
  return v->GetUint64();
}

bool TrueMember(const rapidjson::Value& object, const char* name) {
  const rapidjson::Value* v = Member(object, name);
  return v && v->IsBool() && v->GetBool();
}

}  // namespace

ParseResult<PatroniMemberStatus> ParsePatroniStatus(std::string_view json) {
  using Result = ParseResult<PatroniMemberStatus>;
  const std::string what = "GET /patroni";
  auto parsed = ReadJsonObject(json, what);
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Document& doc = parsed.value();
  PatroniMemberStatus status;
  status.state = StringMember(doc, "state");
  if (status.state.empty())
    return Result::Error(what + " has no \"state\" (Patroni 3.x always sends it); it gave " +
                         QuoteCommandOutput(json));
  status.reported_role = StringMember(doc, "role");
  if (status.reported_role == "master" || status.reported_role == "primary") {
    status.role = "primary";
  } else if (status.reported_role == "replica" || status.reported_role == "standby_leader") {
    status.role = status.reported_role;
  } else if (!status.reported_role.empty()) {
    return Result::Error(what + " gives role '" + status.reported_role +
                         "', which is none of master, primary, replica, standby_leader");
  }
  status.server_version = IntMember(doc, "server_version").value_or(0);
  status.timeline = IntMember(doc, "timeline");
  status.system_identifier = StringMember(doc, "database_system_identifier");
  if (const rapidjson::Value* patroni = Member(doc, "patroni"); patroni && patroni->IsObject()) {
    status.patroni_version = StringMember(*patroni, "version");
    status.scope = StringMember(*patroni, "scope");
  }
  status.pending_restart = TrueMember(doc, "pending_restart");
  status.paused = TrueMember(doc, "pause");
  if (const rapidjson::Value* xlog = Member(doc, "xlog"); xlog && xlog->IsObject()) {
    status.wal_position = status.role == "primary" ? UintMember(*xlog, "location")
                                                   : UintMember(*xlog, "replayed_location");
    status.received_position = UintMember(*xlog, "received_location");
  }
  return status;
}

ParseResult<std::vector<PatroniClusterMember>> ParsePatroniCluster(std::string_view json) {
  using Result = ParseResult<std::vector<PatroniClusterMember>>;
  const std::string what = "GET /cluster";
  auto parsed = ReadJsonObject(json, what);
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Value* list = Member(parsed.value(), "members");
  if (!list || !list->IsArray())
    return Result::Error(what + " has no \"members\" list; it gave " + QuoteCommandOutput(json));
  std::vector<PatroniClusterMember> members;
  for (const auto& m : list->GetArray()) {
    if (!m.IsObject()) return Result::Error(what + ": a member is not an object");
    PatroniClusterMember member;
    member.name = StringMember(m, "name");
    member.role = StringMember(m, "role");
    member.state = StringMember(m, "state");
    if (member.name.empty() || member.role.empty())
      return Result::Error(what + ": a member without \"name\" or \"role\"");
    member.timeline = IntMember(m, "timeline");
    // "lag": bytes, or the string "unknown" when Patroni cannot tell.
    member.lag_bytes = UintMember(m, "lag");
    members.push_back(std::move(member));
  }
  return members;
}

ParseResult<PatroniDynamicConfig> ParsePatroniConfig(std::string_view json) {
  using Result = ParseResult<PatroniDynamicConfig>;
  const std::string what = "GET /config";
  auto parsed = ReadJsonObject(json, what);
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Document& doc = parsed.value();
  PatroniDynamicConfig config;
  struct Key {
    const char* name;
    std::int64_t fallback;
    PatroniSetting* out;
  };
  for (Key key : {Key{"ttl", 30, &config.ttl}, Key{"loop_wait", 10, &config.loop_wait},
                  Key{"retry_timeout", 10, &config.retry_timeout},
                  Key{"maximum_lag_on_failover", 1048576, &config.maximum_lag_on_failover}}) {
    const rapidjson::Value* v = Member(doc, key.name);
    if (!v) {
      *key.out = {key.fallback, false};
      continue;
    }
    if (!v->IsInt64())
      return Result::Error(what + ": \"" + key.name +
                           "\" is not a whole number; Patroni would not use it as written");
    *key.out = {v->GetInt64(), true};
  }
  return config;
}

std::string PatroniRevertPatch(const PatroniDynamicConfig& before) {
  std::string patch = "{";
  auto add = [&](const char* name, const PatroniSetting& setting) {
    if (patch.size() > 1) patch += ",";
    patch += "\"" + std::string(name) +
             "\":" + (setting.written ? std::to_string(setting.value) : std::string("null"));
  };
  add("ttl", before.ttl);
  add("loop_wait", before.loop_wait);
  add("retry_timeout", before.retry_timeout);
  add("maximum_lag_on_failover", before.maximum_lag_on_failover);
  return patch + "}";
}

}  // namespace cutover
