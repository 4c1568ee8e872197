#include "plugins/exec/exec_driver.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>

#include "common/json_reader.h"
#include "common/process.h"
#include "common/strings.h"
#include "plugins/transport/command_transport.h"

namespace cutover {
namespace {

constexpr int kProtocolVersion = 1;

struct SyncField {
  const char* key;
  SyncMetric metric;
};
constexpr SyncField kSyncFields[] = {
    {"lost_messages", SyncMetric::kLostMessages},
    {"malformed_messages", SyncMetric::kMalformedMessages},
    {"sent_messages", SyncMetric::kSentMessages},
    {"received_messages", SyncMetric::kReceivedMessages},
    {"retransmissions", SyncMetric::kRetransmissions},
    {"internal_cache_entries", SyncMetric::kInternalCacheEntries},
    {"external_cache_entries", SyncMetric::kExternalCacheEntries},
};

void WriteMember(rapidjson::Writer<rapidjson::StringBuffer>& w, const MemberConfig& member) {
  w.Key("cluster");
  w.String(member.cluster);
  w.Key("member");
  w.StartObject();
  w.Key("name");
  w.String(member.name);
  w.Key("address");
  w.String(member.address);
  w.EndObject();
}

// The program is the operator's code: its reply is read as strictly as an operator's
// request (bounded nesting, UTF-8, no repeated key, no NUL).
bool ParseDocument(const std::string& json, rapidjson::Document* doc, std::string* error) {
  auto parsed = ReadJson(json);
  if (!parsed.ok()) {
    *error = "program printed " + parsed.error();
    return false;
  }
  *doc = std::move(parsed.value());
  if (!doc->IsObject()) {
    *error = "program must print one JSON object";
    return false;
  }
  return true;
}

std::string DescribeRun(const ProcessResult& run, const std::string& program) {
  if (!run.started || run.timed_out) return run.error;
  std::string text = program + " exited with status " + std::to_string(run.exit_status);
  std::string_view first = Trim(run.err);
  first = first.substr(0, first.find('\n'));
  if (!first.empty()) text += ": " + std::string(first);
  return text;
}

// A reply is one small JSON object; this is far beyond any real one and bounds memory.
constexpr std::size_t kMaxOutputBytes = 4 * 1024 * 1024;

// RunProcess discards what passes its limit, so one byte more than kMaxOutputBytes is
// asked for: holding more means the program printed too much, and what was kept is not
// its whole reply. Empty when nothing was cut.
std::string OutputCut(const ProcessResult& run, const std::string& program) {
  for (auto [stream, text] : {std::pair{"stdout", &run.out}, std::pair{"stderr", &run.err}}) {
    if (text->size() > kMaxOutputBytes)
      return program + " printed more than " + std::to_string(kMaxOutputBytes) + " bytes on " +
             stream + ", more than any exec reply can be; the rest was discarded";
  }
  return "";
}

}  // namespace

ExecDriver::ExecDriver(MemberConfig member, ExecDriverSettings settings,
                       std::vector<std::string> roles)
    : member_(std::move(member)), settings_(std::move(settings)), roles_(std::move(roles)) {}

std::string ExecProbeRequest(const MemberConfig& member, Duration timeout) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("protocol");
  w.Int(kProtocolVersion);
  w.Key("operation");
  w.String("probe");
  WriteMember(w, member);
  w.Key("timeout_ms");
  w.Int64(timeout.count());
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string ExecPerformRequest(const MemberConfig& member, const ActionRequest& request) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("protocol");
  w.Int(kProtocolVersion);
  w.Key("operation");
  w.String("perform");
  WriteMember(w, member);
  w.Key("action");
  w.String(std::string(ActionName(request.action)));
  w.Key("params");
  w.StartObject();
  for (const auto& [key, value] : request.params) {
    w.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value);
  }
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

MemberStatus ParseExecProbeReply(const std::string& json, const std::vector<std::string>& roles) {
  rapidjson::Document doc;
  std::string error;
  if (!ParseDocument(json, &doc, &error)) return MemberStatus::Down(error);
  auto fail = [](const std::string& what) { return MemberStatus::Down("probe reply: " + what); };

  MemberStatus status;
  if (!doc.HasMember("up") || !doc["up"].IsBool()) return fail("\"up\" must be true or false");
  if (doc.HasMember("error")) {
    if (!doc["error"].IsString()) return fail("\"error\" must be a string");
    status.error = doc["error"].GetString();
  }
  if (!doc["up"].GetBool()) {
    MemberStatus down = MemberStatus::Down(status.error.empty() ? "program reported the member down"
                                                                : status.error);
    return down;
  }
  status.up = true;
  if (doc.HasMember("connections")) {
    const auto& v = doc["connections"];
    if (!v.IsNumber() || v.GetDouble() < 0) return fail("\"connections\" must be a number >= 0");
    status.connections = v.GetDouble();
  }
  if (doc.HasMember("version")) {
    if (!doc["version"].IsString()) return fail("\"version\" must be a string");
    status.version = doc["version"].GetString();
  }
  status.role = "unknown";
  if (doc.HasMember("role")) {
    if (!doc["role"].IsString()) return fail("\"role\" must be a string");
    std::string role = doc["role"].GetString();
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
      std::string known;
      for (const auto& r : roles) known += (known.empty() ? "" : ", ") + r;
      return fail("role \"" + role + "\" is not one of " + known);
    }
    status.role = role;
  }
  if (doc.HasMember("accepting_new_connections")) {
    if (!doc["accepting_new_connections"].IsBool())
      return fail("\"accepting_new_connections\" must be true or false");
    status.accepting_new_connections = doc["accepting_new_connections"].GetBool();
  }
  if (doc.HasMember("config_digest")) {
    if (!doc["config_digest"].IsString()) return fail("\"config_digest\" must be a string");
    status.config_digest = doc["config_digest"].GetString();
  }
  if (doc.HasMember("sync")) {
    const auto& sync = doc["sync"];
    if (!sync.IsObject()) return fail("\"sync\" must be an object");
    if (sync.HasMember("ok")) {
      if (!sync["ok"].IsBool()) return fail("\"sync.ok\" must be true or false");
      status.sync.ok = sync["ok"].GetBool();
    }
    if (sync.HasMember("state")) {
      if (!sync["state"].IsString()) return fail("\"sync.state\" must be a string");
      status.sync.state = sync["state"].GetString();
    }
    for (const SyncField& field : kSyncFields) {
      if (!sync.HasMember(field.key)) continue;
      if (!sync[field.key].IsNumber())
        return fail(std::string("\"sync.") + field.key + "\" must be a number");
      status.sync.values[field.metric] = sync[field.key].GetDouble();
    }
  }
  return status;
}

ActionResult ParseExecPerformReply(const std::string& json) {
  rapidjson::Document doc;
  std::string error;
  if (!ParseDocument(json, &doc, &error)) return ActionResult::Failure(error);
  if (!doc.HasMember("ok") || !doc["ok"].IsBool())
    return ActionResult::Failure("perform reply: \"ok\" must be true or false");
  std::string output, message;
  if (doc.HasMember("output") && doc["output"].IsString()) output = doc["output"].GetString();
  if (doc.HasMember("error") && doc["error"].IsString()) message = doc["error"].GetString();
  if (doc["ok"].GetBool()) return ActionResult::Success(output);
  return ActionResult::Failure(message.empty() ? "program reported failure" : message, output);
}

MemberStatus ExecDriver::Probe(const ProbeContext& context) {
  Duration timeout = settings_.timeout;
  auto left =
      std::chrono::duration_cast<Duration>(context.deadline - std::chrono::steady_clock::now());
  if (left < timeout) timeout = left;
  if (timeout.count() <= 0) return MemberStatus::Down("no time left for the probe");
  ProcessOptions options;
  options.timeout = timeout;
  options.stdin_data = ExecProbeRequest(member_, timeout);
  options.max_output_bytes = kMaxOutputBytes + 1;
  ProcessResult run = RunProcess(ProgramArgv(), options);
  if (std::string cut = OutputCut(run, settings_.program); !cut.empty())
    return MemberStatus::Down(cut);
  if (!run.started || run.timed_out || run.exit_status != 0)
    return MemberStatus::Down(DescribeRun(run, settings_.program));
  return ParseExecProbeReply(run.out, roles_);
}

std::vector<std::string> ExecDriver::ProgramArgv() const {
  std::vector<std::string> argv{settings_.program};
  argv.insert(argv.end(), settings_.args.begin(), settings_.args.end());
  return argv;
}

ExecDriver::ProgramCall ExecDriver::PerformCall(const ActionRequest& request) const {
  return {ProgramArgv(), ExecPerformRequest(member_, request)};
}

ActionResult ExecDriver::Perform(const ActionRequest& request) {
  ProgramCall call = PerformCall(request);
  ProcessOptions options;
  options.timeout = settings_.timeout;
  options.stdin_data = std::move(call.stdin_data);
  options.max_output_bytes = kMaxOutputBytes + 1;
  ProcessResult run = RunProcess(call.argv, options);
  if (std::string cut = OutputCut(run, settings_.program); !cut.empty())
    return ActionResult::Failure(cut);
  if (!run.started || run.timed_out || run.exit_status != 0)
    return ActionResult::Failure(DescribeRun(run, settings_.program), run.out + run.err);
  return ParseExecPerformReply(run.out);
}

// Every action is the program's to accept or refuse, so there is always one call to show.
std::vector<std::string> ExecDriver::Describe(const ActionRequest& request) const {
  ProgramCall call = PerformCall(request);
  std::string_view request_json = Trim(call.stdin_data);
  return {"local: " + ShellLine(call.argv) + ", stdin " + std::string(request_json)};
}

}  // namespace cutover
