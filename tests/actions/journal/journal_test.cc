#include "actions/journal/journal.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

namespace cutover {

class JournalTestPeer {
 public:
  static void SetSync(Journal& journal, Journal::SyncFunction sync) { journal.sync_ = sync; }
};

namespace {

using testing::ReadFile;
using testing::TempDir;

std::string Framed(const std::string& payload) {
  std::string frame(8, '\0');
  auto put = [&](std::uint32_t value, std::size_t at) {
    for (int i = 0; i < 4; ++i) frame[at + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  };
  put(static_cast<std::uint32_t>(payload.size()), 0);
  put(Crc32c(payload), 4);
  return frame + payload;
}

std::uint64_t FileSize(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<std::uint64_t>(st.st_size);
}

std::unique_ptr<Journal> OpenOk(const std::string& path, std::vector<std::string>* records) {
  JournalOpenResult opened = Journal::Open(path);
  EXPECT_TRUE(opened.error.empty()) << opened.error;
  if (records != nullptr) *records = opened.records;
  return std::move(opened.journal);
}

// Three records of different shapes, including bytes a text format would mangle.
const std::vector<std::string> kThree = {
    "run fw1 started",
    std::string("binary\0payload\xff\n", 16),
    std::string(300, 'x'),
};

std::string ThreeRecordFile() {
  std::string file;
  for (const auto& r : kThree) file += Framed(r);
  return file;
}

TEST(Crc32c, MatchesTheCastagnoliCheckValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);    // RFC 3720 B.4
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);  // RFC 3720 B.4
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);  // RFC 3720 B.4
}

TEST(Journal, RecordsSurviveCloseAndReopenInOrder) {
  TempDir dir;
  const std::string path = dir.File("journal");
  {
    std::vector<std::string> replayed;
    auto journal = OpenOk(path, &replayed);
    ASSERT_NE(journal, nullptr);
    EXPECT_TRUE(replayed.empty());
    for (const auto& r : kThree) {
      std::string error;
      ASSERT_TRUE(journal->Append(r, &error)) << error;
    }
    EXPECT_EQ(journal->records_written(), 3u);
    EXPECT_EQ(journal->syncs(), 3u) << "one appender: every record needs its own sync";
  }
  EXPECT_EQ(ReadFile(path), ThreeRecordFile()) << "on-disk framing changed";
  JournalOpenResult reopened = Journal::Open(path);
  ASSERT_NE(reopened.journal, nullptr) << reopened.error;
  EXPECT_EQ(reopened.records, kThree);
  EXPECT_EQ(reopened.warning, "");
}

TEST(Journal, NewJournalIsReadableOnlyByItsOwner) {
  TempDir dir;
  auto journal = OpenOk(dir.File("journal"), nullptr);
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("journal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(Journal, CrashAtAnyByteKeepsTheLongestWholePrefixAndAppendsAfterIt) {
  const std::string full = ThreeRecordFile();
  std::vector<std::size_t> boundaries = {0};
  for (const auto& r : kThree) boundaries.push_back(boundaries.back() + 8 + r.size());

  for (std::size_t length = 0; length <= full.size(); ++length) {
    SCOPED_TRACE("file cut at byte " + std::to_string(length) + " of " +
                 std::to_string(full.size()));
    TempDir dir;
    const std::string path = dir.Write("journal", full.substr(0, length), 0600);
    std::size_t whole = 0;
    while (whole < kThree.size() && boundaries[whole + 1] <= length) ++whole;
    std::vector<std::string> prefix(kThree.begin(), kThree.begin() + whole);

    JournalOpenResult opened = Journal::Open(path);
    ASSERT_NE(opened.journal, nullptr) << opened.error;
    EXPECT_EQ(opened.records, prefix);
    if (length == boundaries[whole]) {
      EXPECT_EQ(opened.warning, "") << "a clean end must not warn";
    } else {
      EXPECT_NE(opened.warning.find("dropped a torn record of " +
                                    std::to_string(length - boundaries[whole]) +
                                    " bytes at offset " + std::to_string(boundaries[whole])),
                std::string::npos)
          << opened.warning;
    }
    EXPECT_EQ(FileSize(path), boundaries[whole]) << "torn tail must be truncated away";

    std::string error;
    ASSERT_TRUE(opened.journal->Append("after the crash", &error)) << error;
    opened.journal.reset();
    std::vector<std::string> after;
    ASSERT_NE(OpenOk(path, &after), nullptr);
    prefix.push_back("after the crash");
    EXPECT_EQ(after, prefix) << "a record appended after recovery must follow the prefix";
  }
}

TEST(Journal, BitFlipInTheLastRecordIsATornWrite) {
  TempDir dir;
  std::string file = ThreeRecordFile();
  file[file.size() - 5] ^= 0x10;
  const std::string path = dir.Write("journal", file, 0600);
  const std::uint64_t two_records = 8 + kThree[0].size() + 8 + kThree[1].size();

  JournalOpenResult opened = Journal::Open(path);
  ASSERT_NE(opened.journal, nullptr) << opened.error;
  EXPECT_EQ(opened.records, std::vector<std::string>(kThree.begin(), kThree.begin() + 2));
  EXPECT_NE(opened.warning.find("checksum mismatch"), std::string::npos) << opened.warning;
  EXPECT_NE(opened.warning.find("offset " + std::to_string(two_records)), std::string::npos)
      << opened.warning;
  EXPECT_EQ(FileSize(path), two_records);
}

TEST(Journal, CorruptionBeforeTheEndIsRefusedAndTheFileLeftAlone) {
  TempDir dir;
  std::string file = ThreeRecordFile();
  const std::size_t second = 8 + kThree[0].size();
  file[second + 8 + 3] ^= 0x01;  // inside the second record's payload
  const std::string path = dir.Write("journal", file, 0600);

  JournalOpenResult opened = Journal::Open(path);
  EXPECT_EQ(opened.journal, nullptr) << "a damaged journal must not be used";
  EXPECT_TRUE(opened.records.empty());
  EXPECT_NE(opened.error.find(path), std::string::npos) << opened.error;
  EXPECT_NE(opened.error.find("byte offset " + std::to_string(second)), std::string::npos)
      << opened.error;
  EXPECT_NE(opened.error.find("checksum mismatch"), std::string::npos) << opened.error;
  EXPECT_NE(opened.error.find("move the file aside to start with an empty journal; runs in it "
                              "will be forgotten"),
            std::string::npos)
      << opened.error;
  EXPECT_EQ(ReadFile(path), file) << "refusing must not change the evidence";
}

TEST(Journal, ImpossibleLengthFollowedByDataIsCorruption) {
  TempDir dir;
  std::string file = ThreeRecordFile();
  const std::size_t second = 8 + kThree[0].size();
  file[second + 3] = '\x7f';  // length 0x7f0000xx: far beyond any record Append writes
  const std::string path = dir.Write("journal", file, 0600);

  JournalOpenResult opened = Journal::Open(path);
  EXPECT_EQ(opened.journal, nullptr);
  EXPECT_NE(opened.error.find("impossible record length"), std::string::npos) << opened.error;
  EXPECT_NE(opened.error.find("byte offset " + std::to_string(second)), std::string::npos)
      << opened.error;
  EXPECT_EQ(ReadFile(path), file);
}

TEST(Journal, ImpossibleLengthAsTheVeryLastHeaderIsDropped) {
  TempDir dir;
  std::string file = Framed(kThree[0]) + std::string("\xff\xff\xff\xff\0\0\0\0", 8);
  const std::string path = dir.Write("journal", file, 0600);
  JournalOpenResult opened = Journal::Open(path);
  ASSERT_NE(opened.journal, nullptr) << opened.error;
  EXPECT_EQ(opened.records, std::vector<std::string>{kThree[0]});
  EXPECT_NE(opened.warning, "");
  EXPECT_EQ(FileSize(path), 8 + kThree[0].size());
}

TEST(Journal, ZeroFilledTailIsDroppedAsATornWrite) {
  // What a filesystem can leave when the new size reached the disk but the data did not.
  TempDir dir;
  const std::string path = dir.Write("journal", ThreeRecordFile() + std::string(4096, '\0'), 0600);
  JournalOpenResult opened = Journal::Open(path);
  ASSERT_NE(opened.journal, nullptr) << opened.error;
  EXPECT_EQ(opened.records, kThree);
  EXPECT_NE(opened.warning.find("zero bytes"), std::string::npos) << opened.warning;
  EXPECT_EQ(FileSize(path), ThreeRecordFile().size());
}

TEST(Journal, ZeroHeaderFollowedByRecordsIsCorruption) {
  TempDir dir;
  std::string file = Framed(kThree[0]) + std::string(8, '\0') + Framed(kThree[1]);
  const std::string path = dir.Write("journal", file, 0600);
  JournalOpenResult opened = Journal::Open(path);
  EXPECT_EQ(opened.journal, nullptr);
  EXPECT_NE(opened.error.find("impossible record length 0"), std::string::npos) << opened.error;
}

TEST(Journal, EightThreadsShareSyncsAndLoseNothing) {
  TempDir dir;
  const std::string path = dir.File("journal");
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  auto journal = OpenOk(path, nullptr);
  ASSERT_NE(journal, nullptr);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string error;
        if (!journal->Append(std::to_string(t) + ":" + std::to_string(i), &error)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(journal->records_written(), std::uint64_t{kThreads * kPerThread});
  EXPECT_LT(journal->syncs(), journal->records_written())
      << "concurrent appenders must share fdatasync calls (group commit)";
  journal.reset();

  std::vector<std::string> records;
  ASSERT_NE(OpenOk(path, &records), nullptr);
  ASSERT_EQ(records.size(), std::size_t{kThreads * kPerThread});
  std::vector<int> next(kThreads, 0);
  for (const auto& record : records) {
    auto colon = record.find(':');
    ASSERT_NE(colon, std::string::npos) << record;
    int t = std::stoi(record.substr(0, colon));
    ASSERT_EQ(std::stoi(record.substr(colon + 1)), next[t]) << "thread " << t << " out of order";
    ++next[t];
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread) << "thread " << t;
}

int FailingSync(int) {
  errno = EIO;
  return -1;
}

std::atomic<int> syncs_until_failure{0};
int SyncThenFail(int fd) {
  if (syncs_until_failure.fetch_sub(1) > 0) return ::fdatasync(fd);
  errno = EIO;
  return -1;
}

TEST(Journal, FailedSyncIsNeverReportedDurableAndStopsTheJournal) {
  TempDir dir;
  const std::string path = dir.File("journal");
  auto journal = OpenOk(path, nullptr);
  ASSERT_NE(journal, nullptr);
  std::string error;
  ASSERT_TRUE(journal->Append("before the disk failed", &error)) << error;

  JournalTestPeer::SetSync(*journal, FailingSync);
  EXPECT_FALSE(journal->Append("lost", &error));
  EXPECT_NE(error.find(path), std::string::npos) << error;
  EXPECT_NE(error.find("fdatasync failed: Input/output error"), std::string::npos) << error;

  JournalTestPeer::SetSync(*journal, ::fdatasync);
  error.clear();
  EXPECT_FALSE(journal->Append("after the disk came back", &error))
      << "the kernel may have dropped the unsynced pages; nothing may be called durable again";
  EXPECT_NE(error.find("fdatasync failed"), std::string::npos) << error;
  EXPECT_EQ(journal->records_written(), 2u) << "the refused append must not have been written";
}

TEST(Journal, WaitersOnAFailedSyncAllFail) {
  TempDir dir;
  auto journal = OpenOk(dir.File("journal"), nullptr);
  ASSERT_NE(journal, nullptr);
  syncs_until_failure = 5;
  JournalTestPeer::SetSync(*journal, SyncThenFail);

  constexpr int kThreads = 8;
  std::vector<std::vector<bool>> outcomes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string error;
        outcomes[t].push_back(journal->Append("record", &error));
      }
    });
  }
  for (auto& thread : threads) thread.join();

  int durable = 0;
  for (int t = 0; t < kThreads; ++t) {
    bool failed = false;
    for (bool ok : outcomes[t]) {
      if (ok) {
        ++durable;
        EXPECT_FALSE(failed) << "thread " << t << " saw success after a failure";
      } else {
        failed = true;
      }
    }
    EXPECT_TRUE(failed) << "thread " << t;
  }
  EXPECT_GE(durable, 5) << "each of the 5 good syncs made at least one record durable";
  EXPECT_EQ(journal->syncs(), 6u) << "after the failed sync no more syncs may be attempted";
}

// Restores the file size limit and SIGXFSZ handling however the test ends.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    getrlimit(RLIMIT_FSIZE, &saved_);
    previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    rlimit limited = saved_;
    limited.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limited);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &saved_);
    std::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit saved_{};
  void (*previous_handler_)(int);
};

TEST(Journal, DiskFullMidRecordFailsAndRestartKeepsEveryAcknowledgedRecord) {
  TempDir dir;
  const std::string path = dir.File("journal");
  auto journal = OpenOk(path, nullptr);
  ASSERT_NE(journal, nullptr);
  std::string error;
  ASSERT_TRUE(journal->Append(kThree[0], &error)) << error;
  const std::uint64_t acknowledged = FileSize(path);
  {
    FileSizeLimit limit(acknowledged + 20);  // room for a header and a few bytes
    EXPECT_FALSE(journal->Append(std::string(100, 'y'), &error));
    EXPECT_NE(error.find("wrote only 20 of 108 bytes"), std::string::npos) << error;
  }
  error.clear();
  EXPECT_FALSE(journal->Append("small enough now", &error)) << "a failed journal stays failed";
  EXPECT_NE(error.find("wrote only"), std::string::npos) << error;
  journal.reset();

  JournalOpenResult reopened = Journal::Open(path);
  ASSERT_NE(reopened.journal, nullptr) << reopened.error;
  EXPECT_EQ(reopened.records, std::vector<std::string>{kThree[0]});
  EXPECT_NE(reopened.warning.find("dropped a torn record of 20 bytes"), std::string::npos)
      << reopened.warning;
}

TEST(Journal, RefusesEmptyAndOversizedRecordsWithoutWriting) {
  TempDir dir;
  const std::string path = dir.File("journal");
  auto journal = OpenOk(path, nullptr);
  ASSERT_NE(journal, nullptr);
  std::string error;
  EXPECT_FALSE(journal->Append("", &error));
  EXPECT_NE(error.find("empty record"), std::string::npos) << error;
  EXPECT_FALSE(journal->Append(std::string(Journal::kMaxRecordBytes + 1, 'z'), &error));
  EXPECT_NE(error.find("at most 16777216"), std::string::npos) << error;
  EXPECT_EQ(FileSize(path), 0u);
  EXPECT_TRUE(journal->Append("still usable", &error)) << error;
}

TEST(Journal, SecondOpenOfAJournalInUseIsRefused) {
  TempDir dir;
  const std::string path = dir.File("journal");
  auto first = OpenOk(path, nullptr);
  ASSERT_NE(first, nullptr);
  JournalOpenResult second = Journal::Open(path);
  EXPECT_EQ(second.journal, nullptr);
  EXPECT_NE(second.error.find("already in use"), std::string::npos) << second.error;
  first.reset();
  EXPECT_NE(OpenOk(path, nullptr), nullptr) << "the lock must go with the journal";
}

TEST(Journal, UnusablePathsAreNamedInTheError) {
  TempDir dir;
  JournalOpenResult missing_dir = Journal::Open(dir.File("no-such-dir/journal"));
  EXPECT_EQ(missing_dir.journal, nullptr);
  EXPECT_NE(missing_dir.error.find(dir.File("no-such-dir/journal") + ": cannot open"),
            std::string::npos)
      << missing_dir.error;

  JournalOpenResult directory = Journal::Open(dir.path());
  EXPECT_EQ(directory.journal, nullptr);
  EXPECT_NE(directory.error.find(dir.path()), std::string::npos) << directory.error;
}

}  // namespace
}  // namespace cutover
