#include "actions/journal/journal.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "tests/actions/journal/journal_test_peer.h"
#include "tests/support/temp_dir.h"

namespace cutover {
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

// Where Open saves the bytes it cuts off at `offset`.
std::string TornCopy(const std::string& journal, std::uint64_t offset) {
  return journal + ".torn-" + std::to_string(offset);
}

// Names in `dir`, sorted: refusing a journal must not leave anything beside it.
std::vector<std::string> Listing(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// What the engine writes, roughly: JSON decisions of a few hundred bytes.
std::string ManyRecordFile(int records, std::size_t* second_record = nullptr) {
  std::string file;
  for (int i = 0; i < records; ++i) {
    if (i == 1 && second_record != nullptr) *second_record = file.size();
    file += Framed(R"({"type":"alert_received","at_ms":1763702153765,"cluster":"edge",)"
                   R"("detail":"remembered: no run of ha_cluster=edge is active","key":"k)" +
                   std::to_string(i) + R"(","alertname":"CutoverDrainComplete"})");
  }
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
    const std::string copy = TornCopy(path, boundaries[whole]);
    if (length == boundaries[whole]) {
      EXPECT_FALSE(std::filesystem::exists(copy)) << copy;
    } else {
      EXPECT_EQ(ReadFile(copy), full.substr(boundaries[whole], length - boundaries[whole]))
          << "the cut bytes must be kept beside the journal";
      EXPECT_NE(opened.warning.find("saved in " + copy), std::string::npos) << opened.warning;
    }

    std::string error;
    ASSERT_TRUE(opened.journal->Append("after the crash", &error)) << error;
    opened.journal.reset();
    std::vector<std::string> after;
    ASSERT_NE(OpenOk(path, &after), nullptr);
    prefix.push_back("after the crash");
    EXPECT_EQ(after, prefix) << "a record appended after recovery must follow the prefix";
  }
}

TEST(Journal, BitFlipInTheLastWholeRecordIsCorruptionNotATornWrite) {
  // A crash leaves the last record short or zero-filled, never a whole one with a changed
  // bit: that record may have been acknowledged, so dropping it would lose a decision.
  TempDir dir;
  std::string file = ThreeRecordFile();
  file[file.size() - 5] ^= 0x10;
  const std::string path = dir.Write("journal", file, 0600);
  const std::uint64_t two_records = 8 + kThree[0].size() + 8 + kThree[1].size();

  JournalOpenResult opened = Journal::Open(path);
  EXPECT_TRUE(opened.journal == nullptr) << opened.warning;
  EXPECT_NE(opened.error.find("byte offset " + std::to_string(two_records)), std::string::npos)
      << opened.error;
  EXPECT_NE(opened.error.find("checksum mismatch"), std::string::npos) << opened.error;
  EXPECT_EQ(ReadFile(path), file) << "refusing must not change the evidence";
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"journal"});
}

TEST(Journal, LastRecordZeroFilledFromASectorBoundaryIsATornWrite) {
  // The file's new size reached the disk, and the last record's data only up to a sector.
  TempDir dir;
  const std::string head = ThreeRecordFile();
  const std::string last = Framed(std::string(1500, 'w'));
  std::string file = head + last;
  const std::size_t sector = (head.size() / 512 + 1) * 512;
  ASSERT_LT(sector, file.size());
  std::fill(file.begin() + sector, file.end(), '\0');
  const std::string path = dir.Write("journal", file, 0600);

  JournalOpenResult opened = Journal::Open(path);
  ASSERT_NE(opened.journal, nullptr) << opened.error;
  EXPECT_EQ(opened.records, kThree);
  EXPECT_NE(opened.warning.find("checksum mismatch"), std::string::npos) << opened.warning;
  EXPECT_EQ(FileSize(path), head.size());
  EXPECT_EQ(ReadFile(TornCopy(path, head.size())), file.substr(head.size()));
}

TEST(Journal, FlippedLengthBitInTheFirstRecordIsRefusedAndTheFileLeftAlone) {
  // The length now points past the end of the file, as a torn write's would; the records
  // after it show it is not one. This once truncated a 915-run journal to 0 bytes.
  TempDir dir;
  std::size_t second = 0;
  std::string file = ManyRecordFile(200, &second);
  file[2] ^= static_cast<char>(0x80);
  const std::string path = dir.Write("journal", file, 0600);

  JournalOpenResult opened = Journal::Open(path);
  EXPECT_TRUE(opened.journal == nullptr) << opened.warning;
  EXPECT_TRUE(opened.records.empty());
  EXPECT_NE(opened.error.find("corrupt record at byte offset 0"), std::string::npos)
      << opened.error;
  EXPECT_NE(opened.error.find("a whole record starts at byte offset " + std::to_string(second)),
            std::string::npos)
      << opened.error;
  EXPECT_TRUE(ReadFile(path) == file) << "refusing must not change the evidence";
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"journal"});
}

TEST(Journal, NoFlippedHeaderBitIsTakenForATornWriteUnlessTheLastLengthGrew) {
  // Every single-bit flip in the headers of a small journal refuses the file, but one:
  // the last record's length grown past the end of the file looks exactly like a write
  // cut short. That one is dropped, and its bytes are kept beside the journal.
  const std::string file = ThreeRecordFile();
  const std::size_t last = 8 + kThree[0].size() + 8 + kThree[1].size();
  for (std::size_t header : {std::size_t{0}, 8 + kThree[0].size(), last}) {
    for (std::size_t byte = header; byte < header + 8; ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        SCOPED_TRACE("bit " + std::to_string(bit) + " of byte " + std::to_string(byte));
        TempDir dir;
        std::string damaged = file;
        damaged[byte] ^= static_cast<char>(1 << bit);
        const std::string path = dir.Write("journal", damaged, 0600);
        JournalOpenResult opened = Journal::Open(path);
        std::uint32_t length = 0;
        for (int i = 3; i >= 0; --i)
          length = (length << 8) | static_cast<unsigned char>(damaged[last + i]);
        if (header == last && byte < last + 4 && length <= Journal::kMaxRecordBytes &&
            last + 8 + length > damaged.size()) {
          ASSERT_NE(opened.journal, nullptr) << opened.error;
          EXPECT_EQ(ReadFile(TornCopy(path, last)), damaged.substr(last));
        } else {
          EXPECT_TRUE(opened.journal == nullptr) << opened.warning;
          EXPECT_EQ(ReadFile(path), damaged);
        }
      }
    }
  }
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

TEST(Journal, ImpossibleLengthAsTheVeryLastHeaderIsRefused) {
  // Append never writes such a length, and a crash does not invent one.
  TempDir dir;
  std::string file = Framed(kThree[0]) + std::string("\xff\xff\xff\xff\0\0\0\0", 8);
  const std::string path = dir.Write("journal", file, 0600);
  JournalOpenResult opened = Journal::Open(path);
  EXPECT_TRUE(opened.journal == nullptr) << opened.warning;
  EXPECT_NE(opened.error.find("impossible record length 4294967295"), std::string::npos)
      << opened.error;
  EXPECT_EQ(ReadFile(path), file);
}

TEST(Journal, ZeroFilledTailIsDroppedAsATornWriteAndKeptBesideTheJournal) {
  // What a filesystem can leave when the new size reached the disk but the data did not:
  // at most what Append may have written without a sync.
  for (std::size_t zeros : {std::size_t{4096}, Journal::kMaxUnsyncedBytes}) {
    SCOPED_TRACE(std::to_string(zeros) + " zero bytes");
    TempDir dir;
    const std::string head = ThreeRecordFile();
    const std::string path = dir.Write("journal", head + std::string(zeros, '\0'), 0600);
    JournalOpenResult opened = Journal::Open(path);
    ASSERT_NE(opened.journal, nullptr) << opened.error;
    EXPECT_EQ(opened.records, kThree);
    EXPECT_NE(
        opened.warning.find("dropped a torn record of " + std::to_string(zeros) +
                            " bytes at offset " + std::to_string(head.size()) + " (zero bytes"),
        std::string::npos)
        << opened.warning;
    const std::string copy = TornCopy(path, head.size());
    EXPECT_NE(opened.warning.find("saved in " + copy), std::string::npos) << opened.warning;
    EXPECT_EQ(FileSize(path), head.size());
    EXPECT_TRUE(ReadFile(copy) == std::string(zeros, '\0')) << "the cut bytes must be kept";
  }
}

TEST(Journal, ZeroFilledTailLongerThanOneUnsyncedWriteIsRefused) {
  // Append never has more than kMaxUnsyncedBytes written and not yet synced, so a crash
  // cannot explain a longer tail: something else zeroed it.
  TempDir dir;
  const std::string file = ThreeRecordFile() + std::string(Journal::kMaxUnsyncedBytes + 1, '\0');
  const std::string path = dir.Write("journal", file, 0600);
  JournalOpenResult opened = Journal::Open(path);
  EXPECT_TRUE(opened.journal == nullptr) << opened.warning;
  EXPECT_NE(opened.error.find("byte offset " + std::to_string(ThreeRecordFile().size())),
            std::string::npos)
      << opened.error;
  EXPECT_NE(opened.error.find("more than one write"), std::string::npos) << opened.error;
  EXPECT_TRUE(ReadFile(path) == file) << "refusing must not change the evidence";
  EXPECT_EQ(Listing(dir.path()), std::vector<std::string>{"journal"});
}

TEST(Journal, HostileTailIsJudgedInBoundedTimeAndRefusedWhenInDoubt) {
  // A cut-short record followed by a candidate header at every 8th byte, each claiming
  // exactly the rest of the file: checking every candidate's checksum would be quadratic.
  TempDir dir;
  const std::size_t tail = 8u << 20;
  std::string file = Framed(kThree[0]);
  const std::size_t start = file.size();
  file.resize(start + tail, '\0');
  for (std::size_t p = start; p + 8 <= file.size(); p += 8) {
    std::uint32_t length = p == start ? static_cast<std::uint32_t>(Journal::kMaxRecordBytes)
                                      : static_cast<std::uint32_t>(file.size() - p - 8);
    for (int i = 0; i < 4; ++i) file[p + i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    file[p + 4] = '\x5a';  // a checksum that matches nothing here
  }
  const std::string path = dir.Write("journal", file, 0600);
  auto began = std::chrono::steady_clock::now();
  JournalOpenResult opened = Journal::Open(path);
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_TRUE(opened.journal == nullptr) << opened.warning;
  EXPECT_NE(opened.error.find("byte offset " + std::to_string(start)), std::string::npos)
      << opened.error;
  EXPECT_TRUE(ReadFile(path) == file) << "refusing must not change the evidence";
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

// A stand-in disk for the group commit test: each "sync" makes durable what the file held
// when it began, takes 50 ms, and notes the most bytes ever written but not durable.
std::atomic<std::int64_t> durable_bytes{0};
std::atomic<std::int64_t> most_unsynced{0};

void NoteUnsynced(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  std::int64_t unsynced = st.st_size - durable_bytes.load();
  std::int64_t seen = most_unsynced.load();
  while (unsynced > seen && !most_unsynced.compare_exchange_weak(seen, unsynced)) {
  }
}

int SlowSyncNotingUnsynced(int fd) {
  struct stat st {};
  ::fstat(fd, &st);
  NoteUnsynced(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  NoteUnsynced(fd);  // appenders arriving during the sync have written by now
  durable_bytes = st.st_size;
  return 0;
}

TEST(Journal, GroupCommitNeverLeavesMoreThanOneMaximalRecordUnsynced) {
  // Replay relies on this bound to tell a torn write from damage.
  TempDir dir;
  const std::string path = dir.File("journal");
  auto journal = OpenOk(path, nullptr);
  ASSERT_NE(journal, nullptr);
  durable_bytes = 0;
  most_unsynced = 0;
  JournalTestPeer::SetSync(*journal, SlowSyncNotingUnsynced);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 3;
  const std::string record(4u << 20, 'r');
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string error;
        if (!journal->Append(record, &error)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(journal->records_written(), std::uint64_t{kThreads * kPerThread});
  EXPECT_LE(most_unsynced.load(), static_cast<std::int64_t>(Journal::kMaxUnsyncedBytes))
      << "a crash could then leave more than one maximal record torn, and replay would "
         "refuse the journal";
  EXPECT_LT(journal->syncs(), journal->records_written())
      << "records that fit within the bound must still share a sync";
  EXPECT_EQ(FileSize(path), kThreads * kPerThread * (record.size() + 8));
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
