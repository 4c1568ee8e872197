#include "tests/actions/api/actions_harness.h"

#include <rapidjson/document.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "common/exposition.h"
#include "common/strings.h"
#include "plugins/transport/command_transport.h"
#include "plugins/transport/http_client.h"
#include "tests/support/net.h"

namespace cutover::testing {
namespace {

// Every action the plans of these tests use; the exporter publishes 0 for each pair not
// yet performed, so a gate on "not yet" or "done" always has a series to read.
const char* const kActions[] = {"disconnect", "connect",      "start_drain", "stop_drain",
                                "upgrade",    "set_priority", "run"};
const char* const kMembers[] = {"fw1", "fw2"};

std::string Str(const rapidjson::Value& v, const char* key) {
  return v.IsObject() && v.HasMember(key) && v[key].IsString() ? v[key].GetString() : "";
}

}  // namespace

std::string CutoverActionsBinary() {
  return std::string(CUTOVER_BINARY_DIR) + "/actions/cutover-actions";
}
std::string CutoverctlBinary() { return std::string(CUTOVER_BINARY_DIR) + "/actions/cutoverctl"; }

std::string YamlSingleQuoted(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

off_t FileSize(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

double PrometheusValue(const std::string& query_json) {
  rapidjson::Document doc;
  doc.Parse(query_json.c_str());
  if (doc.HasParseError() || Str(doc, "status") != "success" || !doc.HasMember("data") ||
      !doc["data"].IsObject() || !doc["data"].HasMember("result"))
    return -1;
  const auto& result = doc["data"]["result"];
  if (!result.IsArray() || result.Size() != 1 || !result[0].HasMember("value")) return -1;
  const auto& sample = result[0]["value"];
  if (!sample.IsArray() || sample.Size() != 2 || !sample[1].IsString()) return -1;
  auto value = ParseDouble(sample[1].GetString());
  return value ? *value : -1;
}

MemberProgram::MemberProgram(const TempDir& dir, double perform_seconds)
    : log_file_(dir.File("actions.log")), pids_file_(dir.File("perform.pids")) {
  // The request is only ever expanded inside double quotes and printed with '%s': this
  // program runs nothing it receives, so anything that does was run by the daemon.
  std::string script = "#!/bin/sh\nrequest=$(cat)\ncase \"$request\" in\n";
  script += "  *'\"operation\":\"perform\"'*)\n";
  script += "    echo $$ >>" + ShellQuote(pids_file_) + "\n";
  script += "    printf '%s\\n' \"$request\" >>" + ShellQuote(log_file_) + "\n";
  script += "    sleep " + std::to_string(perform_seconds) + "\n";
  script += "    printf '{\"ok\":true}\\n' ;;\n";
  script += "  *) printf '{\"up\":true}\\n' ;;\nesac\n";
  path_ = dir.Write("member.sh", script, 0755);
}

MemberProgram::~MemberProgram() {
  // A perform whose daemon was SIGKILLed keeps running (it has its own process group):
  // end the ones still sleeping, checking the pid is still ours before killing.
  const std::string pids = ReadFile(pids_file_);
  for (std::string_view line : SplitLines(pids)) {
    auto pid = ParseUint(Trim(line));
    if (!pid || *pid == 0) continue;
    std::string cmdline = ReadFile("/proc/" + std::to_string(*pid) + "/cmdline");
    if (cmdline.find(path_) != std::string::npos) kill(-static_cast<pid_t>(*pid), SIGKILL);
  }
}

std::vector<PerformedAction> MemberProgram::Performed() const {
  std::vector<PerformedAction> out;
  const std::string log = ReadFile(log_file_);
  for (std::string_view line : SplitLines(log)) {
    if (Trim(line).empty()) continue;
    PerformedAction a;
    a.raw = std::string(line);
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (!doc.HasParseError() && doc.IsObject()) {
      a.action = Str(doc, "action");
      if (doc.HasMember("member")) a.member = Str(doc["member"], "name");
      if (doc.HasMember("params") && doc["params"].IsObject())
        for (const auto& p : doc["params"].GetObject())
          if (p.value.IsString())
            a.params[p.name.GetString()] =
                std::string(p.value.GetString(), p.value.GetStringLength());
    }
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<std::string> MemberProgram::Summary() const {
  std::vector<std::string> out;
  for (const auto& a : Performed()) out.push_back(a.action + " " + a.member);
  return out;
}

std::string EdgeClusterConfig(const std::string& program) {
  return "clusters:\n"
         "  - name: edge\n"
         "    driver: exec\n"
         "    settings: {program: " +
         YamlSingleQuoted(program) +
         ", timeout: 20s}\n"
         "    members: [{name: fw1}, {name: fw2}]\n";
}

TestExporter::TestExporter(std::string action_log)
    : action_log_(std::move(action_log)), server_(WebServerOptions{{"127.0.0.1:0"}, 2}) {
  server_.Handle("GET", "/metrics", [this](const HttpRequest&) {
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = Metrics();
    return r;
  });
}

bool TestExporter::Start(std::string* error) { return server_.Start(error); }

void TestExporter::SetConnections(const std::string& member, double value) {
  std::lock_guard lock(mutex_);
  connections_[member] = value;
}

std::string TestExporter::target() const {
  return "127.0.0.1:" + std::to_string(server_.Ports().at(0));
}

std::string TestExporter::Metrics() {
  std::map<std::pair<std::string, std::string>, double> performed;
  for (const char* m : kMembers)
    for (const char* a : kActions) performed[{m, a}] = 0;
  const std::string log = ReadFile(action_log_);
  for (std::string_view line : SplitLines(log)) {
    rapidjson::Document doc;
    doc.Parse(line.data(), line.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("member")) continue;
    performed[{Str(doc["member"], "name"), Str(doc, "action")}] += 1;
  }
  ExpositionWriter out;
  {
    std::lock_guard lock(mutex_);
    if (!connections_.empty())
      out.Family("cutover_member_connections", "Connections the member carries.", "gauge");
    for (const auto& [member, value] : connections_)
      out.MemberSample("cutover_member_connections", "edge", member, value);
  }
  out.Family("cutover_test_actions_performed",
             "Actions the member program logged, by member and action.", "gauge");
  for (const auto& [key, count] : performed)
    out.MemberSample("cutover_test_actions_performed", "edge", key.first, count,
                     {"action", key.second});
  return out.text();
}

ActionsDaemon::ActionsDaemon(const TempDir& dir, const std::string& config_file,
                             const std::string& prometheus_url)
    : dir_(dir.path()),
      config_file_(config_file),
      prometheus_url_(prometheus_url),
      plans_dir_(dir.File("plans")),
      journal_file_(dir.File("cutover-actions.journal")),
      token_("e2e-" + Fnv1aHex(dir.path())),
      token_file_(dir.Write("token", token_ + "\n", 0600)) {
  std::filesystem::create_directories(plans_dir_);
}

ActionsDaemon::~ActionsDaemon() { Stop(); }

std::string ActionsDaemon::AddPlan(const std::string& name, const std::string& yaml) {
  std::string file = plans_dir_ + "/" + name + ".yml";
  std::ofstream(file, std::ios::binary | std::ios::trunc) << yaml;
  return file;
}

bool ActionsDaemon::Start() {
  port_ = FreeTcpPort();
  if (!process_.Start(
          {CutoverActionsBinary(), "--config.file=" + config_file_, "--plan.file=" + plans_dir_,
           "--journal.file=" + journal_file_, "--prometheus.url=" + prometheus_url_,
           "--prometheus.timeout=2s", "--web.listen-address=127.0.0.1:" + std::to_string(port_),
           "--web.auth-token-file=" + token_file_,
           "--web.max-body-bytes=" + std::to_string(max_body_bytes_), "--log.level=info"},
          dir_ + "/cutover-actions.log"))
    return false;
  HttpClient client;
  return WaitUntil(
      [&] { return process_.Running() && client.Get(url() + "/-/ready").status == 200; },
      std::chrono::seconds(15), std::chrono::milliseconds(20));
}

void ActionsDaemon::Kill() { process_.Kill(); }
void ActionsDaemon::Stop() { process_.Stop(); }

ProcessResult ActionsDaemon::Ctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{CutoverctlBinary(), "--url=" + url(),
                                "--token-file=" + token_file_};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  return RunProcess(argv, options);
}

std::string ActionsDaemon::Status() const {
  ProcessResult r = Ctl({"status"});
  return r.out + r.err;
}

namespace {

const rapidjson::Value* OnlyRun(rapidjson::Document& doc, const std::string& json) {
  doc.Parse(json.c_str());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("runs") || !doc["runs"].IsArray() ||
      doc["runs"].Size() != 1)
    return nullptr;
  return &doc["runs"][0];
}

}  // namespace

std::string ActionsDaemon::RunId() const {
  rapidjson::Document doc;
  const rapidjson::Value* run = OnlyRun(doc, Ctl({"status", "--json"}).out);
  return run ? Str(*run, "id") : "";
}

std::string ActionsDaemon::RunState() const {
  rapidjson::Document doc;
  const rapidjson::Value* run = OnlyRun(doc, Ctl({"status", "--json"}).out);
  return run ? Str(*run, "state") : "";
}

std::string ActionsDaemon::StepState(const std::string& step) const {
  rapidjson::Document doc;
  const rapidjson::Value* run = OnlyRun(doc, Ctl({"status", "--json"}).out);
  if (run == nullptr) return "";
  for (const auto& s : (*run)["steps"].GetArray())
    if (Str(s, "name") == step) return Str(s, "state");
  return "";
}

double ActionsDaemon::Metric(const std::string& name_and_labels) const {
  std::string text = HttpGetBody(port_, "/metrics");
  for (std::string_view line : SplitLines(text)) {
    if (!StartsWith(line, name_and_labels + " ")) continue;
    auto value = ParseDouble(Trim(line.substr(name_and_labels.size() + 1)));
    return value ? *value : -1;
  }
  return -1;
}

}  // namespace cutover::testing
