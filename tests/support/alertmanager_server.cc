#include "tests/support/alertmanager_server.h"

#include "common/process.h"
#include "plugins/transport/http_client.h"
#include "tests/support/net.h"

namespace cutover::testing {
namespace {

// A YAML single-quoted scalar: only the quote itself needs doubling.
std::string YamlQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// amtool reads each label as a matcher: a double-quoted value, with \\, \" and \n
// escaped, arrives as written whatever it contains.
std::string AmtoolLabel(const std::string& name, const std::string& value) {
  std::string out = name + "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out + "\"";
}

}  // namespace

AlertmanagerServer::AlertmanagerServer(AlertmanagerOptions options)
    : options_(std::move(options)) {}

AlertmanagerServer::~AlertmanagerServer() { Stop(); }

bool AlertmanagerServer::Start() {
  std::string group_by;
  for (const auto& label : options_.group_by)
    group_by += (group_by.empty() ? "" : ", ") + YamlQuote(label);
  std::string config =
      "route:\n  receiver: cutover-actions\n  group_by: [" + group_by +
      "]\n  group_wait: " + options_.group_wait + "\n  group_interval: " + options_.group_interval +
      "\n  repeat_interval: " + options_.repeat_interval +
      "\nreceivers:\n- name: cutover-actions\n  webhook_configs:\n  - url: " +
      YamlQuote(options_.webhook_url) +
      "\n    send_resolved: true\n    http_config:\n      authorization:\n        type: Bearer\n"
      "        credentials_file: " +
      YamlQuote(options_.bearer_token_file) + "\n";
  std::string config_file = dir_.Write("alertmanager.yml", config);
  port_ = FreeTcpPort();
  // An empty --cluster.listen-address switches gossip off: one instance, no peers.
  if (!process_.Start({"prometheus-alertmanager", "--config.file=" + config_file,
                       "--storage.path=" + dir_.File("data"),
                       "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                       "--cluster.listen-address=", "--log.level=warn"},
                      dir_.File("alertmanager.log"))) {
    error_ = "cannot start prometheus-alertmanager (is the Debian package installed?)";
    return false;
  }
  HttpClient client;
  bool ready = WaitUntil([&] { return client.Get(url() + "/-/ready").status == 200; },
                         std::chrono::seconds(30), std::chrono::milliseconds(50));
  if (!ready) error_ = "alertmanager did not become ready:\n" + process_.Log();
  return ready;
}

void AlertmanagerServer::Stop() { process_.Stop(); }

bool AlertmanagerServer::Fire(const std::string& alertname, const AlertLabels& labels) {
  return Amtool(alertname, labels, {});
}

bool AlertmanagerServer::Resolve(const std::string& alertname, const AlertLabels& labels) {
  return Amtool(alertname, labels, {"--end=2000-01-01T00:00:00Z"});
}

bool AlertmanagerServer::Amtool(const std::string& alertname, const AlertLabels& labels,
                                const std::vector<std::string>& flags) {
  std::vector<std::string> argv{"amtool", "--alertmanager.url=" + url(), "alert", "add"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back(AmtoolLabel("alertname", alertname));
  for (const auto& [name, value] : labels) argv.push_back(AmtoolLabel(name, value));
  ProcessOptions options;
  options.timeout = std::chrono::seconds(15);
  ProcessResult run = RunProcess(argv, options);
  if (run.started && !run.timed_out && run.exit_status == 0) return true;
  error_ = "amtool alert add " + alertname + " failed (" + run.error + "): " + run.out + run.err;
  return false;
}

}  // namespace cutover::testing
