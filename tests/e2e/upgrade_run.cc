#include "tests/e2e/upgrade_run.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace cutover::testing {

std::string UpgradeRun::Explain() const {
  return "run-upgrade.sh exited " + std::to_string(process.exit_status) +
         (process.timed_out ? " (timed out)" : "") + "; its output:\n" + process.err + process.out +
         "\nlogs in " + work_dir;
}

UpgradeRun RunUpgrade(const TempDir& dir, const std::vector<std::string>& args, int sessions,
                      int rate, std::chrono::seconds timeout) {
  UpgradeRun run;
  run.work_dir = dir.File("run");
  std::vector<std::string> argv = {std::string(CUTOVER_SOURCE_DIR) + "/lab/run-upgrade.sh",
                                   "--build-dir",
                                   CUTOVER_BINARY_DIR,
                                   "--work-dir",
                                   run.work_dir,
                                   "--sessions",
                                   std::to_string(sessions),
                                   "--rate",
                                   std::to_string(rate)};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.timeout = timeout;
  run.process = RunProcess(argv, options);
  std::string text = ReadTextFile(run.work_dir + "/summary.json");
  run.summary.Parse(text.c_str());
  return run;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> LabNamespaces() {
  ProcessResult listed = RunProcess({"ip", "netns", "list"}, {});
  std::vector<std::string> found;
  std::istringstream lines(listed.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("co-", 0) == 0) found.push_back(line.substr(0, line.find(' ')));
  return found;
}

std::string StepState(const rapidjson::Document& summary, const std::string& name) {
  for (const auto& step : summary["steps"].GetArray())
    if (name == step["name"].GetString()) return step["state"].GetString();
  return "(no step " + name + ")";
}

const rapidjson::Value* StepGate(const rapidjson::Document& summary, const std::string& step,
                                 const std::string& gate) {
  for (const auto& s : summary["steps"].GetArray()) {
    if (step != s["name"].GetString()) continue;
    for (const auto& g : s["gates"].GetArray())
      if (gate == g["gate"].GetString()) return &g;
  }
  return nullptr;
}

double ActionSeenAt(const rapidjson::Document& summary, const std::string& step) {
  for (const auto& s : summary["steps"].GetArray())
    if (step == s["name"].GetString() && s["action_seen_at"].IsNumber())
      return s["action_seen_at"].GetDouble();
  return 0;
}

std::vector<std::string> DashboardQueriesWithoutData(
    const UpgradeRun& run, const std::vector<std::string>& expected_empty) {
  std::vector<std::string> empty;
  std::istringstream lines(ReadTextFile(run.work_dir + "/dashboard-data.tsv"));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string location, series;
    std::getline(fields, location, '\t');
    std::getline(fields, series, '\t');
    if (series != "0" && series != "error") continue;
    bool expected = std::any_of(
        expected_empty.begin(), expected_empty.end(),
        [&](const std::string& part) { return location.find(part) != std::string::npos; });
    if (!expected) empty.push_back(line);
  }
  return empty;
}

}  // namespace cutover::testing
