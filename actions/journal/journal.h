// The action daemon's durable memory: an append-only file of records, each fsync'd before
// Append returns, replayed at start. Concurrent appenders share fsyncs (group commit).
// Thread-safe.
//
// On disk a record is [u32 little-endian length][u32 CRC-32C of the payload][payload].
// A record cut short at the end of the file (a crash mid-write) is dropped and the file
// truncated to the last whole record; a bad record anywhere else is corruption, and Open
// refuses the file rather than guess.
#pragma once

#include <memory>
#include <mutex>
#include <condition_variable>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

struct JournalOpenResult;

class Journal {
 public:
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens or creates `path` and returns every intact record in order.
  static JournalOpenResult Open(const std::string& path);

  // Returns once the record is durable. False (with *error) when it could not be
  // written or synced; the caller must then not act on it.
  bool Append(std::string_view record, std::string* error);

  std::uint64_t records_written() const;
  std::uint64_t syncs() const;  // fsyncs performed; < records_written under group commit

 private:
  explicit Journal(int fd, std::string path);
  int fd_;
  std::string path_;
  mutable std::mutex mutex_;
  std::condition_variable synced_;
  std::uint64_t written_seq_ = 0;  // records written (not necessarily synced)
  std::uint64_t synced_seq_ = 0;   // records known durable
  bool sync_in_progress_ = false;
  std::uint64_t syncs_ = 0;
  bool failed_ = false;
  std::string failure_;
};

struct JournalOpenResult {
  std::unique_ptr<Journal> journal;  // null on error
  std::vector<std::string> records;
  std::string error;    // why the journal cannot be used (names the file and offset)
  std::string warning;  // e.g. "dropped a torn record of 17 bytes at offset 4096"
};

// CRC-32C (Castagnoli), exposed for tests.
std::uint32_t Crc32c(std::string_view data);

}  // namespace cutover
