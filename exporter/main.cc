// cutover-exporter: publishes every configured member's connections, version, role,
// sync health and configuration digest, probed through its driver on each scrape.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "common/build_info.h"
#include "common/daemon.h"
#include "common/log.h"
#include "exporter/exporter.h"
#include "plugins/builtin_drivers.h"
#include "plugins/core/driver_docs.h"
#include "plugins/transport/ssh_member.h"

namespace cutover {
namespace {

constexpr const char* kDefaultListen = "127.0.0.1:10470";

int EnrollHostKeys(const CutoverConfig& config, const std::vector<std::string>& targets) {
  int failures = 0;
  for (const std::string& target : targets) {
    std::string cluster, member = target;
    if (auto slash = target.find('/'); slash != std::string::npos) {
      cluster = target.substr(0, slash);
      member = target.substr(slash + 1);
    }
    const MemberConfig* found = nullptr;
    for (const auto& c : config.clusters)
      if (cluster.empty() || c.name == cluster)
        if (const MemberConfig* m = c.FindMember(member)) found = m;
    if (found == nullptr) {
      std::fprintf(stderr,
                   "enroll: no member \"%s\" in %s (write it as member or cluster/member)\n",
                   target.c_str(), config.file.c_str());
      ++failures;
      continue;
    }
    SshOptions options;
    try {
      options = SshOptionsForMember(*found, std::chrono::seconds(5));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "enroll: member \"%s\": %s\n", target.c_str(), e.what());
      ++failures;
      continue;
    }
    HostKeyEnrollment result = EnrollHostKey(options);
    if (!result.ok) {
      std::fprintf(stderr, "enroll: member \"%s\": %s\n", target.c_str(), result.error.c_str());
      ++failures;
      continue;
    }
    std::printf("%s: %s %s %s\n", target.c_str(), result.key_type.c_str(),
                result.fingerprint.c_str(),
                result.already_known ? "already enrolled"
                                     : ("enrolled in " + options.known_hosts_file).c_str());
  }
  return failures == 0 ? 0 : 1;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "cutover-exporter: per-member connections, versions, roles and sync health of "
      "HA clusters, for Prometheus"};
  std::string config_file = "cutover.yml";
  std::vector<std::string> listen{kDefaultListen};
  std::string telemetry_path = "/metrics";
  std::string log_level = "info";
  bool check_config = false, show_version = false, show_drivers = false;
  std::vector<std::string> enroll;
  app.add_option("--config.file", config_file, "Cluster and member configuration (YAML)")
      ->capture_default_str();
  app.add_option("--web.listen-address", listen,
                 "Address to listen on; repeat for several. Plain HTTP: keep it on loopback or "
                 "put a TLS proxy in front")
      ->capture_default_str();
  app.add_option("--web.telemetry-path", telemetry_path, "Path under which to expose metrics")
      ->capture_default_str();
  app.add_option("--log.level", log_level, "Only log messages at or above this level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_flag("--check-config", check_config, "Validate the configuration and exit");
  app.add_flag("--drivers", show_drivers, "Print the reference of every driver and exit");
  app.add_option("--ssh.enroll-host-key", enroll,
                 "Trust the SSH host key a member presents now (member or cluster/member), "
                 "adding it to its known_hosts_file, then exit");
  app.add_flag("--version", show_version, "Print version and exit");
  CLI11_PARSE(app, argc, argv);

  if (show_version) {
    PrintVersion("cutover-exporter");
    return 0;
  }
  log::SetLevel(*log::ParseLevel(log_level));
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  if (show_drivers) {
    std::fputs(DriverReferenceMarkdown(registry).c_str(), stdout);
    return 0;
  }
  if (!telemetry_path.starts_with("/") || telemetry_path == "/" ||
      telemetry_path.starts_with("/-/")) {
    std::fprintf(stderr, "--web.telemetry-path '%s' must start with / and not be / or /-/...\n",
                 telemetry_path.c_str());
    return 2;
  }

  ConfigLoadResult loaded = LoadConfigFile(config_file, registry);
  if (!loaded.ok()) {
    std::fputs(loaded.ErrorText().c_str(), stderr);
    return 1;
  }
  if (!enroll.empty()) return EnrollHostKeys(loaded.config, enroll);

  std::vector<ConfigError> errors;
  MemberSet members(loaded.config, registry, &errors);
  if (!errors.empty()) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.ToString().c_str());
    return 1;
  }
  std::size_t member_count = members.size();
  if (check_config) {
    std::printf("%s: OK, %zu cluster(s), %zu member(s)\n", config_file.c_str(),
                loaded.config.clusters.size(), member_count);
    return 0;
  }

  PrepareDaemonSignals();

  ExporterOptions options;
  options.listen_addresses = listen;
  options.telemetry_path = telemetry_path;
  options.probe_timeout = loaded.config.global.probe_timeout;
  options.probe_concurrency = loaded.config.global.probe_concurrency;
  Exporter exporter(loaded.config, members, options);
  std::string error;
  if (!exporter.Start(&error)) {
    log::Error("cannot start", {{"err", error}});
    return 1;
  }
  std::string ports;
  for (int port : exporter.Ports()) ports += (ports.empty() ? "" : ",") + std::to_string(port);
  log::Info("cutover-exporter listening", {{"version", build_info::kVersion},
                                           {"config", config_file},
                                           {"members", std::to_string(member_count)},
                                           {"ports", ports}});
  std::string signal_name = WaitForTerminationSignal();
  log::Info("shutting down", {{"signal", signal_name}});
  exporter.Stop();
  return 0;
}

}  // namespace
}  // namespace cutover

int main(int argc, char** argv) { return cutover::Main(argc, argv); }
