#include "exporter/exporter.h"

#include <cmath>

#include "common/build_info.h"
#include "common/log.h"
#include "common/strings.h"
#include "exporter/member_metrics.h"

namespace cutover {
namespace {

// Time kept back from Prometheus's scrape timeout for serialising and sending.
constexpr Duration kScrapeMargin{500};

std::string HtmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

Exporter::Exporter(const CutoverConfig& config, MemberSet& members, ExporterOptions options)
    : config_(config),
      options_(std::move(options)),
      round_(members, options_.probe_concurrency),
      server_([this] {
        WebServerOptions web;
        web.listen_addresses = options_.listen_addresses;
        web.max_body_bytes = 64 * 1024;
        web.max_connections_per_client = options_.max_connections_per_client;
        return web;
      }()) {
  server_.Handle("GET", "/", [this](const HttpRequest&) { return LandingPage(); });
  server_.Handle("GET", "/-/healthy",
                 [](const HttpRequest&) { return HttpResponse::Text(200, "Healthy"); });
  // Drivers are built before the server starts, so serving means ready.
  server_.Handle("GET", "/-/ready",
                 [](const HttpRequest&) { return HttpResponse::Text(200, "Ready"); });
  server_.Handle("GET", options_.telemetry_path, [this](const HttpRequest& request) {
    Duration scrape_timeout{0};
    if (auto seconds = ParseDouble(request.Header("X-Prometheus-Scrape-Timeout-Seconds"));
        seconds && std::isfinite(*seconds) && *seconds > 0)
      scrape_timeout = Duration(static_cast<std::int64_t>(*seconds * 1000));
    HttpResponse response;
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    response.body = Scrape(scrape_timeout);
    return response;
  });
}

bool Exporter::Start(std::string* error) {
  if (!server_.Start(error)) return false;
  for (const auto& address : options_.listen_addresses) {
    std::string host;
    int port = 0;
    SplitHostPort(address, &host, &port);
    if (!IsLoopbackHost(host))
      log::Warn(
          "listening beyond loopback without TLS; put a TLS-terminating proxy in front "
          "(see README, 'TLS')",
          {{"address", address}});
  }
  return true;
}

void Exporter::Stop() { server_.Stop(); }

std::string Exporter::Scrape(Duration scrape_timeout) {
  Duration timeout = options_.probe_timeout;
  if (scrape_timeout.count() > 0) {
    Duration room = scrape_timeout - kScrapeMargin;
    if (room < Duration(100)) room = Duration(100);
    if (room < timeout) timeout = room;
  }
  auto start = std::chrono::steady_clock::now();
  std::shared_ptr<const CompletedRound> round = round_.Run(start + timeout);
  auto now = std::chrono::steady_clock::now();

  ExpositionWriter out;
  out.text().reserve(round->members.size() * 1200);
  WriteMemberMetrics(round->members, out);
  out.Family("cutover_scrape_duration_seconds",
             "How long this scrape waited for its probe round.", "gauge");
  out.Sample("cutover_scrape_duration_seconds", {},
             std::chrono::duration<double>(now - start).count());
  out.Family("cutover_probe_round_age_seconds",
             "Seconds since the probe round this scrape publishes began: about the probe "
             "duration when fresh, more when a concurrent scrape's longer round was still "
             "running and the last complete round was published instead.",
             "gauge");
  out.Sample("cutover_probe_round_age_seconds", {},
             std::chrono::duration<double>(now - round->started).count());
  WriteBuildInfo(out);
  return std::move(out.text());
}

HttpResponse Exporter::LandingPage() const {
  std::string html =
      "<!DOCTYPE html>\n<html><head><title>cutover exporter</title></head><body>\n"
      "<h1>cutover exporter</h1>\n<p>Version " +
      std::string(build_info::kVersion) + " (" + build_info::kRevision + ")</p>\n<p><a href=\"" +
      HtmlEscape(options_.telemetry_path) +
      "\">Metrics</a> &middot; <a href=\"/-/healthy\">Health</a> &middot; "
      "<a href=\"/-/ready\">Ready</a></p>\n<h2>Clusters</h2>\n<ul>\n";
  for (const auto& cluster : config_.clusters) {
    html += "<li>" + HtmlEscape(cluster.name) + ": ";
    bool first = true;
    for (const auto& member : cluster.members) {
      html +=
          (first ? "" : ", ") + HtmlEscape(member.name) + " (" + HtmlEscape(member.driver) + ")";
      first = false;
    }
    html += "</li>\n";
  }
  html += "</ul>\n</body></html>\n";
  return HttpResponse::Html(html);
}

}  // namespace cutover
