#include "plugins/transport/local_transport.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cutover {
namespace {

using std::chrono::seconds;

TEST(LocalTransport, ReportsStdoutStderrAndExitStatus) {
  LocalTransport local;
  CommandResult r = local.Run({"sh", "-c", "echo out; echo err >&2; exit 3"}, seconds(5));
  ASSERT_TRUE(r.completed) << r.error;
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.Ok());
  EXPECT_TRUE(local.Run({"true"}, seconds(5)).Ok());
}

TEST(LocalTransport, PassesArgumentsWithoutAShell) {
  LocalTransport local;
  CommandResult r = local.Run({"printf", "%s\\n", "$(id)", "a;b", "it's"}, seconds(5));
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_EQ(r.out, "$(id)\na;b\nit's\n");
}

TEST(LocalTransport, RunsBehindItsPrefix) {
  // The prefix is how a member in a network namespace is reached ("ip netns exec fw1");
  // `env NAME=value` stands in for it here.
  LocalTransport in_namespace({"env", "CUTOVER_MEMBER=fw1"});
  CommandResult r = in_namespace.Run({"sh", "-c", "echo $CUTOVER_MEMBER"}, seconds(5));
  ASSERT_TRUE(r.Ok()) << r.Describe();
  EXPECT_EQ(r.out, "fw1\n");
  EXPECT_EQ(in_namespace.Target(), "local 'env' 'CUTOVER_MEMBER=fw1'");
  EXPECT_EQ(LocalTransport().Target(), "local");
}

TEST(LocalTransport, StopsACommandAtTheTimeout) {
  LocalTransport local;
  auto start = std::chrono::steady_clock::now();
  CommandResult r = local.Run({"sleep", "30"}, std::chrono::milliseconds(300));
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
  EXPECT_FALSE(r.completed);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST(LocalTransport, NamesAProgramThatCannotRun) {
  LocalTransport local;
  CommandResult r = local.Run({"/nonexistent/cphaprob"}, seconds(5));
  EXPECT_FALSE(r.completed);
  EXPECT_NE(r.Describe().find("/nonexistent/cphaprob"), std::string::npos) << r.Describe();
}

}  // namespace
}  // namespace cutover
