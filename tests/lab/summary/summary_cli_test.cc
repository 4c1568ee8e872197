// cutover-upgrade-summary as lab/run-upgrade.sh runs it at the end of a run, on a copy of
// a real run's work directory: it writes summary.json, prints the operator's summary, and
// refuses an input it cannot read with the file's name.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "common/process.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

const std::string kFixtures =
    std::string(CUTOVER_SOURCE_DIR) + "/tests/lab/summary/fixtures/bgp-pair-rolled-back/";

class UpgradeSummaryTool : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"status.json", "traffic.json", "action-seen.txt"})
      dir_.Write(name, testing::ReadFile(kFixtures + name));
  }

  ProcessResult Run(std::vector<std::string> extra) {
    std::vector<std::string> argv = {
        std::string(CUTOVER_BINARY_DIR) + "/lab/summary/cutover-upgrade-summary",
        "--work-dir",
        dir_.path(),
        "--scenario",
        "bgp-pair",
        "--run-state",
        "rolled_back"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv, {});
  }

  testing::TempDir dir_;
};

TEST_F(UpgradeSummaryTool, WritesSummaryJsonAndPrintsTheSummary) {
  ProcessResult result = Run({});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("== bgp-pair-upgrade: run bgp-pair-upgrade-20261203T134414Z "
                                     "rolled_back\n"));
  EXPECT_THAT(result.out, HasSubstr("\ntimeline: " + dir_.File("timeline.svg") +
                                    "; summary: " + dir_.File("summary.json")));
  rapidjson::Document summary;
  summary.Parse(testing::ReadFile(dir_.File("summary.json")).c_str());
  ASSERT_TRUE(summary.IsObject());
  EXPECT_STREQ(summary["run_state"].GetString(), "rolled_back");
  EXPECT_EQ(summary["sessions_kept"].GetUint64(), 1000u);
  EXPECT_TRUE(summary["invalid_drops_total"].IsNull());
}

TEST_F(UpgradeSummaryTool, TheProductsCountersAddTheirColumnWhenTheDriverExportsThem) {
  ProcessResult result = Run({"--product-counters", kFixtures + "member-counter-range.json"});
  ASSERT_EQ(result.exit_status, 0) << result.err;
  EXPECT_THAT(result.out, HasSubstr("invalid drops"));

  ProcessResult not_exported =
      Run({"--product-counters", kFixtures + "invalid-drops-not-exported.json"});
  ASSERT_EQ(not_exported.exit_status, 0) << not_exported.err;
  EXPECT_THAT(not_exported.out, Not(HasSubstr("invalid drops")));
}

TEST_F(UpgradeSummaryTool, AnUnreadableInputStopsItNamingTheFile) {
  dir_.Write("traffic.json", R"({"sessions_target":"all"})");
  ProcessResult result = Run({});
  EXPECT_EQ(result.exit_status, 1);
  EXPECT_THAT(result.err,
              HasSubstr(dir_.File("traffic.json") + ": sessions_target: expected a whole number"));
}

TEST_F(UpgradeSummaryTool, ACountersFileGivenButMissingIsAnError) {
  ProcessResult missing = Run({"--product-counters", dir_.File("product-counters.json")});
  EXPECT_EQ(missing.exit_status, 1);
  EXPECT_THAT(missing.err, HasSubstr("cannot read " + dir_.File("product-counters.json")));
}

}  // namespace
}  // namespace cutover
