#include "common/process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

namespace cutover {
namespace {

TEST(RunProcess, CapturesStdoutStderrAndExitStatus) {
  ProcessResult r = RunProcess({"sh", "-c", "echo out; echo err >&2; exit 3"}, {});
  EXPECT_TRUE(r.started);
  EXPECT_EQ(r.exit_status, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
}

TEST(RunProcess, PassesArgumentsWithoutAShell) {
  ProcessResult r = RunProcess({"printf", "%s|", "$(id)", "a b", "';'"}, {});
  EXPECT_EQ(r.out, "$(id)|a b|';'|");
}

TEST(RunProcess, FeedsStdin) {
  ProcessOptions options;
  options.stdin_data = std::string(200000, 'x');  // larger than a pipe buffer
  ProcessResult r = RunProcess({"wc", "-c"}, options);
  EXPECT_EQ(r.out, "200000\n");
}

TEST(RunProcess, KillsTheProgramAndItsChildrenAtTheDeadline) {
  ProcessOptions options;
  options.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = RunProcess({"sh", "-c", "sleep 30 & sleep 30"}, options);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_NE(r.error.find("timed out"), std::string::npos);
}

// The daemons block SIGINT and SIGTERM for sigwait; programs they run must not inherit
// that, or they could not be stopped the usual way.
TEST(RunProcess, TheProgramStartsWithNoBlockedSignals) {
  sigset_t term, old;
  sigemptyset(&term);
  sigaddset(&term, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &term, &old);
  ProcessResult r = RunProcess({"grep", "SigBlk", "/proc/self/status"}, {});
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  EXPECT_EQ(r.out, "SigBlk:\t0000000000000000\n");
}

TEST(RunProcess, SaysWhyAProgramCannotStart) {
  ProcessResult r = RunProcess({"/nonexistent/program"}, {});
  EXPECT_FALSE(r.started);
  EXPECT_NE(r.error.find("/nonexistent/program"), std::string::npos);
}

TEST(RunProcess, CapsRunawayOutput) {
  ProcessOptions options;
  options.max_output_bytes = 1000;
  ProcessResult r = RunProcess({"sh", "-c", "head -c 100000 /dev/zero"}, options);
  EXPECT_EQ(r.out.size(), 1000u);
  EXPECT_NE(r.error.find("truncated"), std::string::npos);
}

}  // namespace
}  // namespace cutover
