// cutover-exporter's HTTP face: GET / (landing page), the telemetry path (a probe round
// per scrape), /-/healthy and /-/ready. Thread-safe: concurrent scrapes share the probe
// round in flight (see ProbeRound), each answering within its own deadline.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/web_server.h"
#include "exporter/probe_round.h"

namespace cutover {

struct ExporterOptions {
  std::vector<std::string> listen_addresses{"127.0.0.1:10470"};
  std::string telemetry_path = "/metrics";
  Duration probe_timeout{std::chrono::seconds(8)};
  int probe_concurrency = 16;
  // Connections one client address may hold; 0 for the web server's default.
  int max_connections_per_client = 0;
};

class Exporter {
 public:
  Exporter(const CutoverConfig& config, MemberSet& members, ExporterOptions options);
  bool Start(std::string* error);
  void Stop();
  std::vector<int> Ports() const { return server_.Ports(); }

  // The exposition text of one scrape whose Prometheus-side timeout is scrape_timeout
  // (zero when unknown). Its deadline is the smaller of probe_timeout and what the scrape
  // timeout leaves after a safety margin; a round in flight is shared (see ProbeRound).
  std::string Scrape(Duration scrape_timeout);

 private:
  HttpResponse LandingPage() const;
  const CutoverConfig& config_;
  ExporterOptions options_;
  ProbeRound round_;
  WebServer server_;
};

}  // namespace cutover
