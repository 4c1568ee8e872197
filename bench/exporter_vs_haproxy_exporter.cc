// cutover-bench-exporter: what one scrape costs cutover-exporter watching every server of
// a 1,000-server HAProxy, next to Debian's prometheus-haproxy-exporter scraping the same
// HAProxy in the same run. See bench/README.md.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "common/strings.h"
#include "plugins/transport/http_client.h"
#include "tests/support/background_process.h"
#include "tests/support/haproxy_server.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::BackgroundProcess;

struct Options {
  std::string exporter = CUTOVER_DEFAULT_EXPORTER;
  std::string peer = "prometheus-haproxy-exporter";
  int servers = 1000;
  int sessions = 200;
  int scrapes = 50;
  int warmup = 5;
  int probe_concurrency = 16;
  bool tcp_runtime_api = false;
};

// Client sessions held open through HAProxy's frontend, each proven by an echo.
class HeldSessions {
 public:
  ~HeldSessions() {
    for (int fd : fds_) close(fd);
  }
  bool Open(int port, int count) {
    for (int i = 0; i < count; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) return false;
      fds_.push_back(fd);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port));
      timeval timeout{2, 0};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      char byte = 'x';
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          send(fd, &byte, 1, MSG_NOSIGNAL) != 1 || recv(fd, &byte, 1, 0) != 1)
        return false;
    }
    return true;
  }

 private:
  std::vector<int> fds_;
};

struct Measurement {
  double wall_median_ms = 0, wall_p90_ms = 0;
  double cpu_per_scrape_ms = 0;
  double haproxy_cpu_per_scrape_ms = 0;
  double peak_rss_mib = 0;
  std::size_t lines = 0, samples = 0;
};

class Exporter {
 public:
  Exporter(std::string name, std::vector<std::string> argv, int port, std::string log)
      : name_(std::move(name)), argv_(std::move(argv)), port_(port), log_(std::move(log)) {
    http_.set_timeout(std::chrono::seconds(30));
  }

  bool Start(std::string* error) {
    if (!process_.Start(argv_, log_)) {
      *error = name_ + ": cannot start " + argv_[0];
      return false;
    }
    if (!testing::WaitForTcpPort(port_, std::chrono::seconds(20)) || !process_.Running()) {
      *error = name_ + ": did not listen on 127.0.0.1:" + std::to_string(port_) + "; its log:\n" +
               process_.Log();
      return false;
    }
    return true;
  }

  // One scrape of /metrics; the body, or nullopt with *error set.
  std::optional<std::string> Scrape(std::string* error) {
    auto response = http_.Get("http://127.0.0.1:" + std::to_string(port_) + "/metrics");
    if (!response.ok || response.status != 200) {
      *error = name_ + ": scrape failed: " +
               (response.ok ? "HTTP " + std::to_string(response.status) : response.error);
      return std::nullopt;
    }
    return std::move(response.body);
  }

  std::optional<Measurement> Measure(int warmup, int scrapes, pid_t haproxy, std::string* error) {
    for (int i = 0; i < warmup; ++i)
      if (!Scrape(error)) return std::nullopt;
    Measurement m;
    std::vector<double> walls;
    auto cpu_before = CpuSeconds(process_.pid());
    auto haproxy_before = CpuSeconds(haproxy);
    std::string last;
    for (int i = 0; i < scrapes; ++i) {
      auto started = Clock::now();
      auto body = Scrape(error);
      if (!body) return std::nullopt;
      walls.push_back(std::chrono::duration<double, std::milli>(Clock::now() - started).count());
      last = std::move(*body);
    }
    auto cpu_after = CpuSeconds(process_.pid());
    auto haproxy_after = CpuSeconds(haproxy);
    auto rss = PeakRssMiB(process_.pid());
    if (!cpu_before || !cpu_after || !haproxy_before || !haproxy_after || !rss) {
      *error = name_ + ": cannot read /proc for its CPU time or peak RSS";
      return std::nullopt;
    }
    std::sort(walls.begin(), walls.end());
    std::size_t n = walls.size();
    m.wall_median_ms = n % 2 ? walls[n / 2] : (walls[n / 2 - 1] + walls[n / 2]) / 2;
    m.wall_p90_ms = walls[static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n))) - 1];
    m.cpu_per_scrape_ms = (*cpu_after - *cpu_before) * 1000.0 / scrapes;
    m.haproxy_cpu_per_scrape_ms = (*haproxy_after - *haproxy_before) * 1000.0 / scrapes;
    m.peak_rss_mib = *rss;
    for (std::string_view line : SplitLines(last)) {
      ++m.lines;
      if (!line.empty() && line[0] != '#') ++m.samples;
    }
    return m;
  }

  const std::string& name() const { return name_; }
  std::string Log() const { return process_.Log(); }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  int port_;
  std::string log_;
  BackgroundProcess process_;
  HttpClient http_;
};

std::string ClusterConfig(const Options& options, const testing::HaproxyServer& haproxy) {
  std::ostringstream yaml;
  yaml << "global:\n"
       << "  probe_timeout: 8s\n"
       << "  probe_concurrency: " << options.probe_concurrency << "\n"
       << "clusters:\n"
       << "- name: lb\n"
       << "  driver: haproxy\n"
       << "  settings:\n"
       << "    runtime_api: "
       << (options.tcp_runtime_api ? haproxy.runtime_api_tcp() : haproxy.runtime_api_unix()) << "\n"
       << "    backend: " << haproxy.backend() << "\n"
       << "  members:\n";
  for (const std::string& name : haproxy.server_names()) yaml << "  - name: " << name << "\n";
  return yaml.str();
}

// Members our exporter reports up, from cutover_member_up{...} 1 lines.
int MembersUp(const std::string& metrics) {
  int up = 0;
  for (std::string_view line : SplitLines(metrics))
    if (StartsWith(line, "cutover_member_up{") && line.size() > 2 &&
        line.substr(line.size() - 2) == " 1")
      ++up;
  return up;
}

// The sum of cutover_member_connections over all members.
double ConnectionsReported(const std::string& metrics) {
  double sum = 0;
  for (std::string_view line : SplitLines(metrics)) {
    if (!StartsWith(line, "cutover_member_connections{")) continue;
    auto value = ParseDouble(line.substr(line.rfind(' ') + 1));
    if (value) sum += *value;
  }
  return sum;
}

int Run(const Options& options) {
  if (access(options.exporter.c_str(), X_OK) != 0) {
    std::cerr << "no executable cutover-exporter at " << options.exporter
              << "; build it (make cutover-exporter) or pass --exporter=PATH\n";
    return 1;
  }
  std::cerr << "starting HAProxy with " << options.servers << " servers...\n";
  testing::HaproxyServer haproxy({.backend = "app", .servers = options.servers});
  if (!haproxy.Start()) {
    std::cerr << "HAProxy did not start: " << haproxy.error() << "\n";
    return 1;
  }
  HeldSessions sessions;
  if (!sessions.Open(haproxy.frontend_port(), options.sessions)) {
    std::cerr << "could not hold " << options.sessions << " sessions through HAProxy's frontend\n";
    return 1;
  }
  testing::TempDir dir;
  const std::string config = dir.Write("cutover.yml", ClusterConfig(options, haproxy));
  const int ours_port = testing::FreeTcpPort(), peer_port = testing::FreeTcpPort();
  Exporter ours("cutover-exporter",
                {options.exporter, "--config.file=" + config,
                 "--web.listen-address=127.0.0.1:" + std::to_string(ours_port)},
                ours_port, dir.File("cutover-exporter.log"));
  Exporter peer("prometheus-haproxy-exporter",
                {options.peer,
                 "--haproxy.scrape-uri=http://127.0.0.1:" + std::to_string(haproxy.stats_port()) +
                     "/stats;csv",
                 "--web.listen-address=127.0.0.1:" + std::to_string(peer_port)},
                peer_port, dir.File("haproxy-exporter.log"));
  std::string error;
  for (Exporter* e : {&ours, &peer}) {
    if (!e->Start(&error)) {
      std::cerr << error << "\n";
      return 1;
    }
  }

  auto first = ours.Scrape(&error);
  if (!first) {
    std::cerr << error << "\n" << ours.Log() << "\n";
    return 1;
  }
  int up = MembersUp(*first);
  if (up != options.servers) {
    std::cerr << "cutover-exporter reports " << up << " of " << options.servers
              << " members up; refusing to measure a broken setup. Its log:\n"
              << ours.Log() << "\n";
    return 1;
  }
  auto peer_first = peer.Scrape(&error);
  if (!peer_first || peer_first->find("haproxy_up 1") == std::string::npos) {
    std::cerr << "prometheus-haproxy-exporter does not report haproxy_up 1: " << error << "\n"
              << peer.Log() << "\n";
    return 1;
  }
  std::cerr << "all " << up << " members up, reporting " << ConnectionsReported(*first) << " of "
            << options.sessions << " held sessions; measuring " << options.scrapes
            << " scrapes each after " << options.warmup << " warm-up scrapes...\n";

  auto ours_m = ours.Measure(options.warmup, options.scrapes, haproxy.pid(), &error);
  if (!ours_m) {
    std::cerr << error << "\n";
    return 1;
  }
  auto peer_m = peer.Measure(options.warmup, options.scrapes, haproxy.pid(), &error);
  if (!peer_m) {
    std::cerr << error << "\n";
    return 1;
  }

  auto ratio = [](double a, double b) { return b > 0 ? Fixed(a / b, 2) : std::string("n/a"); };
  const bool cpu_met = ours_m->cpu_per_scrape_ms <= 0.2 * peer_m->cpu_per_scrape_ms;
  const bool rss_met = ours_m->peak_rss_mib <= peer_m->peak_rss_mib;
  std::printf(
      "\n%d HAProxy servers (%s runtime API), %d sessions held, %d scrapes each after %d "
      "warm-up, probe_concurrency %d\n\n",
      options.servers, options.tcp_runtime_api ? "tcp" : "unix", options.sessions, options.scrapes,
      options.warmup, options.probe_concurrency);
  PrintRow("", "cutover-exporter", "haproxy_exporter", "ours/peer", "target");
  PrintRow("scrape wall median (ms)", Fixed(ours_m->wall_median_ms, 1),
           Fixed(peer_m->wall_median_ms, 1), ratio(ours_m->wall_median_ms, peer_m->wall_median_ms));
  PrintRow("scrape wall p90 (ms)", Fixed(ours_m->wall_p90_ms, 1), Fixed(peer_m->wall_p90_ms, 1),
           ratio(ours_m->wall_p90_ms, peer_m->wall_p90_ms));
  PrintRow("exporter CPU per scrape (ms)", Fixed(ours_m->cpu_per_scrape_ms, 2),
           Fixed(peer_m->cpu_per_scrape_ms, 2),
           ratio(ours_m->cpu_per_scrape_ms, peer_m->cpu_per_scrape_ms),
           std::string("<= 0.20x  ") + (cpu_met ? "met" : "NOT MET"));
  PrintRow("HAProxy CPU per scrape (ms)", Fixed(ours_m->haproxy_cpu_per_scrape_ms, 2),
           Fixed(peer_m->haproxy_cpu_per_scrape_ms, 2),
           ratio(ours_m->haproxy_cpu_per_scrape_ms, peer_m->haproxy_cpu_per_scrape_ms));
  PrintRow("peak RSS, VmHWM (MiB)", Fixed(ours_m->peak_rss_mib, 1), Fixed(peer_m->peak_rss_mib, 1),
           ratio(ours_m->peak_rss_mib, peer_m->peak_rss_mib),
           std::string("<= 1.00x  ") + (rss_met ? "met" : "NOT MET"));
  PrintRow("exposition lines", std::to_string(ours_m->lines), std::to_string(peer_m->lines),
           ratio(static_cast<double>(ours_m->lines), static_cast<double>(peer_m->lines)));
  PrintRow("  of which samples", std::to_string(ours_m->samples), std::to_string(peer_m->samples),
           ratio(static_cast<double>(ours_m->samples), static_cast<double>(peer_m->samples)));
  std::printf("\nCPU is utime+stime from /proc/<pid>/stat over the %d scrapes (tick %ld Hz).\n",
              options.scrapes, sysconf(_SC_CLK_TCK));
  return cpu_met && rss_met ? 0 : 2;
}

}  // namespace
}  // namespace cutover::bench

int main(int argc, char** argv) {
  cutover::bench::Options options;
  CLI::App app{
      "Compares one scrape of cutover-exporter (haproxy driver, one member per server) with "
      "prometheus-haproxy-exporter on the same HAProxy. Exit status: 0 targets met, 2 a target "
      "not met, 1 the benchmark could not run."};
  app.add_option("--exporter", options.exporter, "cutover-exporter binary")->capture_default_str();
  app.add_option("--peer", options.peer, "prometheus-haproxy-exporter binary")
      ->capture_default_str();
  app.add_option("--servers", options.servers, "HAProxy servers, one cutover member each")
      ->check(CLI::Range(1, 2000))
      ->capture_default_str();
  app.add_option("--sessions", options.sessions, "TCP sessions held open through HAProxy")
      ->check(CLI::Range(0, 2000))
      ->capture_default_str();
  app.add_option("--scrapes", options.scrapes, "measured scrapes per exporter")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  app.add_option("--warmup", options.warmup, "unmeasured scrapes per exporter first")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app.add_option("--probe-concurrency", options.probe_concurrency,
                 "global.probe_concurrency in the generated cutover config")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_flag("--tcp", options.tcp_runtime_api,
               "reach HAProxy's runtime API over TCP instead of its UNIX socket");
  CLI11_PARSE(app, argc, argv);
  return cutover::bench::Run(options);
}
