// cutoverctl: the operator's command line for cutover-actions.
//   status [RUN] [--json], start PLAN [--param NAME=VALUE]...,
//   dry-run PLAN [--param NAME=VALUE]..., approve RUN [STEP],
//   pause RUN, resume RUN, abort RUN, rollback RUN,
//   check PLAN... [--param NAME=VALUE]... (local validation, no daemon needed)
// Exit codes: 0 done; 1 the daemon refused (4xx) or a plan has errors; 2 wrong usage;
// 3 the daemon could not be reached or failed (5xx).
#include <rapidjson/document.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "actions/plan/plan_loader.h"
#include "common/json_reader.h"
#include "common/strings.h"
#include "plugins/builtin_drivers.h"
#include "plugins/transport/http_client.h"

namespace cutover {
namespace {

constexpr int kOk = 0, kRefused = 1, kUsage = 2, kUnreachable = 3;

struct Client {
  std::string url;
  std::string token;

  HttpClientResponse Call(const std::string& method, const std::string& path,
                          const std::string& body = {}) {
    HttpClient http;
    http.set_timeout(std::chrono::seconds(30));
    // Far above any status answer; a wrong --url must not fill the operator's memory.
    http.set_max_body_bytes(64u << 20);
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return method == "GET" ? http.Get(url + path, headers)
                           : http.Post(url + path, body, "application/json", headers);
  }
};

std::string JsonString(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// Prints the daemon's answer and maps it to an exit code.
int Report(const HttpClientResponse& response, const std::string& url) {
  if (!response.ok) {
    std::fprintf(stderr, "cannot reach cutover-actions at %s: %s\n", url.c_str(),
                 response.error.c_str());
    return kUnreachable;
  }
  auto parsed = ReadJson(response.body, MachineJsonLimits());
  std::string text = response.body;
  if (parsed.ok() && parsed.value().IsObject()) {
    const rapidjson::Document& doc = parsed.value();
    if (doc.HasMember("message") && doc["message"].IsString()) text = doc["message"].GetString();
    if (doc.HasMember("error") && doc["error"].IsString()) text = doc["error"].GetString();
  }
  text = std::string(Trim(text));
  if (response.status >= 500) {
    std::fprintf(stderr, "cutover-actions failed (HTTP %ld): %s\n", response.status, text.c_str());
    return kUnreachable;
  }
  if (response.status >= 400) {
    std::fprintf(stderr, "refused (HTTP %ld): %s\n", response.status, text.c_str());
    return kRefused;
  }
  std::printf("%s\n", text.c_str());
  return kOk;
}

std::string Str(const rapidjson::Value& v, const char* key) {
  return v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

void PrintStatusTable(const rapidjson::Document& doc) {
  const auto& runs = doc["runs"].GetArray();
  if (runs.Size() == 0) {
    std::printf("no runs\n");
    return;
  }
  for (const auto& run : runs) {
    const auto& steps = run["steps"].GetArray();
    std::size_t current = run["current_step"].GetUint64();
    std::string clusters = Str(run, "cluster");
    if (run.HasMember("clusters") && run["clusters"].IsArray() && run["clusters"].Size() > 0) {
      clusters.clear();
      for (const auto& c : run["clusters"].GetArray())
        if (c.IsString()) clusters += (clusters.empty() ? "" : ",") + std::string(c.GetString());
    }
    std::printf("run %s  plan %s  cluster %s  state %s%s\n", Str(run, "id").c_str(),
                Str(run, "plan").c_str(), clusters.c_str(), Str(run, "state").c_str(),
                run["blocked"].GetBool() ? " (blocked)" : "");
    if (run.HasMember("params") && run["params"].IsObject() && run["params"].MemberCount() > 0) {
      std::string params;
      for (const auto& p : run["params"].GetObject())
        if (p.value.IsString())
          params += (params.empty() ? "" : " ") + std::string(p.name.GetString()) + "=" +
                    p.value.GetString();
      std::printf("  params: %s\n", params.c_str());
    }
    if (!Str(run, "reason").empty()) std::printf("  why: %s\n", Str(run, "reason").c_str());
    if (!Str(run, "warning").empty() && !run.HasMember("finished_at"))
      std::printf("  warning: %s\n", Str(run, "warning").c_str());
    for (rapidjson::SizeType i = 0; i < steps.Size(); ++i) {
      const auto& step = steps[i];
      bool marker = i == current && !run.HasMember("finished_at");  // finished runs point nowhere
      std::printf("  %s %2u. %-28s %s\n", marker ? ">" : " ", i + 1, Str(step, "name").c_str(),
                  Str(step, "state").c_str());
      if (!Str(step, "waiting_for").empty())
        std::printf("        %s\n", Str(step, "waiting_for").c_str());
      if (!Str(step, "error").empty())
        std::printf("        error: %s\n", Str(step, "error").c_str());
      if (!Str(step, "note").empty()) std::printf("        note: %s\n", Str(step, "note").c_str());
    }
  }
}

std::string ReadToken(const std::string& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(Trim(text.str()));
}

// --param NAME=VALUE, repeatable; false with *error naming the bad one.
bool ParseParams(const std::vector<std::string>& given, ParamValues* out, std::string* error) {
  for (const std::string& item : given) {
    std::size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "--param " + item + ": write NAME=VALUE, e.g. --param new_version=R81.20";
      return false;
    }
    std::string name = item.substr(0, eq);
    if (out->count(name)) {
      *error = "--param " + name + " is given twice; give each parameter once";
      return false;
    }
    (*out)[name] = item.substr(eq + 1);
  }
  return true;
}

std::string ParamsJson(const ParamValues& params) {
  std::string body = "{";
  for (const auto& [name, value] : params)
    body += (body.size() > 1 ? "," : "") + JsonString(name) + ":" + JsonString(value);
  return body + "}";
}

std::string DescribeParams(const Plan& plan) {
  std::string text;
  for (const ParamSpec& p : plan.params) {
    text += "\n  --param " + p.name + "=" + std::string(ParamTypeName(p.type)) +
            (p.default_value ? " (default " + *p.default_value + ")" : " (required)");
    if (!p.help.empty()) text += ": " + p.help;
  }
  return text;
}

int Main(int argc, char** argv) {
  CLI::App app{"cutoverctl: operate cutover-actions runs"};
  app.require_subcommand(1);
  Client client{"http://127.0.0.1:10471", ""};
  std::string token_file;
  if (const char* env = std::getenv("CUTOVER_ACTIONS_URL")) client.url = env;
  if (const char* env = std::getenv("CUTOVER_TOKEN_FILE")) token_file = env;
  app.add_option("--url", client.url, "cutover-actions base URL (env CUTOVER_ACTIONS_URL)")
      ->capture_default_str();
  app.add_option("--token-file", token_file,
                 "File holding the bearer token (env CUTOVER_TOKEN_FILE)");

  std::string run, step, plan, config_file = "cutover.yml";
  std::vector<std::string> plan_files, param_items;
  bool json = false;
  auto* status = app.add_subcommand("status", "Show runs, their steps and what they wait for");
  status->add_option("run", run, "Only this run");
  status->add_flag("--json", json, "Print the daemon's JSON");
  auto* start = app.add_subcommand("start", "Start a run of a plan");
  start->add_option("plan", plan, "Plan name")->required();
  start->add_option("--param", param_items,
                    "A parameter of the plan, NAME=VALUE (members: comma-separated); repeatable");
  auto* dry_run = app.add_subcommand(
      "dry-run",
      "Rehearse a plan: what each step would run where, and what each gate reads now "
      "(nothing is performed or journaled)");
  dry_run->add_option("plan", plan, "Plan name")->required();
  dry_run->add_option("--param", param_items, "A parameter of the plan, NAME=VALUE; repeatable");
  auto* approve = app.add_subcommand("approve", "Approve a step waiting for an operator");
  approve->add_option("run", run, "Run id")->required();
  approve->add_option("step", step, "Step name (the current step if omitted)");
  std::map<std::string, CLI::App*> simple;
  for (const char* verb : {"pause", "resume", "abort", "rollback"}) {
    auto* sub = app.add_subcommand(verb, std::string(verb) + " a run");
    sub->add_option("run", run, "Run id")->required();
    simple[verb] = sub;
  }
  auto* check = app.add_subcommand(
      "check",
      "Validate plans against the configuration's clusters (offline; credential files are "
      "checked by the daemons at start)");
  check->add_option("--config.file", config_file, "Clusters and members")->capture_default_str();
  check->add_option("plans", plan_files, "Plan files")->required();
  check->add_option("--param", param_items,
                    "Check the plans with this parameter value too, NAME=VALUE; repeatable");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? kOk : kUsage;
  }
  if (!token_file.empty()) {
    client.token = ReadToken(token_file);
    if (client.token.empty()) {
      std::fprintf(stderr, "--token-file %s: cannot read a token from it\n", token_file.c_str());
      return kUsage;
    }
  }

  ParamValues params;
  if (std::string error; !ParseParams(param_items, &params, &error)) {
    std::fprintf(stderr, "%s\n", error.c_str());
    return kUsage;
  }
  if (check->parsed()) {
    DriverRegistry registry;
    RegisterBuiltinDrivers(registry);
    // The plans against the clusters; the credential files are the daemons' to read
    // (cutover-actions --check-config on their host).
    ConfigLoadResult loaded =
        LoadConfigFile(config_file, registry, {.check_credential_files = false});
    if (!loaded.ok()) {
      std::fputs(loaded.ErrorText().c_str(), stderr);
      return kRefused;
    }
    int result = kOk;
    for (const auto& file : plan_files) {
      PlanLoadResult p = LoadPlanFile(file, loaded.config, registry);
      // With --param, the plan is read again with the values, as a start would.
      if (p.ok() && !params.empty()) p = InstantiatePlan(p.plan, params, loaded.config, registry);
      if (!p.ok()) {
        std::fputs(p.ErrorText().c_str(), stderr);
        result = kRefused;
        continue;
      }
      // A target whose cluster a parameter names has no cluster until a start gives it.
      std::vector<std::string> shown;
      for (const PlanTarget& t : p.plan.targets) {
        std::string name = !t.cluster.empty() ? t.cluster
                           : t.name.empty()   ? "named by a parameter"
                                              : t.name + " (named by a parameter)";
        if (std::find(shown.begin(), shown.end(), name) == shown.end()) shown.push_back(name);
      }
      std::string clusters;
      for (const std::string& c : shown) clusters += (clusters.empty() ? "" : ", ") + c;
      std::printf("%s: OK, plan %s for cluster%s %s, %zu steps%s%s\n", file.c_str(),
                  p.plan.name.c_str(), p.plan.targets.size() > 1 ? "s" : "", clusters.c_str(),
                  p.plan.steps.size(),
                  p.plan.params.empty()
                      ? ""
                      : (p.plan.complete ? "; parameters:" : "; a start must give parameters:"),
                  DescribeParams(p.plan).c_str());
    }
    return result;
  }
  if (status->parsed()) {
    auto response = client.Call("GET", "/api/v1/runs" + (run.empty() ? "" : "?run=" + run));
    if (!response.ok || response.status != 200) return Report(response, client.url);
    if (json) {
      std::fputs(response.body.c_str(), stdout);
      return kOk;
    }
    auto parsed = ReadJson(response.body, MachineJsonLimits());
    if (!parsed.ok() || !parsed.value().IsObject() || !parsed.value().HasMember("runs")) {
      std::fprintf(stderr, "unexpected answer from %s: %s\n", client.url.c_str(),
                   response.body.substr(0, 200).c_str());
      return kUnreachable;
    }
    PrintStatusTable(parsed.value());
    return kOk;
  }
  if (start->parsed())
    return Report(
        client.Call("POST", "/api/v1/runs",
                    "{\"plan\":" + JsonString(plan) + ",\"params\":" + ParamsJson(params) + "}"),
        client.url);
  if (dry_run->parsed())
    return Report(
        client.Call("POST", "/api/v1/dry-run",
                    "{\"plan\":" + JsonString(plan) + ",\"params\":" + ParamsJson(params) + "}"),
        client.url);
  if (approve->parsed()) {
    std::string body = "{\"run\":" + JsonString(run);
    if (!step.empty()) body += ",\"step\":" + JsonString(step);
    return Report(client.Call("POST", "/api/v1/runs/approve", body + "}"), client.url);
  }
  for (const auto& [verb, sub] : simple)
    if (sub->parsed())
      return Report(
          client.Call("POST", "/api/v1/runs/" + verb, "{\"run\":" + JsonString(run) + "}"),
          client.url);
  return kUsage;
}

}  // namespace
}  // namespace cutover

int main(int argc, char** argv) { return cutover::Main(argc, argv); }
