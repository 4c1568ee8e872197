#include "actions/journal/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

namespace cutover {
namespace {

constexpr char kForgetFix[] =
    "move the file aside to start with an empty journal; runs in it will be forgotten";

constexpr std::array<std::uint32_t, 256> MakeCrc32cTable() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
    table[i] = crc;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrc32cTable = MakeCrc32cTable();

std::string Why(int error) { return std::strerror(error); }

std::string Hex32(std::uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) hex.push_back(kDigits[(value >> shift) & 0xFu]);
  return hex;
}

void PutLe32(std::uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFFu);
}

std::uint32_t GetLe32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(in[i]);
  return value;
}

std::string ParentDirectory(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// A new file's directory entry is only durable once its directory is synced.
bool SyncDirectory(const std::string& dir, std::string* error) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    *error = "cannot open directory " + dir + " to sync it: " + Why(errno);
    return false;
  }
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0) {
    *error = "cannot sync directory " + dir + ": " + Why(saved);
    return false;
  }
  return true;
}

bool ReadAll(int fd, std::string* data, std::string* error) {
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = Why(errno);
      return false;
    }
    if (n == 0) return true;
    data->append(buffer, static_cast<std::size_t>(n));
  }
}

bool AllZero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

bool WriteAll(int fd, std::string_view bytes, std::string* error) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = Why(errno);
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

constexpr std::size_t kSectorBytes = 512;

// The frame starting at `offset` of `data`, as far as it goes.
struct Frame {
  enum Kind { kIntact, kNoHeader, kBadLength, kCutShort, kBadChecksum } kind = kNoHeader;
  std::uint32_t length = 0;
  std::uint32_t stored_crc = 0;
  std::uint32_t actual_crc = 0;
  std::size_t end = 0;  // offset just past the frame (kIntact, kBadChecksum)
};

bool SaneLength(std::uint32_t length) { return length != 0 && length <= Journal::kMaxRecordBytes; }

Frame ReadFrame(std::string_view data, std::size_t offset) {
  Frame frame;
  if (data.size() - offset < Journal::kHeaderBytes) return frame;
  frame.length = GetLe32(data.data() + offset);
  frame.stored_crc = GetLe32(data.data() + offset + 4);
  if (!SaneLength(frame.length)) {
    frame.kind = Frame::kBadLength;
    return frame;
  }
  if (data.size() - offset - Journal::kHeaderBytes < frame.length) {
    frame.kind = Frame::kCutShort;
    return frame;
  }
  frame.end = offset + Journal::kHeaderBytes + frame.length;
  frame.actual_crc = Crc32c(data.substr(offset + Journal::kHeaderBytes, frame.length));
  frame.kind = frame.actual_crc == frame.stored_crc ? Frame::kIntact : Frame::kBadChecksum;
  return frame;
}

// Looks for an intact frame starting anywhere at or after `from`. Candidates are few in
// real journals (JSON payloads never make a sane length), but hostile bytes could make
// every offset one, so the checksumming is capped and running out means "cannot tell".
enum class Search { kNone, kFound, kTooCostly };
Search FindIntactFrame(std::string_view data, std::size_t from, std::size_t* found) {
  std::size_t budget = Journal::kMaxSearchBytes;
  for (std::size_t p = from; p + Journal::kHeaderBytes <= data.size(); ++p) {
    std::uint32_t length = GetLe32(data.data() + p);
    if (!SaneLength(length) || data.size() - p - Journal::kHeaderBytes < length) continue;
    if (length > budget) return Search::kTooCostly;
    budget -= length;
    if (Crc32c(data.substr(p + Journal::kHeaderBytes, length)) == GetLe32(data.data() + p + 4)) {
      *found = p;
      return Search::kFound;
    }
  }
  return Search::kNone;
}

// Whether the file reads zeros from a sector boundary inside [start, end) to its end:
// what a last record whose size reached the disk before its data looks like.
bool ZeroFilledFromASectorWithin(std::string_view data, std::size_t start, std::size_t end) {
  std::size_t zeros_from = data.size();
  while (zeros_from > start && data[zeros_from - 1] == 0) --zeros_from;
  std::size_t first = std::max(zeros_from, start + 1);
  std::size_t sector = (first + kSectorBytes - 1) / kSectorBytes * kSectorBytes;
  return sector < end;
}

// What follows the last whole record: nothing, a write cut short by a crash (safe to
// drop: no acknowledged record is in it), or damage (refuse the file).
struct Replay {
  enum Tail { kClean, kTorn, kCorrupt } tail = kClean;
  std::vector<std::string> records;
  std::size_t good_bytes = 0;  // end of the last whole record
  std::string reason;
};

std::string Bytes(std::size_t n) { return std::to_string(n) + " bytes"; }

Replay ReplayRecords(std::string_view data) {
  Replay replay;
  std::size_t offset = 0;
  Frame frame;
  while (offset < data.size()) {
    frame = ReadFrame(data, offset);
    if (frame.kind != Frame::kIntact) break;
    replay.records.emplace_back(data.substr(offset + Journal::kHeaderBytes, frame.length));
    offset = frame.end;
  }
  replay.good_bytes = offset;
  if (offset == data.size()) return replay;

  const std::size_t tail = data.size() - offset;
  auto torn = [&](std::string reason) {
    replay.tail = Replay::kTorn;
    replay.reason = std::move(reason);
    return std::move(replay);
  };
  auto corrupt = [&](std::string reason) {
    replay.tail = Replay::kCorrupt;
    replay.reason = std::move(reason);
    return std::move(replay);
  };
  if (tail > Journal::kMaxUnsyncedBytes) {
    return corrupt(Bytes(tail) + " from there to the end of the file hold no whole record, " +
                   "more than one write can leave unsynced (" + Bytes(Journal::kMaxUnsyncedBytes) +
                   "), so a crash cannot explain them");
  }
  if (frame.kind == Frame::kNoHeader) return torn("an incomplete header");
  if (AllZero(data.substr(offset))) {
    return torn("zero bytes (the file size reached the disk before its data)");
  }
  const std::string cut_short = "a record of " + Bytes(frame.length) + " with only " +
                                Bytes(tail - Journal::kHeaderBytes) + " written";
  switch (frame.kind) {
    case Frame::kBadLength:
      return corrupt("impossible record length " + std::to_string(frame.length) +
                     " (records are 1 to " + std::to_string(Journal::kMaxRecordBytes) +
                     " bytes), which Append never writes and a crash does not make");
    case Frame::kCutShort: {
      std::size_t later = 0;
      switch (FindIntactFrame(data, offset + 1, &later)) {
        case Search::kNone:
          return torn(cut_short);
        case Search::kFound:
          return corrupt(cut_short + ", yet a whole record starts at byte offset " +
                         std::to_string(later) +
                         ", so its length is damaged: a crash cuts only the last record");
        case Search::kTooCostly:
          return corrupt(cut_short + ", and telling whether whole records follow it would " +
                         "take more than " + Bytes(Journal::kMaxSearchBytes) +
                         " of checksumming, so it is refused rather than guessed a crash");
      }
      break;
    }
    case Frame::kBadChecksum: {
      std::string mismatch = "checksum mismatch (stored " + Hex32(frame.stored_crc) +
                             ", computed " + Hex32(frame.actual_crc) + ")";
      if (ZeroFilledFromASectorWithin(data, offset, frame.end)) {
        return torn(mismatch + " in the last record, zeros from a sector boundary on");
      }
      if (frame.end == data.size()) {
        return corrupt(mismatch +
                       " in the last record, which is whole: a crash leaves a "
                       "record short or zero-filled, not altered");
      }
      return corrupt(mismatch + ", with " + Bytes(data.size() - offset) +
                     " from there to the end of the file");
    }
    case Frame::kIntact:
    case Frame::kNoHeader:
      break;
  }
  return corrupt("unreadable record");
}

// Copies the bytes about to be cut off to a new file beside the journal, durably, and
// returns its name in *saved.
bool SaveTornTail(const std::string& path, std::size_t offset, std::string_view bytes,
                  std::string* saved, std::string* error) {
  const std::string base = path + ".torn-" + std::to_string(offset);
  int fd = -1;
  for (int n = 1; n <= 100 && fd < 0; ++n) {
    *saved = n == 1 ? base : base + "." + std::to_string(n);
    fd = ::open(saved->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      *error = "cannot create " + *saved + ": " + Why(errno);
      return false;
    }
  }
  if (fd < 0) {
    *error = "cannot create " + base + ": 100 earlier copies are in the way";
    return false;
  }
  std::string why;
  bool ok = WriteAll(fd, bytes, &why);
  if (ok && ::fsync(fd) != 0) {
    why = Why(errno);
    ok = false;
  }
  ::close(fd);
  if (!ok) {
    ::unlink(saved->c_str());
    *error = "cannot write " + *saved + ": " + why;
    return false;
  }
  return SyncDirectory(ParentDirectory(path), error);
}

}  // namespace

std::uint32_t Crc32c(std::string_view data) {
  std::uint32_t crc = 0xFFFFFFFFu;
  for (char c : data) {
    crc = (crc >> 8) ^ kCrc32cTable[(crc ^ static_cast<unsigned char>(c)) & 0xFFu];
  }
  return crc ^ 0xFFFFFFFFu;
}

Journal::Journal(int fd, std::string path) : fd_(fd), path_(std::move(path)), sync_(::fdatasync) {}

Journal::~Journal() { ::close(fd_); }

JournalOpenResult Journal::Open(const std::string& path) {
  JournalOpenResult result;
  const std::string name = "journal " + path;
  bool created = false;
  int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    created = fd >= 0;
    if (fd < 0 && errno == EEXIST) fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
  }
  if (fd < 0) {
    result.error = name + ": cannot open: " + Why(errno) +
                   " (the directory must exist and be writable by cutover-actions)";
    return result;
  }
  auto refuse = [&](std::string why) {
    ::close(fd);
    result.error = name + ": " + std::move(why);
    return std::move(result);
  };
  struct stat st {};
  if (::fstat(fd, &st) != 0) return refuse("cannot stat: " + Why(errno));
  if (!S_ISREG(st.st_mode)) return refuse("not a regular file; point the journal at a file path");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      return refuse(
          "already in use by another process; run one cutover-actions per journal, or stop "
          "the other one first");
    }
    return refuse("cannot lock: " + Why(errno));
  }
  std::string why;
  if (created && !SyncDirectory(ParentDirectory(path), &why)) return refuse(why);

  std::string data;
  if (!ReadAll(fd, &data, &why)) return refuse("cannot read: " + why);
  Replay replay = ReplayRecords(data);
  if (replay.tail == Replay::kCorrupt) {
    std::string keep;
    if (!replay.records.empty()) {
      keep = "to keep the " + std::to_string(replay.records.size()) +
             " whole records before it and lose what follows, copy the file aside and cut "
             "it there (truncate -s " +
             std::to_string(replay.good_bytes) + " " + path + "); or ";
    }
    return refuse("corrupt record at byte offset " + std::to_string(replay.good_bytes) + ": " +
                  replay.reason + ". The file is left as it is; " + keep + kForgetFix);
  }
  if (replay.tail == Replay::kTorn) {
    std::string_view cut = std::string_view(data).substr(replay.good_bytes);
    const std::string at = std::to_string(replay.good_bytes);
    std::string saved;
    if (!SaveTornTail(path, replay.good_bytes, cut, &saved, &why)) {
      return refuse("cannot keep the torn record at byte offset " + at +
                    " before dropping it: " + why +
                    "; the journal is left as it is (free space or make its directory "
                    "writable, then start again)");
    }
    if (::ftruncate(fd, static_cast<off_t>(replay.good_bytes)) != 0 || ::fsync(fd) != 0) {
      return refuse("cannot drop the torn record at byte offset " + at + ": " + Why(errno) +
                    " (its bytes are saved in " + saved + ")");
    }
    result.warning = name + ": dropped a torn record of " + Bytes(cut.size()) + " at offset " + at +
                     " (" + replay.reason + "; a write cut short by a crash); the cut " +
                     "bytes are saved in " + saved;
  }
  result.records = std::move(replay.records);
  result.journal.reset(new Journal(fd, path));
  return result;
}

bool Journal::Append(std::string_view record, std::string* error) {
  if (record.empty()) {
    *error = "journal " + path_ + ": refusing an empty record";
    return false;
  }
  if (record.size() > kMaxRecordBytes) {
    *error = "journal " + path_ + ": refusing a record of " + std::to_string(record.size()) +
             " bytes (at most " + std::to_string(kMaxRecordBytes) + ")";
    return false;
  }
  std::string frame(kHeaderBytes, '\0');
  PutLe32(static_cast<std::uint32_t>(record.size()), frame.data());
  PutLe32(Crc32c(record), frame.data() + 4);
  frame.append(record);

  std::unique_lock<std::mutex> lock(mutex_);
  // What a crash can tear stays within one maximal record (see the header): a frame that
  // would pass the bound waits for syncs to make room.
  for (;;) {
    if (failed_) {
      *error = failure_;
      return false;
    }
    if (written_bytes_ - synced_bytes_ + frame.size() <= kMaxUnsyncedBytes) break;
    SyncOrWait(lock);
  }
  // One write() per record: a short write leaves one partial record, at the end.
  ssize_t n;
  do {
    n = ::write(fd_, frame.data(), frame.size());
  } while (n < 0 && errno == EINTR);
  if (n < 0 || static_cast<std::size_t>(n) != frame.size()) {
    Fail(n < 0 ? "write failed: " + Why(errno)
               : "wrote only " + std::to_string(n) + " of " + std::to_string(frame.size()) +
                     " bytes (disk full or file size limit?)");
    *error = failure_;
    return false;
  }
  ++written_seq_;
  written_bytes_ += frame.size();
  const std::uint64_t end = written_bytes_;
  while (synced_bytes_ < end) {
    if (failed_) {
      *error = failure_;
      return false;
    }
    SyncOrWait(lock);
  }
  return true;
}

void Journal::SyncOrWait(std::unique_lock<std::mutex>& lock) {
  if (sync_in_progress_) {
    synced_.wait(lock);
    return;
  }
  // Lead a sync covering every record written so far; later writers wait for the next.
  sync_in_progress_ = true;
  const std::uint64_t covers = written_bytes_;
  lock.unlock();
  int rc = sync_(fd_);
  int saved = errno;
  lock.lock();
  sync_in_progress_ = false;
  ++syncs_;
  if (rc != 0) {
    Fail("fdatasync failed: " + Why(saved));
  } else {
    synced_bytes_ = covers;
  }
  synced_.notify_all();
}

void Journal::Fail(std::string why) {
  if (failed_) return;
  failed_ = true;
  failure_ = "journal " + path_ + ": " + std::move(why) +
             "; nothing more will be recorded or acted on until cutover-actions is restarted "
             "(check the disk: full, read-only or failing?)";
}

std::uint64_t Journal::records_written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_seq_;
}

std::uint64_t Journal::syncs() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return syncs_;
}

std::string Journal::failure() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failure_;
}

}  // namespace cutover
