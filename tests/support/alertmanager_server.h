// A real Alertmanager (Debian's /usr/bin/prometheus-alertmanager) on 127.0.0.1 for one
// test, without gossip, routing every alert to one webhook with a bearer token, as the
// runbook configures it in front of cutover-actions. Alerts are injected with amtool.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

struct AlertmanagerOptions {
  std::string webhook_url;        // "http://127.0.0.1:PORT/api/v1/alertmanager"
  std::string bearer_token_file;  // sent as Authorization: Bearer <contents>
  std::vector<std::string> group_by{"alertname", "ha_cluster"};
  std::string group_wait = "1s";
  std::string group_interval = "1s";
  std::string repeat_interval = "1h";
};

using AlertLabels = std::vector<std::pair<std::string, std::string>>;

class AlertmanagerServer {
 public:
  explicit AlertmanagerServer(AlertmanagerOptions options);
  ~AlertmanagerServer();
  AlertmanagerServer(const AlertmanagerServer&) = delete;
  AlertmanagerServer& operator=(const AlertmanagerServer&) = delete;

  bool Start();  // false with error() when it did not become ready
  void Stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& error() const { return error_; }
  std::string Log() const { return process_.Log(); }

  // `amtool alert add ALERTNAME label=value...` (argv, no shell: values are sent as
  // written). False with error() when amtool fails.
  bool Fire(const std::string& alertname, const AlertLabels& labels);
  // The same alert with an end in the past: Alertmanager notifies it resolved.
  bool Resolve(const std::string& alertname, const AlertLabels& labels);

 private:
  bool Amtool(const std::string& alertname, const AlertLabels& labels,
              const std::vector<std::string>& flags);

  AlertmanagerOptions options_;
  TempDir dir_;
  BackgroundProcess process_;
  int port_ = 0;
  std::string error_;
};

}  // namespace cutover::testing
