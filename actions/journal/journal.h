// The action daemon's durable memory: an append-only file of records, each fsync'd before
// Append returns, replayed at start. Concurrent appenders share fsyncs (group commit).
// Thread-safe.
//
// On disk a record is [u32 little-endian length][u32 CRC-32C of the payload][payload].
// A record cut short at the end of the file (a crash mid-write) is dropped and the file
// truncated to the last whole record; a bad record anywhere else is corruption, and Open
// refuses the file rather than guess. One process at a time: Open takes an exclusive
// flock and refuses a journal another process (or another Journal) holds.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

struct JournalOpenResult;

class Journal {
 public:
  // Larger records are refused by Append; a larger length on disk is a damaged header.
  static constexpr std::size_t kMaxRecordBytes = 16u << 20;

  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens or creates `path` and returns every intact record in order.
  static JournalOpenResult Open(const std::string& path);

  // Returns once the record is durable. False (with *error) when it could not be
  // written or synced; the caller must then not act on it. After the first write or
  // sync failure every later Append fails too: the kernel may have dropped the unsynced
  // pages, so nothing written since could honestly be called durable. Empty records and
  // records over kMaxRecordBytes are refused without touching the file.
  bool Append(std::string_view record, std::string* error);

  std::uint64_t records_written() const;
  std::uint64_t syncs() const;  // fsyncs performed; < records_written under group commit

 private:
  friend class JournalTestPeer;  // swaps sync_ to simulate a failing disk
  using SyncFunction = int (*)(int fd);

  explicit Journal(int fd, std::string path);
  // Waits until record `seq` is durable, leading a sync when none is running.
  bool WaitDurable(std::unique_lock<std::mutex>& lock, std::uint64_t seq, std::string* error);
  void Fail(std::string why);  // with mutex_ held

  int fd_;
  std::string path_;
  SyncFunction sync_;
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
