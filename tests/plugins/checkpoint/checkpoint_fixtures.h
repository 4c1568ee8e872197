// Fixture files and the stand-in gateway shared by the checkpoint tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/strings.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

inline std::string CheckpointFixtureDir() {
  return std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/checkpoint/fixtures";
}

// The text of tests/plugins/checkpoint/fixtures/<name>; fails loudly if it is missing.
inline std::string CheckpointFixture(const std::string& name) {
  std::string path = CheckpointFixtureDir() + "/" + name;
  if (!std::filesystem::exists(path)) throw std::runtime_error("missing fixture " + path);
  return ReadFile(path);
}

// A private copy of the stand-in commands (tmp/bin) and their state directory
// (tmp/state), set up as a healthy active member of an R81.10 HA cluster whose sync is OK.
class StandinGateway {
 public:
  StandinGateway() {
    std::filesystem::create_directories(dir_.File("state"));
    std::filesystem::copy(std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/checkpoint/standin",
                          bin_dir(), std::filesystem::copy_options::recursive);
    UseFixture("cphaprob_state", "cphaprob_state.r80_40_style.txt");
    UseFixture("cphaprob_state.admin_down", "cphaprob_state.r80_40_admin_down.txt");
    UseFixture("cphaprob_syncstat", "cphaprob_syncstat.r80_20_style.txt");
    UseFixture("fw_ctl_pstat", "fw_ctl_pstat_sync.r80_10_style.txt");
    UseFixture("fw_ver", "fw_ver.txt");
    UseFixture("fw_stat", "fw_stat.txt");
    UseFixture("fw_stat.after_install", "fw_stat.after_install.txt");
    UseFixture("cphacu_start", "cphacu_start.completion.txt");
    SetConnections(742);
  }

  std::string bin_dir() const { return dir_.File("bin"); }
  void SetState(const std::string& file, const std::string& content) {
    dir_.Write("state/" + file, content);
  }
  void RemoveState(const std::string& file) { std::filesystem::remove(dir_.File("state/" + file)); }
  void UseFixture(const std::string& file, const std::string& fixture) {
    SetState(file, CheckpointFixture(fixture));
  }
  void SetConnections(int count) { SetState("connections", std::to_string(count) + "\n"); }
  // Each stand-in invocation in order, e.g. "clusterXL_admin down".
  std::vector<std::string> Invocations() const {
    std::string log = ReadFile(dir_.File("state/invocations.log"));
    std::vector<std::string> lines;
    for (std::string_view line : SplitLines(log)) lines.emplace_back(line);
    return lines;
  }
  void ClearInvocations() { SetState("invocations.log", ""); }

 private:
  TempDir dir_;
};

}  // namespace cutover::testing
