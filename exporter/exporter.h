// cutover-exporter's HTTP face: GET / (landing page), the telemetry path (a probe round
// per scrape), /-/healthy and /-/ready. Thread-safe: concurrent scrapes each run a round;
// calls per member are serialised by the MemberSet.
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
};

class Exporter {
 public:
  Exporter(const CutoverConfig& config, MemberSet& members, ExporterOptions options);
  bool Start(std::string* error);
  void Stop();
  std::vector<int> Ports() const { return server_.Ports(); }

  // The exposition text of one scrape whose Prometheus-side timeout is scrape_timeout
  // (zero when unknown). Probes get the smaller of probe_timeout and what the scrape
  // timeout leaves after a safety margin.
  std::string Scrape(Duration scrape_timeout);

 private:
  HttpResponse LandingPage() const;
  const CutoverConfig& config_;
  ExporterOptions options_;
  ProbeRound round_;
  WebServer server_;
};

}  // namespace cutover
