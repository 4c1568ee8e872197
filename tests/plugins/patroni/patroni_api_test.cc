// The patroni parsers against answers captured from Patroni 3.0.2 (patroni_pair_lab.sh,
// fixtures/README.md): what each member says of itself, what the DCS lists, the dynamic
// configuration in effect, and the revert that is one where `edit-config --apply` is not.
#include "plugins/patroni/patroni_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

std::string Fixture(const std::string& name) {
  return testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/patroni/fixtures/" +
                           name);
}

TEST(PatroniStatus, ThePrimarySaysMasterAndIsReadAsPrimary) {
  auto status = ParsePatroniStatus(Fixture("patroni_p1_primary.json"));
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_EQ(status.value().reported_role, "master") << "Patroni 3.0.2's word";
  EXPECT_EQ(status.value().role, "primary");
  EXPECT_EQ(status.value().state, "running");
  EXPECT_EQ(status.value().patroni_version, "3.0.2");
  EXPECT_EQ(status.value().scope, "blue");
  EXPECT_GE(status.value().server_version, 150000);
  EXPECT_EQ(status.value().timeline, 1);
  EXPECT_FALSE(status.value().system_identifier.empty());
  EXPECT_TRUE(status.value().wal_position.has_value());
  EXPECT_FALSE(status.value().paused);
}

TEST(PatroniStatus, AReplicaReportsWhatItReplayedAndTheSameSystemIdentifier) {
  auto primary = ParsePatroniStatus(Fixture("patroni_p1_primary.json"));
  auto replica = ParsePatroniStatus(Fixture("patroni_p2_replica.json"));
  ASSERT_TRUE(primary.ok() && replica.ok()) << replica.error();
  EXPECT_EQ(replica.value().role, "replica");
  EXPECT_TRUE(replica.value().wal_position.has_value());
  EXPECT_TRUE(replica.value().received_position.has_value());
  EXPECT_EQ(replica.value().system_identifier, primary.value().system_identifier)
      << "one cluster, one system identifier";
}

TEST(PatroniStatus, PauseIsReadWhenPatroniSendsIt) {
  auto paused = ParsePatroniStatus(Fixture("patroni_p1_paused.json"));
  ASSERT_TRUE(paused.ok()) << paused.error();
  EXPECT_TRUE(paused.value().paused);
}

TEST(PatroniStatus, AnUnknownRoleOrForeignAnswerIsAnErrorNeverARole) {
  EXPECT_THAT(ParsePatroniStatus(R"({"state":"running","role":"leader"})").error(),
              HasSubstr("role 'leader', which is none of master, primary"));
  EXPECT_THAT(ParsePatroniStatus(R"({"role":"master"})").error(), HasSubstr("no \"state\""));
  EXPECT_THAT(ParsePatroniStatus("<html>502 Bad Gateway</html>").error(), HasSubstr("not JSON"));
  EXPECT_FALSE(ParsePatroniStatus(Fixture("patroni_p1_primary.json").substr(0, 60)).ok());
}

TEST(PatroniCluster, ListsEveryMemberWithTheReplicasLagInBytes) {
  auto cluster = ParsePatroniCluster(Fixture("cluster_p1_leader.json"));
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  ASSERT_EQ(cluster.value().size(), 2u);
  const PatroniClusterMember& leader = cluster.value()[0];
  const PatroniClusterMember& replica = cluster.value()[1];
  EXPECT_EQ(leader.name, "p1");
  EXPECT_EQ(leader.role, "leader");
  EXPECT_FALSE(leader.lag_bytes.has_value()) << "the leader lags nothing and says nothing";
  EXPECT_EQ(replica.role, "replica");
  EXPECT_EQ(replica.state, "running") << "3.0.2 says running for a streaming replica";
  ASSERT_TRUE(replica.lag_bytes.has_value());
  EXPECT_EQ(*replica.lag_bytes, 0u);
}

TEST(PatroniCluster, AnUnknownLagIsNoFigure) {
  auto cluster = ParsePatroniCluster(
      R"({"members":[{"name":"p2","role":"replica","state":"running","lag":"unknown"}]})");
  ASSERT_TRUE(cluster.ok()) << cluster.error();
  EXPECT_FALSE(cluster.value()[0].lag_bytes.has_value());
  EXPECT_FALSE(ParsePatroniCluster(R"({"scope":"blue"})").ok());
}

TEST(PatroniConfig, ReadsTheValuesInEffectAndWhichAreDefaults) {
  auto config = ParsePatroniConfig(Fixture("config_bootstrap.json"));
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config.value().ttl.value, 30);
  EXPECT_TRUE(config.value().ttl.written);
  EXPECT_EQ(config.value().loop_wait.value, 2);
  auto bare = ParsePatroniConfig(R"({"postgresql":{}})");
  ASSERT_TRUE(bare.ok()) << bare.error();
  EXPECT_EQ(bare.value().retry_timeout.value, 10);
  EXPECT_FALSE(bare.value().retry_timeout.written) << "Patroni's default, in its code";
  EXPECT_EQ(bare.value().maximum_lag_on_failover.value, 1048576);
  EXPECT_THAT(ParsePatroniConfig(R"({"ttl":"86400"})").error(),
              HasSubstr("\"ttl\" is not a whole"));
}

// The runbook's trap: the raise wrote retry_timeout where the backup had none, so
// `edit-config --apply BACKUP` (a merge) keeps 86400. The revert deletes it instead.
TEST(PatroniConfig, TheRevertPutsBackWhatWasMeasuredBeforeTheRaise) {
  auto raised = ParsePatroniConfig(Fixture("config_raised.json"));
  ASSERT_TRUE(raised.ok()) << raised.error();
  EXPECT_EQ(raised.value().ttl.value, 86400);
  EXPECT_EQ(raised.value().retry_timeout.value, 86400);
  PatroniDynamicConfig before;
  before.ttl = {30, true};
  before.loop_wait = {2, true};
  before.retry_timeout = {10, false};
  before.maximum_lag_on_failover = {1048576, true};
  EXPECT_EQ(PatroniRevertPatch(before),
            R"({"ttl":30,"loop_wait":2,"retry_timeout":null,"maximum_lag_on_failover":1048576})");
}

}  // namespace
}  // namespace cutover
