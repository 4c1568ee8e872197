// Every plan in examples/plans/ passes `cutoverctl check` as shipped, against the
// configuration it names on its "# Checked against:" line (also shipped, and checked
// without a lab up: the check reads clusters, not the lab's SSH key), and again with the
// parameters the lab starts it with: a plan an operator copies is valid before anything is
// filled in.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "common/process.h"

namespace cutover {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The configuration a plan names: "# Checked against: examples/lab/cutover.yml".
std::string ConfigNamedBy(const std::string& plan) {
  const std::string marker = "# Checked against: ";
  std::size_t at = plan.find(marker);
  if (at == std::string::npos) return {};
  std::size_t end = plan.find('\n', at);
  return plan.substr(at + marker.size(), end - at - marker.size());
}

// The values lab/run-upgrade.sh gives each plan.
const std::map<std::string, std::vector<std::string>> kLabParams = {
    {"bgp-pair-upgrade.yml",
     {"firewalls=lab-fw", "routers=lab-fw-bgp", "primary=fw1", "secondary=fw2",
      "primary_paths=rtr-c-fw1,rtr-s-fw1", "secondary_paths=rtr-c-fw2,rtr-s-fw2",
      "primary_steering=rtr-c-fw1,rtr-s-fw1", "secondary_steering=rtr-c-fw2,rtr-s-fw2",
      "old_version=1.0.0", "new_version=2.0.0", "soak_samples=20", "soak_interval=1s",
      "soak_timeout=140s", "traffic_window=6s", "move_window=30s"}},
    {"vrrp-pair-upgrade.yml",
     {"firewalls=lab-fw", "primary=fw1", "secondary=fw2", "old_version=1.0.0", "new_version=2.0.0",
      "soak_samples=20", "soak_interval=1s", "soak_timeout=140s", "traffic_window=6s",
      "move_window=30s"}},
    {"optimal-service-upgrade.yml",
     {"new_version=2.0.0", "old=fw1", "first_new=fw2", "connection_ceiling=5000",
      "drain_deadline=10m", "drain_policy=wait"}},
};

ProcessResult Check(const std::string& config, const fs::path& plan,
                    const std::vector<std::string>& params) {
  std::vector<std::string> argv = {std::string(CUTOVER_BINARY_DIR) + "/actions/cutoverctl", "check",
                                   "--config.file", config, plan.string()};
  for (const std::string& p : params) {
    argv.push_back("--param");
    argv.push_back(p);
  }
  return RunProcess(argv, {});
}

TEST(ShippedPlans, EachPassesCutoverctlCheckAsShippedAndWithTheLabsParameters) {
  const fs::path source(CUTOVER_SOURCE_DIR);
  int plans = 0;
  for (const auto& entry : fs::directory_iterator(source / "examples/plans")) {
    if (entry.path().extension() != ".yml") continue;
    ++plans;
    const std::string name = entry.path().filename().string();
    const std::string text = ReadFile(entry.path());
    SCOPED_TRACE(name);
    EXPECT_EQ(text.find('@'), std::string::npos)
        << "a shipped plan holds no @...@ placeholder for sed to fill in";
    // On a real cluster there is no lab script to run and no traffic generator to read:
    // every step goes through a driver, every gate reads what the product measures.
    EXPECT_EQ(text.find("lab.sh"), std::string::npos) << "a shipped plan runs no lab script";
    EXPECT_EQ(text.find("cutover_traffic_"), std::string::npos)
        << "a shipped plan's gates read the product's metrics, not the lab's witness";
    std::string config = ConfigNamedBy(text);
    ASSERT_FALSE(config.empty()) << "the plan names no configuration (# Checked against: ...)";
    config = (source / config).string();

    ProcessResult shipped = Check(config, entry.path(), {});
    EXPECT_EQ(shipped.exit_status, 0) << shipped.out << shipped.err;
    EXPECT_NE(shipped.out.find(": OK, plan "), std::string::npos) << shipped.out;

    ASSERT_TRUE(kLabParams.count(name)) << "no lab parameters in this test for " << name;
    ProcessResult filled = Check(config, entry.path(), kLabParams.at(name));
    EXPECT_EQ(filled.exit_status, 0) << filled.out << filled.err;

    // A wrong value is refused naming the parameter.
    std::vector<std::string> wrong;
    for (const std::string& p : kLabParams.at(name))
      if (p.rfind("new_version=", 0) != 0) wrong.push_back(p);
    wrong.push_back("new_version=2.0.0 --force");
    ProcessResult refused = Check(config, entry.path(), wrong);
    EXPECT_EQ(refused.exit_status, 1) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("parameter 'new_version' (version)"), std::string::npos)
        << refused.err;
  }
  EXPECT_EQ(plans, 3) << "the plans this test knows; add the new one's lab parameters";
}

// The BGP pair steered by the other knob of the runbook: the members' own announcements,
// AS-path prepended (lab/run-upgrade.sh --steering as-path-prepend). The steering entries
// must be the announcements of the cluster given as routers.
TEST(ShippedPlans, TheBgpPairPlanTakesTheMembersAnnouncementsAsItsSteering) {
  const fs::path source(CUTOVER_SOURCE_DIR);
  const std::string config = (source / "examples/lab/cutover.yml").string();
  const fs::path plan = source / "examples/plans/bgp-pair-upgrade.yml";
  std::vector<std::string> params;
  for (const std::string& p : kLabParams.at("bgp-pair-upgrade.yml"))
    if (p.rfind("routers=", 0) != 0 && p.find("_steering=") == std::string::npos)
      params.push_back(p);
  params.insert(params.end(), {"routers=lab-fw-bgp-announce", "primary_steering=fw1-announce",
                               "secondary_steering=fw2-announce"});
  ProcessResult announcements = Check(config, plan, params);
  EXPECT_EQ(announcements.exit_status, 0) << announcements.out << announcements.err;

  // The runbook's other way out for the primary: its interfaces forced down.
  std::vector<std::string> interfaces = params;
  interfaces.push_back("primary_move=interfaces");
  ProcessResult by_interfaces = Check(config, plan, interfaces);
  EXPECT_EQ(by_interfaces.exit_status, 0) << by_interfaces.out << by_interfaces.err;
  EXPECT_NE(by_interfaces.out.find("24 steps"), std::string::npos) << by_interfaces.out;
  interfaces.back() = "primary_move=links";
  ProcessResult unknown_move = Check(config, plan, interfaces);
  EXPECT_NE(unknown_move.err.find("\"links\" is not one of policy, interfaces"), std::string::npos)
      << unknown_move.err;

  params.back() = "secondary_steering=fw2";
  ProcessResult refused = Check(config, plan, params);
  EXPECT_EQ(refused.exit_status, 1) << refused.out;
  EXPECT_NE(refused.err.find("\"fw2\", which is not a member of cluster \"lab-fw-bgp-announce\""),
            std::string::npos)
      << refused.err;
}

// The control experiment's plan (tests/e2e/plans/) takes the shipped plan's parameters,
// as run-upgrade.sh passes them; a slip in it fails here, not minutes into the lab test.
TEST(ShippedPlans, TheForcedMovePlanOfTheE2eTestsLoadsWithTheSameParameters) {
  const fs::path source(CUTOVER_SOURCE_DIR);
  ProcessResult filled = Check((source / "examples/lab/cutover.yml").string(),
                               source / "tests/e2e/plans/forced-move-without-sync.yml",
                               kLabParams.at("bgp-pair-upgrade.yml"));
  EXPECT_EQ(filled.exit_status, 0) << filled.out << filled.err;
}

}  // namespace
}  // namespace cutover
