// cutover-traffic: the lab's live traffic. `server` echoes; `client` keeps long-lived
// sessions and opens short ones through the firewall cluster, and reports every broken
// session, failed connect and stalled session. Exit code 0 whatever the traffic saw (the
// report says it); 1 only when it could not run.
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/build_info.h"
#include "common/log.h"
#include "common/web_server.h"
#include "lab/traffic/echo_server.h"
#include "lab/traffic/session_client.h"
#include "lab/traffic/session_lifetime.h"
#include "lab/traffic/traffic_metrics.h"

namespace cutover::traffic {
namespace {

// Thousands of sessions need more descriptors than the usual soft limit of 1024.
void RaiseOpenFileLimit(std::uint64_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
    log::Warn("open file limit is lower than the sessions need (raise ulimit -n)",
              {{"limit", std::to_string(limit.rlim_cur)}, {"needed", std::to_string(needed)}});
}

// SIGTERM, SIGINT and SIGUSR1 are read from a signalfd in the epoll loop, never by a
// handler. Blocked before any thread starts, so civetweb's threads never take them.
int BlockSignalsIntoFd() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
}

std::string FormatRate(double rate) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, rate);
  return std::string(buffer, end);
}

bool ParseDurationFlag(const std::string& flag, const std::string& text, bool zero_allowed,
                       Duration* out, std::string* error) {
  if (zero_allowed && text == "0") {
    *out = Duration{0};
    return true;
  }
  std::optional<Duration> parsed = ParseDuration(text);
  if (!parsed || (!zero_allowed && parsed->count() == 0)) {
    *error = flag + " '" + text + "' is not a" + (zero_allowed ? "" : " positive") +
             " duration (write it like 100ms, 1s or 2m" + (zero_allowed ? ", or 0" : "") + ")";
    return false;
  }
  *out = *parsed;
  return true;
}

struct ClientFlags {
  std::string target;
  std::uint64_t sessions = 1000;
  double open_rate = 200;
  double short_rate = 20;
  std::uint64_t short_messages = 1;
  std::string message_interval = "1s";
  std::string stall_timeout = "3s";
  std::string connect_timeout = "2s";
  std::string tcp_user_timeout = "0";
  std::string lifetime = "forever";
  std::string summary_interval = "10s";
  std::string duration = "0";
  std::string metrics_listen;
  std::string report_file;
};

bool BuildClientOptions(const ClientFlags& flags, ClientOptions* options, std::string* error) {
  options->target_text = flags.target;
  if (!ResolveSocketAddress(flags.target, &options->target, error)) {
    *error = "--target: " + *error;
    return false;
  }
  options->sessions = flags.sessions;
  options->open_rate = flags.open_rate;
  options->short_rate = flags.short_rate;
  options->short_messages = flags.short_messages;
  options->report_file = flags.report_file;
  if (!ParseDurationFlag("--message-interval", flags.message_interval, false,
                         &options->message_interval, error) ||
      !ParseDurationFlag("--stall-timeout", flags.stall_timeout, false, &options->stall_timeout,
                         error) ||
      !ParseDurationFlag("--connect-timeout", flags.connect_timeout, false,
                         &options->connect_timeout, error) ||
      !ParseDurationFlag("--tcp-user-timeout", flags.tcp_user_timeout, true,
                         &options->tcp_user_timeout, error) ||
      !ParseDurationFlag("--summary-interval", flags.summary_interval, true,
                         &options->summary_interval, error) ||
      !ParseDurationFlag("--duration", flags.duration, true, &options->duration, error))
    return false;
  ParseResult<SessionLifetime> lifetime = SessionLifetime::Parse(flags.lifetime);
  if (!lifetime.ok()) {
    *error = "--long-session-lifetime: " + lifetime.error();
    return false;
  }
  options->lifetime = lifetime.value();
  return true;
}

int RunServer(const std::string& listen) {
  int signal_fd = BlockSignalsIntoFd();
  if (signal_fd < 0) {
    log::Error("cannot create a signalfd", {{"err", std::strerror(errno)}});
    return 1;
  }
  RaiseOpenFileLimit(10000);
  EchoServer server;
  std::string error;
  if (!server.Listen(listen, &error)) {
    log::Error("cannot start the echo server", {{"err", error}});
    return 1;
  }
  log::Info("echo server listening", {{"address", server.BoundAddress()}});
  server.Run(signal_fd);
  log::Info("echo server stopped");
  return 0;
}

int RunClient(const ClientFlags& flags) {
  ClientOptions options;
  std::string error;
  if (!BuildClientOptions(flags, &options, &error)) {
    std::fprintf(stderr, "cutover-traffic client: %s\n", error.c_str());
    return 1;
  }
  int signal_fd = BlockSignalsIntoFd();
  if (signal_fd < 0) {
    log::Error("cannot create a signalfd", {{"err", std::strerror(errno)}});
    return 1;
  }
  RaiseOpenFileLimit(options.sessions + 2 * static_cast<std::uint64_t>(options.short_rate) + 100);

  TrafficMetrics metrics;
  std::unique_ptr<WebServer> web;
  if (!flags.metrics_listen.empty()) {
    web =
        std::make_unique<WebServer>(WebServerOptions{{flags.metrics_listen}, 2, 64 * 1024, 10000});
    web->Handle("GET", "/metrics", [&metrics](const HttpRequest&) {
      HttpResponse response;
      response.content_type = "text/plain; version=0.0.4; charset=utf-8";
      response.body = metrics.Render();
      return response;
    });
    web->Handle("GET", "/-/healthy",
                [](const HttpRequest&) { return HttpResponse::Text(200, "Healthy"); });
    web->Handle("GET", "/", [](const HttpRequest&) {
      return HttpResponse::Html(
          "<html><head><title>cutover-traffic</title></head><body><h1>cutover-traffic</h1>"
          "<p><a href=\"/metrics\">Metrics</a> &middot; <a href=\"/-/healthy\">Health</a></p>"
          "</body></html>");
    });
    if (!web->Start(&error)) {
      log::Error("cannot serve metrics", {{"err", error}});
      return 1;
    }
  }
  log::Info("traffic client starting",
            {{"target", flags.target},
             {"sessions", std::to_string(options.sessions)},
             {"message_interval", FormatDuration(options.message_interval)},
             {"new_sessions_per_second", FormatRate(options.short_rate)},
             {"long_session_lifetime", options.lifetime.ToString()},
             {"metrics", flags.metrics_listen.empty() ? "off" : flags.metrics_listen}});
  SessionClient client(options, web ? &metrics : nullptr);
  if (!client.Run(signal_fd, &error)) {
    log::Error("traffic client failed", {{"err", error}});
    return 1;
  }
  if (web) web->Stop();
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "cutover-traffic: live TCP traffic for the firewall lab. `server` echoes; `client` keeps "
      "long-lived sessions, opens short ones and reports every broken session, failed connect "
      "and stalled session"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("cutover-traffic ") + build_info::kVersion +
                                        " (revision " + build_info::kRevision + ")");
  std::string log_level = "info";
  app.add_option("--log.level", log_level, "Only log messages at or above this level")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();

  CLI::App* server = app.add_subcommand("server", "Echo whatever each connection sends");
  std::string listen;
  server->add_option("--listen", listen, "Address to listen on (ADDR:PORT)")->required();

  CLI::App* client = app.add_subcommand("client", "Keep sessions to an echo server and report");
  ClientFlags flags;
  client->add_option("--target", flags.target, "Echo server to connect to (ADDR:PORT)")->required();
  client->add_option("--sessions", flags.sessions, "Long-lived sessions to keep open")
      ->capture_default_str();
  client
      ->add_option("--message-interval", flags.message_interval,
                   "How often each long-lived session sends a message")
      ->capture_default_str();
  client
      ->add_option("--session-open-rate", flags.open_rate,
                   "Long-lived sessions opened per second (at start and for replacements)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  client
      ->add_option("--new-sessions-per-second", flags.short_rate,
                   "Short sessions (connect, message, echo, close) per second; 0 for none")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  client
      ->add_option("--short-session-messages", flags.short_messages,
                   "Messages each short session exchanges before closing")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  client
      ->add_option("--stall-timeout", flags.stall_timeout,
                   "A session without an echo for this long is reported stalled")
      ->capture_default_str();
  client
      ->add_option("--connect-timeout", flags.connect_timeout,
                   "A connect not finished after this long has failed")
      ->capture_default_str();
  client
      ->add_option("--tcp-user-timeout", flags.tcp_user_timeout,
                   "Abort a session whose data stays unacknowledged this long, reporting it "
                   "broken (TCP_USER_TIMEOUT; 0: the kernel's retransmission limit)")
      ->capture_default_str();
  client
      ->add_option("--long-session-lifetime", flags.lifetime,
                   "forever, exp:MEAN, fixed:DURATION or a mix such as "
                   "70%exp:20s,30%fixed:2m; an ended session is replaced and not "
                   "counted as broken")
      ->capture_default_str();
  client
      ->add_option("--summary-interval", flags.summary_interval,
                   "Print the one-line summary this often (0: only at exit)")
      ->capture_default_str();
  client->add_option("--duration", flags.duration, "Stop after this long (0: at SIGTERM/SIGINT)")
      ->capture_default_str();
  client->add_option("--metrics-listen", flags.metrics_listen,
                     "Serve Prometheus metrics on ADDR:PORT (/metrics, /-/healthy)");
  client->add_option("--report", flags.report_file,
                     "Write the JSON report here at exit and on SIGUSR1");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 1;  // could not run, whatever CLI11's own code for the mistake
  }
  log::SetLevel(*log::ParseLevel(log_level));
  if (server->parsed()) return RunServer(listen);
  return RunClient(flags);
}

}  // namespace
}  // namespace cutover::traffic

int main(int argc, char** argv) { return cutover::traffic::Main(argc, argv); }
