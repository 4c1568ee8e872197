// What the cutover-actions integration tests stand on: cluster members played by a small
// exec-driver program that logs every action it is asked to perform, an exporter whose
// values the test sets (and which counts the logged actions, so after-gates can see an
// action took effect), and the real cutover-actions and cutoverctl binaries.
#pragma once

#include <sys/types.h>

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/process.h"
#include "common/web_server.h"
#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

// One line of the members' action log: the perform request exactly as the exec program
// received it.
struct PerformedAction {
  std::string action;
  std::string member;
  std::map<std::string, std::string> params;
  std::string raw;  // the JSON line as received
};

// The exec-driver program that plays every member of the test cluster. A perform appends
// the request (one JSON line) to actions.log, then takes `perform_seconds` to answer
// {"ok":true}, as a slow upgrade would; a probe answers up.
class MemberProgram {
 public:
  MemberProgram(const TempDir& dir, double perform_seconds);
  ~MemberProgram();  // kills performs still under way (their daemon may be gone)
  const std::string& path() const { return path_; }
  const std::string& log_file() const { return log_file_; }
  std::vector<PerformedAction> Performed() const;
  // "start_drain fw1" lines, in the order performed, for failure messages and comparisons.
  std::vector<std::string> Summary() const;

 private:
  std::string path_;
  std::string log_file_;
  std::string pids_file_;
};

// The cluster configuration cutover-actions loads: cluster "edge", members fw1 and fw2,
// both played by `program`.
std::string EdgeClusterConfig(const std::string& program);

// An exporter on 127.0.0.1:0 that Prometheus scrapes: cutover_member_connections per
// member as the test sets it, and cutover_test_actions_performed{member,action}, the
// number of lines of the action log for that pair (0 for pairs never performed).
class TestExporter {
 public:
  explicit TestExporter(std::string action_log);
  bool Start(std::string* error);
  void SetConnections(const std::string& member, double value);
  std::string target() const;  // "127.0.0.1:PORT"

 private:
  std::string Metrics();

  std::string action_log_;
  std::mutex mutex_;
  std::map<std::string, double> connections_;
  WebServer server_;
};

// The real cutover-actions binary with a bearer token, a journal and the plans of one
// directory. Start() again after Kill() is a restart with the same journal.
class ActionsDaemon {
 public:
  ActionsDaemon(const TempDir& dir, const std::string& config_file,
                const std::string& prometheus_url);
  ~ActionsDaemon();
  std::string AddPlan(const std::string& name, const std::string& yaml);  // returns the file
  bool Start();  // on a fresh loopback port; waits for /-/ready
  void Kill();   // SIGKILL: no chance to finish anything
  void Stop();   // SIGTERM
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& token() const { return token_; }
  const std::string& token_file() const { return token_file_; }
  const std::string& journal_file() const { return journal_file_; }
  // --web.max-body-bytes of the next Start() (65536 unless set).
  void set_max_body_bytes(std::size_t bytes) { max_body_bytes_ = bytes; }
  std::string webhook_url() const { return url() + "/api/v1/alertmanager"; }
  std::string Log() const { return process_.Log(); }

  // cutoverctl --url=... --token-file=... args...
  ProcessResult Ctl(const std::vector<std::string>& args) const;
  std::string Status() const;  // `cutoverctl status` as an operator reads it
  // From `cutoverctl status --json`: the only run's id, its state, a step's state.
  std::string RunId() const;
  std::string RunState() const;
  std::string StepState(const std::string& step) const;
  // The daemon's /metrics sample with exactly these labels, or -1.
  double Metric(const std::string& name_and_labels) const;

 private:
  std::string dir_;
  std::string config_file_;
  std::string prometheus_url_;
  std::string plans_dir_;
  std::string journal_file_;
  std::string token_;
  std::string token_file_;
  BackgroundProcess process_;
  int port_ = 0;
  std::size_t max_body_bytes_ = 65536;
};

std::string CutoverActionsBinary();
std::string CutoverctlBinary();
// A YAML single-quoted scalar holding `value` byte for byte.
std::string YamlSingleQuoted(const std::string& value);
off_t FileSize(const std::string& path);
// The single value of a Prometheus instant-query answer, or -1 when there is none.
double PrometheusValue(const std::string& query_json);

}  // namespace cutover::testing
