#include "actions/api/api_server.h"

#include <prometheus/text_serializer.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <charconv>
#include <chrono>

#include "common/build_info.h"
#include "common/json_reader.h"
#include "common/log.h"
#include "common/strings.h"

namespace cutover {
namespace {

std::string JsonMessage(const std::string& key, const std::string& value,
                        const std::string& run = {}) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  // Messages quote members' and Prometheus' words: the answer must stay UTF-8 whatever
  // they sent.
  const std::string text = ReplaceInvalidUtf8(value), id = ReplaceInvalidUtf8(run);
  w.Key(key.c_str());
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  if (!id.empty()) {
    w.Key("run");
    w.String(id.c_str(), static_cast<rapidjson::SizeType>(id.size()));
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

HttpResponse Error(int status, const std::string& message) {
  return HttpResponse::Json(status, JsonMessage("error", message));
}

HttpResponse Reply(const EngineReply& reply) {
  return HttpResponse::Json(reply.status, JsonMessage(reply.status < 300 ? "message" : "error",
                                                      reply.message, reply.run));
}

// A plan parameter's value in a start body: a string, a number, or a list of strings (a
// members parameter), as text the plan loader checks by the parameter's type.
bool ReadParamValue(const rapidjson::Value& value, std::string* out) {
  if (value.IsString()) {
    out->assign(value.GetString(), value.GetStringLength());
    return true;
  }
  if (value.IsInt64()) {
    *out = std::to_string(value.GetInt64());
    return true;
  }
  if (value.IsDouble()) {
    char buffer[64];
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value.GetDouble());
    if (ec != std::errc()) return false;
    out->assign(buffer, end);
    return true;
  }
  if (value.IsArray()) {
    out->clear();
    for (const auto& item : value.GetArray()) {
      if (!item.IsString()) return false;
      *out += (out->empty() ? "" : ",") + std::string(item.GetString(), item.GetStringLength());
    }
    return true;
  }
  return false;
}

// Reads {"key": "string", ...} (with `params`, also its "params" object); false with
// *error naming the field when it is not so. Operator input: nesting is bounded, and
// invalid UTF-8, NUL and repeated keys are refused before anything reaches the engine or
// the journal.
bool ReadFields(const std::string& body, const std::vector<std::string>& required,
                const std::vector<std::string>& optional, std::map<std::string, std::string>* out,
                std::string* error, std::map<std::string, std::string>* params = nullptr) {
  std::string example = "{";
  for (const auto& r : required)
    example += (example.size() > 1 ? ", " : "") + ("\"" + r + "\": \"...\"");
  example += "}";
  auto parsed = ReadJson(body);
  if (!parsed.ok()) {
    *error = "request body: " + parsed.error() + "; send a JSON object like " + example;
    return false;
  }
  const rapidjson::Document& doc = parsed.value();
  if (!doc.IsObject()) {
    *error = "request body must be a JSON object like " + example;
    return false;
  }
  for (const auto& member : doc.GetObject()) {
    std::string name(member.name.GetString(), member.name.GetStringLength());
    if (params != nullptr && name == "params") {
      if (!member.value.IsObject()) {
        *error =
            "field \"params\" must be an object of parameter names to values, e.g. "
            "{\"new_version\": \"R81.20\", \"old\": \"fw1\"}";
        return false;
      }
      for (const auto& p : member.value.GetObject()) {
        std::string param(p.name.GetString(), p.name.GetStringLength());
        if (!ReadParamValue(p.value, &(*params)[param])) {
          *error = "parameter \"" + param +
                   "\" must be a string, a number or a list of strings (members)";
          return false;
        }
      }
      continue;
    }
    bool known = std::count(required.begin(), required.end(), name) ||
                 std::count(optional.begin(), optional.end(), name);
    if (!known) {
      *error = "unknown field \"" + name + "\" (expected " + example + ")";
      return false;
    }
    if (!member.value.IsString()) {
      *error = "field \"" + name + "\" must be a string";
      return false;
    }
    (*out)[name] = std::string(member.value.GetString(), member.value.GetStringLength());
  }
  for (const auto& r : required) {
    if (out->count(r) == 0 || (*out)[r].empty()) {
      *error = "missing field \"" + r + "\" (expected " + example + ")";
      return false;
    }
  }
  return true;
}

}  // namespace

bool ConstantTimeEquals(const std::string& a, const std::string& b) {
  std::size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

ApiServer::ApiServer(Engine& engine, ApiOptions options)
    : engine_(engine),
      options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      webhook_requests_(prometheus::BuildCounter()
                            .Name("cutover_webhook_requests_total")
                            .Help("Alertmanager webhook requests by outcome.")
                            .Register(*registry_)),
      api_requests_(prometheus::BuildCounter()
                        .Name("cutover_api_requests_total")
                        .Help("Operator API requests by command and HTTP status.")
                        .Register(*registry_)),
      webhook_seconds_(
          prometheus::BuildHistogram()
              .Name("cutover_webhook_intake_duration_seconds")
              .Help("From webhook request to durable decision and answer.")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                               0.025, 0.05, 0.1, 0.25, 1})),
      server_(WebServerOptions{options_.listen_addresses, options_.threads, options_.max_body_bytes,
                               30000}) {
  // The token is checked on the headers alone: a request without it never has its body
  // read, so a stranger cannot hold a worker by sending one slowly.
  auto guarded = [this](HttpHandler handler) {
    return HttpRoute{
        std::move(handler), [this](const HttpRequest& head) -> std::optional<HttpResponse> {
          if (Authorized(head)) return std::nullopt;
          HttpResponse r = Error(401, "missing or wrong bearer token (Authorization: Bearer ...)");
          r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"cutover-actions\"");
          if (head.path == "/api/v1/alertmanager")
            webhook_requests_.Add({{"outcome", "unauthorized"}}).Increment();
          return r;
        }};
  };
  server_.Handle("POST", "/api/v1/alertmanager",
                 guarded([this](const HttpRequest& r) { return Webhook(r); }));
  server_.Handle("GET", "/api/v1/runs", guarded([this](const HttpRequest& r) {
                   std::vector<RunStatus> runs = engine_.Runs();
                   std::string cluster = r.QueryParam("cluster"), id = r.QueryParam("run");
                   std::erase_if(runs, [&](const RunStatus& s) {
                     return (!cluster.empty() && s.cluster != cluster) ||
                            (!id.empty() && s.id != id);
                   });
                   if (!id.empty() && runs.empty()) return Error(404, "no run " + id);
                   return HttpResponse::Json(200, RunStatusJson(runs));
                 }));
  server_.Handle("GET", "/api/v1/plans", guarded([this](const HttpRequest&) {
                   std::string body = "{\"plans\":[";
                   bool first = true;
                   for (const auto& name : engine_.PlanNames()) {
                     body += (first ? "\"" : ",\"") + name + "\"";
                     first = false;
                   }
                   return HttpResponse::Json(200, body + "]}\n");
                 }));
  server_.Handle("POST", "/api/v1/runs",
                 guarded([this](const HttpRequest& r) { return StartRun(r); }));
  server_.Handle("POST", "/api/v1/dry-run",
                 guarded([this](const HttpRequest& r) { return DryRun(r); }));
  for (const char* verb : {"approve", "pause", "resume", "abort", "rollback"}) {
    std::string v = verb;
    server_.Handle("POST", "/api/v1/runs/" + v,
                   guarded([this, v](const HttpRequest& r) { return Command(r, v); }));
  }
  server_.Handle("GET", "/metrics", [this](const HttpRequest&) { return Metrics(); });
  // The journal is replayed before the server starts: serving means ready, until the
  // journal fails and every decision gets 503. Then only a restart helps: say so here.
  auto health = [this](std::string ok) {
    return [this, ok](const HttpRequest&) {
      std::string failure = engine_.JournalFailure();
      if (!failure.empty()) return HttpResponse::Text(503, failure + "\n");
      return HttpResponse::Text(200, ok);
    };
  };
  server_.Handle("GET", "/-/healthy", health("Healthy"));
  server_.Handle("GET", "/-/ready", health("Ready"));
  server_.Handle("GET", "/", [this](const HttpRequest&) { return LandingPage(); });
}

bool ApiServer::Start(std::string* error) {
  if (options_.token.empty()) {
    for (const auto& address : options_.listen_addresses) {
      std::string host;
      int port = 0;
      if (!SplitHostPort(address, &host, &port) || !IsLoopbackHost(host)) {
        *error = "refusing to listen on " + address +
                 " without a bearer token: set --web.auth-token-file, or listen on "
                 "127.0.0.1 only";
        return false;
      }
    }
  }
  return server_.Start(error);
}

void ApiServer::Stop() { server_.Stop(); }

bool ApiServer::Authorized(const HttpRequest& request) const {
  if (options_.token.empty()) return true;
  const std::string header = request.Header("Authorization");
  const std::string prefix = "Bearer ";
  std::string presented = header.rfind(prefix, 0) == 0 ? header.substr(prefix.size()) : "";
  return ConstantTimeEquals(presented, options_.token);
}

HttpResponse ApiServer::Webhook(const HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  auto parsed = ParseAlertmanagerWebhook(request.body);
  if (!parsed.ok()) {
    webhook_requests_.Add({{"outcome", "bad_request"}}).Increment();
    log::Warn("webhook refused", {{"err", parsed.error()}, {"remote", request.remote_address}});
    return Error(400, "not an Alertmanager webhook payload: " + parsed.error());
  }
  AlertIntake intake = engine_.OnAlerts(parsed.value());
  webhook_requests_
      .Add({{"outcome", intake.status != 200  ? "unavailable"
                        : intake.accepted > 0 ? "accepted"
                                              : "duplicate"}})
      .Increment();
  webhook_seconds_.Observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (intake.status != 200) return Error(intake.status, intake.message);
  return HttpResponse::Json(200, "{\"accepted\":" + std::to_string(intake.accepted) +
                                     ",\"duplicates\":" + std::to_string(intake.duplicates) +
                                     "}\n");
}

HttpResponse ApiServer::StartRun(const HttpRequest& request) {
  std::map<std::string, std::string> fields;
  std::string error;
  std::map<std::string, std::string> params;
  if (!ReadFields(request.body, {"plan"}, {"by"}, &fields, &error, &params))
    return Error(400, error);
  std::string by = fields.count("by") ? fields["by"] : "operator at " + request.remote_address;
  EngineReply reply = engine_.StartRun(fields["plan"], params, by);
  api_requests_.Add({{"command", "start"}, {"status", std::to_string(reply.status)}}).Increment();
  return Reply(reply);
}

HttpResponse ApiServer::DryRun(const HttpRequest& request) {
  std::map<std::string, std::string> fields;
  std::string error;
  std::map<std::string, std::string> params;
  if (!ReadFields(request.body, {"plan"}, {}, &fields, &error, &params)) return Error(400, error);
  EngineReply reply = engine_.DryRun(fields["plan"], params);
  api_requests_.Add({{"command", "dry-run"}, {"status", std::to_string(reply.status)}}).Increment();
  return Reply(reply);
}

HttpResponse ApiServer::Command(const HttpRequest& request, const std::string& verb) {
  std::map<std::string, std::string> fields;
  std::string error;
  std::vector<std::string> optional = {"by"};
  if (verb == "approve") optional.push_back("step");
  if (!ReadFields(request.body, {"run"}, optional, &fields, &error)) return Error(400, error);
  std::string by = fields.count("by") ? fields["by"] : "operator at " + request.remote_address;
  const std::string& run = fields["run"];
  EngineReply reply;
  if (verb == "approve") reply = engine_.Approve(run, fields["step"], by);
  if (verb == "pause") reply = engine_.Pause(run, by);
  if (verb == "resume") reply = engine_.Resume(run, by);
  if (verb == "abort") reply = engine_.Abort(run, by);
  if (verb == "rollback") reply = engine_.Rollback(run, by);
  api_requests_.Add({{"command", verb}, {"status", std::to_string(reply.status)}}).Increment();
  return Reply(reply);
}

HttpResponse ApiServer::Metrics() const {
  ExpositionWriter out;
  engine_.WriteMetrics(out);
  WriteBuildInfo(out);
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = prometheus::TextSerializer().Serialize(registry_->Collect()) + out.text();
  return response;
}

HttpResponse ApiServer::LandingPage() const {
  std::string html =
      "<!DOCTYPE html>\n<html><head><title>cutover actions</title></head><body>\n"
      "<h1>cutover actions</h1>\n<p>Version " +
      std::string(build_info::kVersion) + " (" + build_info::kRevision +
      ")</p>\n<p><a href=\"/metrics\">Metrics</a> &middot; <a href=\"/-/healthy\">Health</a> "
      "&middot; <a href=\"/-/ready\">Ready</a></p>\n<p>Plans: ";
  bool first = true;
  for (const auto& name : engine_.PlanNames()) {
    html += (first ? "" : ", ") + name;
    first = false;
  }
  html +=
      "</p>\n<p>API: POST /api/v1/alertmanager (Alertmanager webhook), GET /api/v1/runs, "
      "POST /api/v1/runs, POST /api/v1/runs/{approve,pause,resume,abort,rollback}, POST "
      "/api/v1/dry-run</p>\n"
      "</body></html>\n";
  return HttpResponse::Html(html);
}

}  // namespace cutover
