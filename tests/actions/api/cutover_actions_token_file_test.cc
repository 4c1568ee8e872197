// cutover-actions' --web.auth-token-file at start-up: a file that cannot be the token
// stops the daemon at once with the reason and the fix, instead of hanging it (a FIFO),
// taking part of it (two lines) or trusting a token others can read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/process.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class TokenFileAtStartUp : public ::testing::Test {
 protected:
  ProcessResult CheckConfig(const std::string& token_file) {
    std::string config = dir_.Write("cutover.yml",
                                    "clusters:\n"
                                    "  - name: edge\n"
                                    "    driver: exec\n"
                                    "    settings: {program: /bin/true, timeout: 20s}\n"
                                    "    members: [{name: fw1}, {name: fw2}]\n");
    ProcessOptions options;
    options.timeout = std::chrono::seconds(10);
    return RunProcess({std::string(CUTOVER_BINARY_DIR) + "/actions/cutover-actions",
                       "--config.file=" + config, "--journal.file=" + dir_.File("journal"),
                       "--web.auth-token-file=" + token_file, "--check-config"},
                      options);
  }
  testing::TempDir dir_;
};

TEST_F(TokenFileAtStartUp, AcceptsATokenAloneOnItsLine) {
  ProcessResult r = CheckConfig(dir_.Write("token", "s3cret\r\n\n", 0600));
  EXPECT_EQ(r.exit_status, 0) << r.err;
}

TEST_F(TokenFileAtStartUp, RefusesAFifoWithoutHanging) {
  std::string fifo = dir_.File("token");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  ProcessResult r = CheckConfig(fifo);
  EXPECT_FALSE(r.timed_out) << "start-up hung opening a FIFO as the token file";
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr(fifo), HasSubstr("not a regular file")));
}

TEST_F(TokenFileAtStartUp, RefusesADirectory) {
  std::string dir = dir_.File("tokens");
  ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
  ProcessResult r = CheckConfig(dir);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr(dir), HasSubstr("is a directory")));
}

TEST_F(TokenFileAtStartUp, RefusesATokenOthersCanRead) {
  std::string token = dir_.Write("token", "s3cret\n", 0644);
  ProcessResult r = CheckConfig(token);
  EXPECT_EQ(r.exit_status, 1) << "a world-readable token was accepted";
  EXPECT_THAT(r.err, AllOf(HasSubstr("mode 0644"), HasSubstr("chmod 600 " + token)));
}

TEST_F(TokenFileAtStartUp, RefusesTwoLines) {
  // Which line is the token? Neither guess is safe.
  ProcessResult r = CheckConfig(dir_.Write("token", "old-token\nnew-token\n", 0600));
  EXPECT_EQ(r.exit_status, 1) << "a two-line token file was accepted";
  EXPECT_THAT(r.err, HasSubstr("2 non-empty lines"));
}

}  // namespace
}  // namespace cutover
