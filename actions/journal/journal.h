// The action daemon's durable memory: an append-only file of records, each fsync'd before
// Append returns, replayed at start. Concurrent appenders share fsyncs (group commit).
// Thread-safe.
//
// On disk a record is [u32 little-endian length][u32 CRC-32C of the payload][payload].
//
// A crash may damage only what was written and not yet synced, and Append keeps that to
// at most kMaxUnsyncedBytes (one maximal record): an appender whose record would pass the
// bound first waits for the sync in flight. What a crash leaves of those bytes is a file
// that ends inside a record, or one whose new size reached the disk before (some of) its
// data, which reads back as zeros from a sector boundary on. Open reads whole records from
// the start and drops what follows the last one (the tail) as torn only when a crash
// explains it:
//   - the tail is shorter than a header, or is all zeros;
//   - the tail is a record cut short by the end of the file, and no intact record (sane
//     length, matching checksum) starts anywhere after its first byte: a damaged length
//     pointing past the end betrays itself by the intact records after it;
//   - the tail is a whole record with a bad checksum whose bytes are zeros from a
//     512-byte-aligned file offset inside it to the end of the file.
// and, in every case, the tail is at most kMaxUnsyncedBytes long. Anything else is
// corruption (a bit flip, a zeroed or overwritten stretch, a file edited by hand): Open
// refuses the file, naming the byte offset and the fix, and leaves it byte for byte as it
// was. The search for a later intact record checksums at most kMaxSearchBytes; a tail
// that would need more is refused as well. One damage is indistinguishable from a tear
// and is dropped: a length in the last record grown past the end of the file.
//
// Before cutting a torn tail Open copies it to <journal>.torn-<offset> beside the journal
// (synced, with its directory) and says so in JournalOpenResult::warning; cutover-actions
// logs that at error level. One process at a time: Open takes an exclusive flock and
// refuses a journal another process (or another Journal) holds.
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
  // Action output reaches records (the transports keep up to 4 MiB per stream), so this
  // stays well above it.
  static constexpr std::size_t kMaxRecordBytes = 16u << 20;
  static constexpr std::size_t kHeaderBytes = 8;
  // Written but not yet known durable, at most: what a crash can tear.
  static constexpr std::size_t kMaxUnsyncedBytes = kHeaderBytes + kMaxRecordBytes;
  // Checksumming Open may spend looking for intact records after a cut-short one.
  static constexpr std::size_t kMaxSearchBytes = 4 * kMaxUnsyncedBytes;

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
  // Why Append fails from now on, naming the file and the fix; "" while the journal works.
  std::string failure() const;

 private:
  friend class JournalTestPeer;  // swaps sync_ to simulate a failing disk
  using SyncFunction = int (*)(int fd);

  explicit Journal(int fd, std::string path);
  // Leads a sync of everything written so far, or waits for the one in flight to end.
  // With mutex_ held; releases it meanwhile.
  void SyncOrWait(std::unique_lock<std::mutex>& lock);
  void Fail(std::string why);  // with mutex_ held

  int fd_;
  std::string path_;
  SyncFunction sync_;
  mutable std::mutex mutex_;
  std::condition_variable synced_;
  std::uint64_t written_seq_ = 0;    // records written (not necessarily synced)
  std::uint64_t written_bytes_ = 0;  // since Open
  std::uint64_t synced_bytes_ = 0;   // of written_bytes_, known durable
  bool sync_in_progress_ = false;
  std::uint64_t syncs_ = 0;
  bool failed_ = false;
  std::string failure_;
};

struct JournalOpenResult {
  std::unique_ptr<Journal> journal;  // null on error
  std::vector<std::string> records;
  std::string error;  // why the journal cannot be used (names the file and offset)
  // What Open cut off and where it kept the bytes: "dropped a torn record of 17 bytes at
  // offset 4096 (...); the cut bytes are saved in <journal>.torn-4096". Log it as an error.
  std::string warning;
};

// CRC-32C (Castagnoli), exposed for tests.
std::uint32_t Crc32c(std::string_view data);

}  // namespace cutover
