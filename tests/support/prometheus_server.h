// A real Prometheus (Debian's /usr/bin/prometheus) on 127.0.0.1 for one test, scraping
// the given targets every second.
#pragma once

#include <string>
#include <vector>

#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

struct PrometheusOptions {
  std::vector<std::string> targets;  // "127.0.0.1:PORT"
  std::string job = "cutover";
  std::string scrape_interval = "1s";
  std::string scrape_timeout = "1s";
  std::vector<std::string> rule_files;
  std::string alertmanager;  // "127.0.0.1:PORT" or empty
};

class PrometheusServer {
 public:
  explicit PrometheusServer(PrometheusOptions options);
  ~PrometheusServer();
  bool Start();  // false with error() when it did not become ready
  void Stop();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& error() const { return error_; }
  // The raw JSON of GET /api/v1/query?query=..., or "" on transport failure.
  std::string Query(const std::string& promql) const;
  std::string Log() const { return process_.Log(); }

 private:
  PrometheusOptions options_;
  TempDir dir_;
  BackgroundProcess process_;
  int port_ = 0;
  std::string error_;
};

}  // namespace cutover::testing
