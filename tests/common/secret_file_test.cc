#include "common/secret_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(SecretFile, ReadsTheSecretAloneOnItsLine) {
  testing::TempDir dir;
  SecretFileResult r = ReadSecretFile(dir.Write("token", "\n  s3cret \r\n\n", 0600), "--token");
  EXPECT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.secret, "s3cret");
  EXPECT_TRUE(ReadSecretFile(dir.Write("owner-only", "s3cret", 0400), "--token").ok());
}

TEST(SecretFile, RefusesWhatCannotBeTheSecretWithTheReasonAndFix) {
  testing::TempDir dir;
  std::string fifo = dir.File("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(ReadSecretFile(fifo, "--token").error,
              AllOf(HasSubstr("--token " + fifo), HasSubstr("not a regular file")));
  EXPECT_THAT(CheckSecretFile(dir.path(), "identity_file"), HasSubstr("is a directory"));
  std::string group = dir.Write("group", "s3cret\n", 0640);
  EXPECT_THAT(ReadSecretFile(group, "--token").error,
              AllOf(HasSubstr("mode 0640"), HasSubstr("chmod 600 " + group)));
  EXPECT_THAT(ReadSecretFile(dir.Write("two", "a\nb\n", 0600), "--token").error,
              HasSubstr("2 non-empty lines"));
  EXPECT_THAT(ReadSecretFile(dir.Write("empty", " \n", 0600), "--token").error,
              HasSubstr("is empty"));
  EXPECT_THAT(ReadSecretFile(dir.Write("big", std::string(70000, 'x'), 0600), "--token").error,
              HasSubstr("is over 64 KiB"));
  EXPECT_THAT(ReadSecretFile(dir.File("missing"), "--token").error,
              HasSubstr("cannot open it: No such file or directory"));
  EXPECT_TRUE(ReadSecretFile(dir.Write("two", "a\nb\n", 0600), "--token").secret.empty());
}

}  // namespace
}  // namespace cutover
