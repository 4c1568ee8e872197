// cutover-actions: performs the steps of upgrade plans through the drivers when
// Alertmanager or an operator says so, and only while each step's PromQL gates pass.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "actions/api/api_server.h"
#include "actions/plan/plan_loader.h"
#include "common/build_info.h"
#include "common/daemon.h"
#include "common/log.h"
#include "common/secret_file.h"
#include "common/strings.h"
#include "plugins/builtin_drivers.h"

namespace cutover {
namespace {

// Plan files given directly, or every *.yml / *.yaml in a directory given.
std::vector<std::string> PlanFiles(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& path : paths) {
    if (std::filesystem::is_directory(path)) {
      std::vector<std::string> found;
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        auto ext = entry.path().extension();
        if (ext == ".yml" || ext == ".yaml") found.push_back(entry.path().string());
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(path);
    }
  }
  return files;
}

int Main(int argc, char** argv) {
  CLI::App app{"cutover-actions: metric-gated upgrade steps, driven by Alertmanager and operators"};
  std::string config_file = "cutover.yml", journal_file = "cutover-actions.journal";
  std::vector<std::string> plan_paths;
  std::string prometheus_url = "http://127.0.0.1:9090";
  std::string prometheus_timeout = "5s";
  std::size_t prometheus_max_answer = kDefaultMaxAnswerBytes;
  std::vector<std::string> listen{"127.0.0.1:10471"};
  std::string token_file, log_level = "info";
  std::size_t max_body = 1 << 20;
  bool check = false, show_version = false;
  app.add_option("--config.file", config_file, "Clusters and members (the exporter's format)")
      ->capture_default_str();
  app.add_option("--plan.file", plan_paths, "Plan file, or a directory of *.yml plans; repeatable");
  app.add_option("--journal.file", journal_file, "Append-only journal of every decision")
      ->capture_default_str();
  app.add_option("--prometheus.url", prometheus_url, "Prometheus that gates are measured on")
      ->capture_default_str();
  app.add_option("--prometheus.timeout", prometheus_timeout, "Timeout of one gate query")
      ->capture_default_str();
  app.add_option("--prometheus.max-answer-bytes", prometheus_max_answer,
                 "Largest answer to one gate query read; beyond it the measurement is an error")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.add_option("--web.listen-address", listen, "Address to listen on; repeatable")
      ->capture_default_str();
  app.add_option("--web.auth-token-file", token_file,
                 "File holding the bearer token every /api/ request must present; without it "
                 "only loopback addresses are allowed");
  app.add_option("--web.max-body-bytes", max_body, "Largest request body accepted")
      ->capture_default_str();
  app.add_option("--log.level", log_level, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("--check-config", check, "Validate configuration and plans, then exit");
  app.add_flag("--version", show_version, "Print version and exit");
  CLI11_PARSE(app, argc, argv);
  if (show_version) {
    PrintVersion("cutover-actions");
    return 0;
  }
  log::SetLevel(*log::ParseLevel(log_level));
  auto timeout = ParseDuration(prometheus_timeout);
  if (!timeout || timeout->count() <= 0) {
    std::fprintf(stderr, "--prometheus.timeout '%s' is not a duration (e.g. 5s)\n",
                 prometheus_timeout.c_str());
    return 2;
  }

  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  ConfigLoadResult loaded = LoadConfigFile(config_file, registry);
  if (!loaded.ok()) {
    std::fputs(loaded.ErrorText().c_str(), stderr);
    return 1;
  }
  std::vector<Plan> plans;
  bool plan_errors = false;
  for (const auto& file : PlanFiles(plan_paths)) {
    PlanLoadResult plan = LoadPlanFile(file, loaded.config, registry);
    if (!plan.ok()) {
      std::fputs(plan.ErrorText().c_str(), stderr);
      plan_errors = true;
      continue;
    }
    for (const Plan& other : plans) {
      if (other.name == plan.plan.name) {
        std::fprintf(stderr, "%s: plan name '%s' is also used by %s; plan names must be unique\n",
                     file.c_str(), other.name.c_str(), other.file.c_str());
        plan_errors = true;
      }
    }
    plans.push_back(std::move(plan.plan));
  }
  if (plan_errors) return 1;
  std::string token;
  if (!token_file.empty()) {
    SecretFileResult read = ReadSecretFile(token_file, "--web.auth-token-file");
    if (!read.ok()) {
      std::fprintf(stderr, "%s\n", read.error.c_str());
      return 1;
    }
    token = std::move(read.secret);
  }
  std::vector<ConfigError> errors;
  MemberSet members(loaded.config, registry, &errors);
  if (!errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    return 1;
  }
  if (check) {
    std::printf("%s: OK, %zu cluster(s); %zu plan(s) OK\n", config_file.c_str(),
                loaded.config.clusters.size(), plans.size());
    return 0;
  }

  JournalOpenResult opened = Journal::Open(journal_file);
  if (!opened.journal) {
    std::fprintf(stderr, "%s\n", opened.error.c_str());
    return 1;
  }
  // A torn tail was cut off (and kept beside the journal): an operator should look.
  if (!opened.warning.empty())
    log::Error("journal repaired", {{"file", journal_file}, {"what", opened.warning}});

  PrepareDaemonSignals();

  Duration query_timeout = *timeout;
  EngineOptions options;
  // A run's plan is the loaded file read again with the run's parameters.
  options.instantiate = [&loaded, &registry](const Plan& plan, const ParamValues& params) {
    return InstantiatePlan(plan, params, loaded.config, registry);
  };
  Engine engine(
      std::move(plans), members, *opened.journal,
      [prometheus_url, query_timeout, prometheus_max_answer] {
        auto client = std::make_shared<PrometheusClient>(prometheus_url, query_timeout,
                                                         prometheus_max_answer);
        return [client](const std::string& promql) { return client->Query(promql); };
      },
      options);
  if (std::string error = engine.Replay(opened.records); !error.empty()) {
    std::fprintf(stderr, "%s: %s\n", journal_file.c_str(), error.c_str());
    return 1;
  }
  ApiServer api(engine, {listen, token, max_body});
  std::string error;
  if (!api.Start(&error)) {
    log::Error("cannot start", {{"err", error}});
    return 1;
  }
  engine.Start();
  std::string ports;
  for (int port : api.Ports()) ports += (ports.empty() ? "" : ",") + std::to_string(port);
  log::Info("cutover-actions listening", {{"version", build_info::kVersion},
                                          {"ports", ports},
                                          {"journal", journal_file},
                                          {"records", std::to_string(opened.records.size())},
                                          {"prometheus", prometheus_url}});
  std::string signal_name = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", signal_name}});
  api.Stop();
  engine.Stop();
  return 0;
}

}  // namespace
}  // namespace cutover

int main(int argc, char** argv) { return cutover::Main(argc, argv); }
