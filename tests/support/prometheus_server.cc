#include "tests/support/prometheus_server.h"

#include "plugins/transport/http_client.h"
#include "tests/support/net.h"

namespace cutover::testing {

PrometheusServer::PrometheusServer(PrometheusOptions options) : options_(std::move(options)) {}

PrometheusServer::~PrometheusServer() { Stop(); }

bool PrometheusServer::Start() {
  std::string targets;
  for (const auto& t : options_.targets) targets += (targets.empty() ? "'" : ", '") + t + "'";
  std::string config = "global:\n  scrape_interval: " + options_.scrape_interval +
                       "\n  scrape_timeout: " + options_.scrape_timeout +
                       "\n  evaluation_interval: 1s\n";
  if (!options_.rule_files.empty()) {
    config += "rule_files:\n";
    for (const auto& f : options_.rule_files) config += "  - " + f + "\n";
  }
  if (!options_.alertmanager.empty())
    config += "alerting:\n  alertmanagers:\n  - static_configs:\n    - targets: ['" +
              options_.alertmanager + "']\n";
  config += "scrape_configs:\n  - job_name: " + options_.job +
            "\n    static_configs:\n      - targets: [" + targets + "]\n";
  std::string config_file = dir_.Write("prometheus.yml", config);
  port_ = FreeTcpPort();
  if (!process_.Start(
          {"prometheus", "--config.file=" + config_file, "--storage.tsdb.path=" + dir_.File("data"),
           "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--web.enable-lifecycle",
           "--log.level=warn"},
          dir_.File("prometheus.log"))) {
    error_ = "cannot start prometheus (is the Debian package installed?)";
    return false;
  }
  HttpClient client;
  bool ready = WaitUntil([&] { return client.Get(url() + "/-/ready").status == 200; },
                         std::chrono::seconds(30), std::chrono::milliseconds(100));
  if (!ready) error_ = "prometheus did not become ready:\n" + process_.Log();
  return ready;
}

void PrometheusServer::Stop() { process_.Stop(); }

std::string PrometheusServer::Query(const std::string& promql) const {
  HttpClient client;
  auto response = client.Post(url() + "/api/v1/query", HttpClient::FormEncode({{"query", promql}}),
                              "application/x-www-form-urlencoded");
  return response.ok ? response.body : std::string();
}

}  // namespace cutover::testing
