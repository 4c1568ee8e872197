// cutover-bench-intake: Alertmanager webhook intake of cutover-actions (every delivery a
// decision journaled with fdatasync before the answer) next to Debian's webhook
// (adnanh/webhook) running a no-op command per delivery, in the same run, driven by wrk
// with a captured Alertmanager 0.25 payload. See bench/README.md.
#include <fcntl.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "common/process.h"
#include "common/strings.h"
#include "plugins/transport/command_transport.h"
#include "plugins/transport/http_client.h"
#include "tests/support/background_process.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover::bench {
namespace {

using Clock = std::chrono::steady_clock;
using testing::BackgroundProcess;

struct Options {
  std::string actions = CUTOVER_DEFAULT_ACTIONS;
  std::string peer = "webhook";
  std::string wrk = "wrk";
  std::string scripts = CUTOVER_WRK_SCRIPTS;
  std::string payloads = CUTOVER_PAYLOAD_FIXTURES;
  int threads = 2;
  int connections = 16;
  int seconds = 10;
  double rate = 1000;
  int repetitions = 20;
  int syncs = 500;
};

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// What one wrk run reports.
struct WrkResult {
  double requests_per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long requests = 0;
  long non_2xx = 0;
  std::string socket_errors;      // the "Socket errors:" line, when wrk printed one
  double cpu_ms_per_request = 0;  // of the server under test
};

// "1.23ms", "850.00us", "1.02s" -> milliseconds.
std::optional<double> WrkDurationMs(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    double ms;
  };
  for (const Unit& unit : {Unit{"us", 0.001}, Unit{"ms", 1}, Unit{"s", 1000}, Unit{"m", 60000}}) {
    if (text.size() <= unit.suffix.size() ||
        text.substr(text.size() - unit.suffix.size()) != unit.suffix)
      continue;
    auto value = ParseDouble(text.substr(0, text.size() - unit.suffix.size()));
    if (value) return *value * unit.ms;
  }
  return std::nullopt;
}

std::optional<WrkResult> ParseWrkOutput(const std::string& out) {
  WrkResult r;
  bool have_rate = false, have_p50 = false, have_p99 = false;
  for (std::string_view line : SplitLines(out)) {
    std::string_view trimmed = Trim(line);
    auto fields = SplitFields(trimmed);
    if (StartsWith(trimmed, "Requests/sec:") && fields.size() == 2) {
      auto value = ParseDouble(fields[1]);
      if (value) r.requests_per_second = *value, have_rate = true;
    } else if (fields.size() == 2 && (fields[0] == "50%" || fields[0] == "99%")) {
      auto value = WrkDurationMs(fields[1]);
      if (!value) continue;
      (fields[0] == "50%" ? r.p50_ms : r.p99_ms) = *value;
      (fields[0] == "50%" ? have_p50 : have_p99) = true;
    } else if (StartsWith(trimmed, "Non-2xx or 3xx responses:") && !fields.empty()) {
      r.non_2xx = static_cast<long>(ParseUint(fields.back()).value_or(0));
    } else if (StartsWith(trimmed, "Socket errors:")) {
      r.socket_errors = std::string(trimmed);
    } else if (fields.size() >= 3 && fields[1] == "requests" && fields[2] == "in") {
      r.requests = static_cast<long>(ParseUint(fields[0]).value_or(0));
    }
  }
  if (!have_rate || !have_p50 || !have_p99) return std::nullopt;
  return r;
}

// A server under test: started in the background, driven with wrk.
class Server {
 public:
  Server(std::string name, std::vector<std::string> argv, int port, std::string path,
         std::string log)
      : name_(std::move(name)),
        argv_(std::move(argv)),
        port_(port),
        url_("http://127.0.0.1:" + std::to_string(port) + path),
        log_(std::move(log)) {}

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

  // wrk against the webhook URL with `script` and its arguments (after the payload).
  std::optional<WrkResult> Wrk(const Options& options, const std::string& script,
                               const std::string& payload, const std::vector<std::string>& args,
                               int seconds, std::string* error) {
    std::vector<std::string> argv = {options.wrk,
                                     "-t" + std::to_string(options.threads),
                                     "-c" + std::to_string(options.connections),
                                     "-d" + std::to_string(seconds) + "s",
                                     "--latency",
                                     "-s",
                                     options.scripts + "/" + script,
                                     url_,
                                     "--",
                                     payload,
                                     std::to_string(runs_++ % 256)};
    argv.insert(argv.end(), args.begin(), args.end());
    auto cpu_before = CpuSeconds(process_.pid());
    ProcessResult run = RunProcess(argv, {.timeout = std::chrono::seconds(seconds + 60)});
    auto cpu_after = CpuSeconds(process_.pid());
    if (!run.started || run.timed_out || run.exit_status != 0) {
      *error = name_ + ": wrk failed (" +
               (run.error.empty() ? "exit status " + std::to_string(run.exit_status) : run.error) +
               "): " + run.err + run.out;
      return std::nullopt;
    }
    auto result = ParseWrkOutput(run.out);
    if (!result) {
      *error = name_ + ": cannot read requests/sec and the 50%/99% latencies from wrk's output:\n" +
               run.out;
      return std::nullopt;
    }
    if (result->non_2xx > 0 || result->requests == 0) {
      *error = name_ + ": " + std::to_string(result->non_2xx) + " of " +
               std::to_string(result->requests) +
               " deliveries were not answered 2xx; refusing to count failures as throughput. "
               "Its log:\n" +
               process_.Log();
      return std::nullopt;
    }
    if (cpu_before && cpu_after)
      result->cpu_ms_per_request =
          (*cpu_after - *cpu_before) * 1000.0 / static_cast<double>(result->requests);
    return result;
  }

  // A paced run at about options.rate: a short calibration run measures what each
  // request cycle adds to the wait (the latency plus wrk's own time), then the measured
  // run waits for the rest of the cycle.
  std::optional<WrkResult> WrkPaced(const Options& options, const std::string& payload,
                                    std::string* error) {
    const double cycle_ms = options.connections * 1000.0 / options.rate;
    auto calibration =
        Wrk(options, "alertmanager_paced.lua", payload, {Fixed(cycle_ms, 3)}, 3, error);
    if (!calibration) return std::nullopt;
    double added_ms = options.connections * 1000.0 / calibration->requests_per_second - cycle_ms;
    double wait_ms = std::max(0.0, cycle_ms - std::max(0.0, added_ms));
    std::cerr << name_ << ": paced at " << Fixed(wait_ms, 2)
              << " ms between requests per connection"
              << " (calibration: " << Fixed(calibration->requests_per_second, 0) << "/s at "
              << Fixed(cycle_ms, 2) << " ms)\n";
    return Wrk(options, "alertmanager_paced.lua", payload, {Fixed(wait_ms, 3)}, options.seconds,
               error);
  }

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  const std::string& url() const { return url_; }
  std::string Log() const { return process_.Log(); }

 private:
  std::string name_;
  std::vector<std::string> argv_;
  int port_;
  std::string url_;
  std::string log_;
  BackgroundProcess process_;
  int runs_ = 0;  // wrk runs so far: each gives its deliveries their own fingerprints
};

// The captured payload with its fingerprint replaced, so each delivery is a new one.
std::string WithFingerprint(const std::string& payload, const std::string& fingerprint) {
  const std::string marker = "\"fingerprint\":\"";
  std::size_t at = payload.find(marker);
  if (at == std::string::npos) return payload;
  at += marker.size();
  std::size_t end = payload.find('"', at);
  return payload.substr(0, at) + fingerprint + payload.substr(end);
}

// Time stamps (ns since the epoch) the stamp script appended, one per line.
std::vector<long long> ReadStamps(const std::string& file) {
  std::vector<long long> stamps;
  std::string text = testing::ReadFile(file);
  for (std::string_view line : SplitLines(text)) {
    auto value = ParseUint(Trim(line));
    if (value) stamps.push_back(static_cast<long long>(*value));
  }
  return stamps;
}

long long NowEpochNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Waits for the stamp script to have run `count` times; the last stamp, or nullopt.
std::optional<long long> AwaitStamp(const std::string& file, std::size_t count) {
  std::optional<long long> last;
  testing::WaitUntil(
      [&] {
        auto stamps = ReadStamps(file);
        if (stamps.size() < count) return false;
        last = stamps[count - 1];
        return true;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(1));
  return last;
}

// Talks to cutover-actions' operator API for the received -> action started runs.
class ActionsApi {
 public:
  explicit ActionsApi(int port) : base_("http://127.0.0.1:" + std::to_string(port)) {}

  std::optional<std::string> StartRun(const std::string& plan, std::string* error) {
    auto r = http_.Post(base_ + "/api/v1/runs", "{\"plan\":\"" + plan + "\",\"by\":\"bench\"}",
                        "application/json");
    rapidjson::Document doc;
    if (r.ok) doc.Parse(r.body.c_str(), r.body.size());
    if (!r.ok || r.status / 100 != 2 || doc.HasParseError() || !doc.IsObject() ||
        !doc.HasMember("run") || !doc["run"].IsString()) {
      *error = "cannot start a run of plan " + plan + ": " + (r.ok ? r.body : r.error);
      return std::nullopt;
    }
    return std::string(doc["run"].GetString());
  }

  bool Abort(const std::string& run, std::string* error) {
    auto r = http_.Post(base_ + "/api/v1/runs/abort", "{\"run\":\"" + run + "\",\"by\":\"bench\"}",
                        "application/json");
    if (r.ok && r.status / 100 == 2) return true;
    *error = "cannot abort run " + run + ": " + (r.ok ? r.body : r.error);
    return false;
  }

  // The run's state and its first step's state, "" when unreadable.
  std::pair<std::string, std::string> States(const std::string& run) {
    auto r = http_.Get(base_ + "/api/v1/runs?run=" + run);
    rapidjson::Document doc;
    if (!r.ok || r.status != 200) return {};
    doc.Parse(r.body.c_str(), r.body.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("runs") ||
        !doc["runs"].IsArray() || doc["runs"].Empty())
      return {};
    const auto& status = doc["runs"][0];
    auto state_of = [](const rapidjson::Value& v) {
      return v.IsObject() && v.HasMember("state") && v["state"].IsString()
                 ? std::string(v["state"].GetString())
                 : std::string();
    };
    std::string step;
    if (status.IsObject() && status.HasMember("steps") && status["steps"].IsArray() &&
        !status["steps"].Empty())
      step = state_of(status["steps"][0]);
    return {state_of(status), step};
  }

  bool AwaitStates(const std::string& run, const std::string& state, const std::string& step,
                   std::string* error) {
    std::pair<std::string, std::string> seen;
    bool reached = testing::WaitUntil(
        [&] {
          seen = States(run);
          return seen.first == state && (step.empty() || seen.second == step);
        },
        std::chrono::seconds(10), std::chrono::milliseconds(2));
    if (!reached)
      *error = "run " + run + " did not reach " + state + (step.empty() ? "" : "/" + step) +
               " (it is " + seen.first + "/" + seen.second + ")";
    return reached;
  }

  // Counter value of cutover_webhook_requests_total{outcome="..."}.
  double Deliveries(const std::string& outcome) {
    auto r = http_.Get(base_ + "/metrics");
    if (!r.ok) return -1;
    const std::string prefix = "cutover_webhook_requests_total{outcome=\"" + outcome + "\"} ";
    for (std::string_view line : SplitLines(r.body))
      if (StartsWith(line, prefix)) return ParseDouble(line.substr(prefix.size())).value_or(-1);
    return 0;
  }

  HttpClientResponse Post(const std::string& body) {
    return http_.Post(base_ + "/api/v1/alertmanager", body, "application/json");
  }

 private:
  std::string base_;
  HttpClient http_;
};

struct Overhead {
  std::vector<double> ms;  // request sent -> action program started, one per repetition
};

// cutover-actions: per repetition the alert is resolved, a run of bench-trigger starts
// and waits for UpgradeStuck, and the firing delivery starts its one step.
std::optional<Overhead> MeasureOursOverhead(ActionsApi& api, const std::string& firing,
                                            const std::string& resolved, const std::string& stamps,
                                            int repetitions, std::string* error) {
  Overhead overhead;
  for (int i = 0; i < repetitions; ++i) {
    char fingerprint[17];
    std::snprintf(fingerprint, sizeof fingerprint, "ffff%012x", i);
    auto cleared = api.Post(WithFingerprint(resolved, fingerprint));
    if (!cleared.ok || cleared.status != 200) {
      *error = "resolving UpgradeStuck was refused: " + (cleared.ok ? cleared.body : cleared.error);
      return std::nullopt;
    }
    auto run = api.StartRun("bench-trigger", error);
    if (!run || !api.AwaitStates(*run, "running", "waiting_trigger", error)) return std::nullopt;
    long long sent = NowEpochNanos();
    auto delivered = api.Post(WithFingerprint(firing, fingerprint));
    if (!delivered.ok || delivered.status != 200) {
      *error =
          "the firing delivery was refused: " + (delivered.ok ? delivered.body : delivered.error);
      return std::nullopt;
    }
    auto started = AwaitStamp(stamps, static_cast<std::size_t>(i) + 1);
    if (!started) {
      *error = "run " + *run + ": the step's action did not start within 10 s";
      return std::nullopt;
    }
    overhead.ms.push_back(static_cast<double>(*started - sent) / 1e6);
    if (!api.AwaitStates(*run, "completed", "", error)) return std::nullopt;
  }
  return overhead;
}

// webhook: each delivery to the stamp hook runs the stamp script before the answer.
std::optional<Overhead> MeasurePeerOverhead(const std::string& url, const std::string& firing,
                                            const std::string& stamps, int repetitions,
                                            std::string* error) {
  Overhead overhead;
  HttpClient http;
  for (int i = 0; i < repetitions; ++i) {
    long long sent = NowEpochNanos();
    auto delivered = http.Post(url, firing, "application/json");
    if (!delivered.ok || delivered.status != 200) {
      *error = "webhook refused the delivery: " + (delivered.ok ? delivered.body : delivered.error);
      return std::nullopt;
    }
    auto started = AwaitStamp(stamps, static_cast<std::size_t>(i) + 1);
    if (!started) {
      *error = "webhook's stamp command did not run";
      return std::nullopt;
    }
    overhead.ms.push_back(static_cast<double>(*started - sent) / 1e6);
  }
  return overhead;
}

struct SyncCost {
  double median_ms = 0, p99_ms = 0, per_second = 0;
};

// What the disk gives one writer: append a journal-sized record, fdatasync, repeat.
std::optional<SyncCost> MeasureRawSyncs(const std::string& file, int count) {
  int fd = open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return std::nullopt;
  const std::string record(300, 'x');
  std::vector<double> ms;
  auto begun = Clock::now();
  for (int i = 0; i < count; ++i) {
    auto started = Clock::now();
    if (write(fd, record.data(), record.size()) != static_cast<ssize_t>(record.size()) ||
        fdatasync(fd) != 0) {
      close(fd);
      return std::nullopt;
    }
    ms.push_back(Millis(Clock::now() - started));
  }
  double total_s = Millis(Clock::now() - begun) / 1000.0;
  close(fd);
  return SyncCost{Percentile(ms, 50), Percentile(ms, 99), count / total_s};
}

std::string StampScript(const std::string& stamps) {
  return "#!/bin/sh\n"
         "# Records when the action started (ns since the epoch), then answers as an exec\n"
         "# driver program does.\n"
         "date +%s%N >> " +
         ShellQuote(stamps) +
         "\n"
         "cat > /dev/null\n"
         "echo '{\"ok\":true}'\n";
}

int Run(const Options& options) {
  if (access(options.actions.c_str(), X_OK) != 0) {
    std::cerr << "no executable cutover-actions at " << options.actions
              << "; build it (make cutover-actions) or pass --actions=PATH\n";
    return 1;
  }
  const std::string firing = testing::ReadFile(options.payloads + "/alertmanager_0.25_firing.json");
  const std::string resolved =
      testing::ReadFile(options.payloads + "/alertmanager_0.25_resolved.json");
  if (firing.find("\"fingerprint\":\"") == std::string::npos ||
      resolved.find("\"fingerprint\":\"") == std::string::npos) {
    std::cerr << options.payloads
              << ": cannot read alertmanager_0.25_firing.json and alertmanager_0.25_resolved.json "
                 "with a fingerprint; pass --payloads=DIR\n";
    return 1;
  }

  // Journal and scripts under /tmp: the filesystem the tests use.
  testing::TempDir dir;
  const std::string payload = dir.Write("firing.json", firing);
  const std::string ours_stamps = dir.File("ours.stamps"), peer_stamps = dir.File("peer.stamps");
  const std::string ours_script = dir.Write("stamp-ours.sh", StampScript(ours_stamps), 0755);
  const std::string peer_script = dir.Write("stamp-peer.sh", StampScript(peer_stamps), 0755);
  const std::string config = dir.Write("cutover.yml",
                                       "clusters:\n"
                                       "- name: fw1\n"
                                       "  driver: exec\n"
                                       "  settings:\n"
                                       "    program: " +
                                           ours_script +
                                           "\n"
                                           "  members:\n"
                                           "  - name: fw1-a\n");
  std::filesystem::create_directory(dir.File("plans"));
  dir.Write("plans/bench-trigger.yml",
            "plan: bench-trigger\n"
            "cluster: fw1\n"
            "description: The captured alert starts the one step; its action stamps the time.\n"
            "steps:\n"
            "  - name: stamp\n"
            "    action: upgrade\n"
            "    members: [fw1-a]\n"
            "    trigger: {alert: UpgradeStuck}\n");
  dir.Write("plans/bench-hold.yml",
            "plan: bench-hold\n"
            "cluster: fw1\n"
            "description: An active run during the intake runs, so each delivery is decided "
            "against it.\n"
            "steps:\n"
            "  - name: hold\n"
            "    action: upgrade\n"
            "    members: [fw1-a]\n"
            "    trigger: {alert: BenchNeverFires}\n");
  const std::string hooks =
      dir.Write("hooks.json",
                "[{\"id\": \"alertmanager\", \"execute-command\": \"/bin/true\",\n"
                "  \"include-command-output-in-response\": true},\n"
                " {\"id\": \"stamp\", \"execute-command\": \"" +
                    peer_script +
                    "\",\n"
                    "  \"include-command-output-in-response\": true}]\n");

  const int ours_port = testing::FreeTcpPort(), peer_port = testing::FreeTcpPort();
  Server ours("cutover-actions",
              {options.actions, "--config.file=" + config, "--plan.file=" + dir.File("plans"),
               "--journal.file=" + dir.File("cutover-actions.journal"),
               "--prometheus.url=http://127.0.0.1:1",
               "--web.listen-address=127.0.0.1:" + std::to_string(ours_port)},
              ours_port, "/api/v1/alertmanager", dir.File("cutover-actions.log"));
  Server peer(
      "webhook",
      {options.peer, "-hooks", hooks, "-ip", "127.0.0.1", "-port", std::to_string(peer_port)},
      peer_port, "/hooks/alertmanager", dir.File("webhook.log"));
  std::string error;
  for (Server* s : {&ours, &peer}) {
    if (!s->Start(&error)) {
      std::cerr << error << "\n";
      return 1;
    }
  }
  ActionsApi api(ours_port);
  auto hold = api.StartRun("bench-hold", &error);
  if (!hold) {
    std::cerr << error << "\n" << ours.Log() << "\n";
    return 1;
  }
  HttpClient http;
  auto first = http.Post(peer.url(), firing, "application/json");
  if (!first.ok || first.status != 200) {
    std::cerr << "webhook did not answer the captured payload with 200: "
              << (first.ok ? std::to_string(first.status) + " " + first.body : first.error) << "\n"
              << peer.Log() << "\n";
    return 1;
  }

  // The disk's own flush latency bounds the intake's: measured before and after, as it
  // changes with what else the machine writes.
  auto syncs_before = MeasureRawSyncs(dir.File("raw-sync-before"), options.syncs);
  if (!syncs_before) {
    std::cerr << "cannot append and fdatasync " << dir.File("raw-sync-before") << "\n";
    return 1;
  }

  std::cerr << "maximum throughput: wrk -t" << options.threads << " -c" << options.connections
            << " -d" << options.seconds << "s against each...\n";
  auto ours_max =
      ours.Wrk(options, "alertmanager_unique.lua", payload, {}, options.seconds, &error);
  auto peer_max =
      ours_max ? peer.Wrk(options, "alertmanager_unique.lua", payload, {}, options.seconds, &error)
               : std::nullopt;
  if (!ours_max || !peer_max) {
    std::cerr << error << "\n";
    return 1;
  }
  std::cerr << "paced at " << options.rate << " deliveries/s...\n";
  auto ours_paced = ours.WrkPaced(options, payload, &error);
  auto peer_paced = ours_paced ? peer.WrkPaced(options, payload, &error) : std::nullopt;
  if (!ours_paced || !peer_paced) {
    std::cerr << error << "\n";
    return 1;
  }
  const double duplicates = api.Deliveries("duplicate"), accepted = api.Deliveries("accepted");
  if (duplicates != 0 || accepted <= 0) {
    std::cerr << "cutover-actions answered " << duplicates << " deliveries as duplicates ("
              << accepted << " accepted): the wrk script must give every delivery its own "
              << "fingerprint, or the benchmark measures no journal writes\n";
    return 1;
  }

  std::cerr << "received -> action started, " << options.repetitions << " repetitions each...\n";
  if (!api.Abort(*hold, &error) || !api.AwaitStates(*hold, "aborted", "", &error)) {
    std::cerr << error << "\n";
    return 1;
  }
  auto ours_overhead =
      MeasureOursOverhead(api, firing, resolved, ours_stamps, options.repetitions, &error);
  auto peer_overhead =
      ours_overhead
          ? MeasurePeerOverhead("http://127.0.0.1:" + std::to_string(peer_port) + "/hooks/stamp",
                                firing, peer_stamps, options.repetitions, &error)
          : std::nullopt;
  if (!ours_overhead || !peer_overhead) {
    std::cerr << error << "\n" << ours.Log() << "\n";
    return 1;
  }

  auto syncs_after = MeasureRawSyncs(dir.File("raw-sync-after"), options.syncs);
  if (!syncs_after) {
    std::cerr << "cannot append and fdatasync " << dir.File("raw-sync-after") << "\n";
    return 1;
  }

  auto ratio = [](double a, double b) { return b > 0 ? Fixed(a / b, 2) : std::string("n/a"); };
  const bool throughput_met = ours_max->requests_per_second >= peer_max->requests_per_second;
  // A p99 at a lower rate than asked says nothing about the target rate.
  const bool rate_reached = ours_paced->requests_per_second >= 0.95 * options.rate;
  const bool p99_met = rate_reached && ours_paced->p99_ms <= 5.0;
  std::printf(
      "\nwrk -t%d -c%d, %d s per run, captured Alertmanager 0.25 payload (%zu bytes), a new "
      "fingerprint per delivery\n\n",
      options.threads, options.connections, options.seconds, firing.size());
  PrintRow("", "cutover-actions", "webhook", "ours/peer", "target");
  PrintRow("max throughput (deliveries/s)", Fixed(ours_max->requests_per_second, 0),
           Fixed(peer_max->requests_per_second, 0),
           ratio(ours_max->requests_per_second, peer_max->requests_per_second),
           std::string(">= 1.00x  ") + (throughput_met ? "met" : "NOT MET"));
  PrintRow("  latency p50 (ms)", Fixed(ours_max->p50_ms, 2), Fixed(peer_max->p50_ms, 2),
           ratio(ours_max->p50_ms, peer_max->p50_ms));
  PrintRow("  latency p99 (ms)", Fixed(ours_max->p99_ms, 2), Fixed(peer_max->p99_ms, 2),
           ratio(ours_max->p99_ms, peer_max->p99_ms));
  PrintRow("  server CPU per delivery (ms)", Fixed(ours_max->cpu_ms_per_request, 3),
           Fixed(peer_max->cpu_ms_per_request, 3),
           ratio(ours_max->cpu_ms_per_request, peer_max->cpu_ms_per_request));
  PrintRow("paced: achieved (deliveries/s)", Fixed(ours_paced->requests_per_second, 0),
           Fixed(peer_paced->requests_per_second, 0),
           ratio(ours_paced->requests_per_second, peer_paced->requests_per_second),
           std::string(">= ") + Fixed(0.95 * options.rate, 0) + "/s  " +
               (rate_reached ? "met" : "NOT MET"));
  PrintRow("  latency p50 (ms)", Fixed(ours_paced->p50_ms, 2), Fixed(peer_paced->p50_ms, 2),
           ratio(ours_paced->p50_ms, peer_paced->p50_ms));
  PrintRow("  latency p99 (ms)", Fixed(ours_paced->p99_ms, 2), Fixed(peer_paced->p99_ms, 2),
           ratio(ours_paced->p99_ms, peer_paced->p99_ms),
           std::string("<= 5 ms  ") + (p99_met ? "met" : "NOT MET"));
  PrintRow("received -> action started, median (ms)", Fixed(Percentile(ours_overhead->ms, 50), 2),
           Fixed(Percentile(peer_overhead->ms, 50), 2),
           ratio(Percentile(ours_overhead->ms, 50), Percentile(peer_overhead->ms, 50)));
  PrintRow("  p99 (ms, nearest rank of " + std::to_string(options.repetitions) + ")",
           Fixed(Percentile(ours_overhead->ms, 99), 2), Fixed(Percentile(peer_overhead->ms, 99), 2),
           ratio(Percentile(ours_overhead->ms, 99), Percentile(peer_overhead->ms, 99)));
  for (const auto& [when, syncs] : {std::pair{"before", *syncs_before}, {"after", *syncs_after}})
    std::printf(
        "%sreference, %s the runs: append 300 B + fdatasync in %s, one writer: median %.2f ms, "
        "p99 %.2f ms, %.0f syncs/s (%d syncs)\n",
        std::string_view(when) == "before" ? "\n" : "", when, dir.path().c_str(), syncs.median_ms,
        syncs.p99_ms, syncs.per_second, options.syncs);
  if (std::max(syncs_before->p99_ms, syncs_after->p99_ms) > 5.0)
    std::printf(
        "note: this disk's own fdatasync p99 is above 5 ms, and an answer waits for at least one "
        "whole fdatasync: no fsync'd intake can meet the p99 target on it right now\n");
  std::printf(
      "cutover-actions decided and journaled %.0f deliveries, 0 answered as duplicates; wrk "
      "socket errors: ours %s, peer %s\n",
      accepted, ours_max->socket_errors.empty() ? "none" : ours_max->socket_errors.c_str(),
      peer_max->socket_errors.empty() ? "none" : peer_max->socket_errors.c_str());
  std::printf("CPU is utime+stime from /proc/<pid>/stat over the run (tick %ld Hz).\n",
              sysconf(_SC_CLK_TCK));
  return throughput_met && p99_met ? 0 : 2;
}

}  // namespace
}  // namespace cutover::bench

int main(int argc, char** argv) {
  cutover::bench::Options options;
  CLI::App app{
      "Compares Alertmanager webhook intake of cutover-actions (fsync'd journal) with Debian's "
      "webhook running a no-op command per delivery, driven by wrk. Exit status: 0 targets met, "
      "2 a target not met, 1 the benchmark could not run."};
  app.add_option("--actions", options.actions, "cutover-actions binary")->capture_default_str();
  app.add_option("--peer", options.peer, "webhook (adnanh/webhook) binary")->capture_default_str();
  app.add_option("--wrk", options.wrk, "wrk binary")->capture_default_str();
  app.add_option("--scripts", options.scripts, "directory of the wrk Lua scripts")
      ->capture_default_str();
  app.add_option("--payloads", options.payloads,
                 "directory holding alertmanager_0.25_firing.json and _resolved.json")
      ->capture_default_str();
  app.add_option("--threads", options.threads, "wrk threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--connections", options.connections, "wrk connections")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--seconds", options.seconds, "duration of each measured wrk run")
      ->check(CLI::Range(1, 600))
      ->capture_default_str();
  app.add_option("--rate", options.rate, "deliveries/s of the paced run")
      ->check(CLI::Range(1.0, 100000.0))
      ->capture_default_str();
  app.add_option("--repetitions", options.repetitions, "received -> action started samples")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  app.add_option("--syncs", options.syncs, "appends + fdatasync of the raw disk reference")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  return cutover::bench::Run(options);
}
