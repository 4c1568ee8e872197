// What the lab's end-to-end tests stand on: lab/run-upgrade.sh run as an operator runs
// it, and readers of the summary.json it writes (the run, every step and its gates, the
// sessions) and of dashboard-data.tsv (what each dashboard query returned over the run).
#pragma once

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "common/process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

struct UpgradeRun {
  ProcessResult process;
  rapidjson::Document summary;
  std::string work_dir;
  std::string Explain() const;  // exit status, output and where the logs are
};

// lab/run-upgrade.sh --work-dir DIR/run --sessions N --rate N ARGS..., built binaries
// from this build; at most `timeout`.
UpgradeRun RunUpgrade(const TempDir& dir, const std::vector<std::string>& args, int sessions,
                      int rate, std::chrono::seconds timeout);

std::string ReadTextFile(const std::string& path);
std::vector<std::string> LabNamespaces();  // co-* namespaces on this machine

std::string StepState(const rapidjson::Document& summary, const std::string& name);
// The step's last measurement of a gate, as the summary copies it from the run status.
const rapidjson::Value* StepGate(const rapidjson::Document& summary, const std::string& step,
                                 const std::string& gate);
// When run-upgrade.sh first saw the step's action under way (Unix seconds); 0 if never.
double ActionSeenAt(const rapidjson::Document& summary, const std::string& step);
// Each line of dashboard-data.tsv whose query returned no series over the run:
// `location<TAB>series<TAB>expression`, except those whose location contains one of
// `expected_empty` (e.g. "annotation \"Cutover alerts\""): what the scenario has
// nothing to show for.
std::vector<std::string> DashboardQueriesWithoutData(
    const UpgradeRun& run, const std::vector<std::string>& expected_empty = {});

}  // namespace cutover::testing
