#include "actions/journal/journal.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

namespace cutover {
namespace {

constexpr std::size_t kHeaderBytes = 8;
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

// How the bytes at `offset` fail to be a record: torn (cut short by a crash, safe to
// drop because nothing whole follows) or corrupt (damage with data after it).
struct BadRecord {
  bool torn = false;
  std::string reason;
};

struct Replay {
  std::vector<std::string> records;
  std::size_t good_bytes = 0;  // end of the last whole record
  std::optional<BadRecord> problem;
};

Replay ReplayRecords(std::string_view data) {
  Replay replay;
  std::size_t offset = 0;
  while (offset < data.size()) {
    std::string_view rest = data.substr(offset);
    replay.good_bytes = offset;
    if (rest.size() < kHeaderBytes) {
      replay.problem = {true, "an incomplete header"};
      return replay;
    }
    std::uint32_t length = GetLe32(rest.data());
    std::uint32_t stored_crc = GetLe32(rest.data() + 4);
    if (length == 0 || length > Journal::kMaxRecordBytes) {
      if (AllZero(rest)) {
        replay.problem = {true, "zero bytes (the file size reached the disk before its data)"};
      } else if (rest.size() == kHeaderBytes) {
        replay.problem = {true, "a header with an impossible length and nothing after it"};
      } else {
        replay.problem = {false, "impossible record length " + std::to_string(length) +
                                     " (records are 1 to " +
                                     std::to_string(Journal::kMaxRecordBytes) + " bytes)"};
      }
      return replay;
    }
    if (rest.size() - kHeaderBytes < length) {
      replay.problem = {true, "a record of " + std::to_string(length) + " bytes with only " +
                                  std::to_string(rest.size() - kHeaderBytes) + " written"};
      return replay;
    }
    std::string_view payload = rest.substr(kHeaderBytes, length);
    std::uint32_t actual_crc = Crc32c(payload);
    if (actual_crc != stored_crc) {
      bool last = rest.size() == kHeaderBytes + length;
      replay.problem = {last, "checksum mismatch (stored " + Hex32(stored_crc) + ", computed " +
                                  Hex32(actual_crc) + ")"};
      return replay;
    }
    replay.records.emplace_back(payload);
    offset += kHeaderBytes + length;
  }
  replay.good_bytes = offset;
  return replay;
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
  if (replay.problem && !replay.problem->torn) {
    std::size_t after = data.size() - replay.good_bytes;
    return refuse("corrupt record at byte offset " + std::to_string(replay.good_bytes) + ": " +
                  replay.problem->reason + ", with " + std::to_string(after) +
                  " bytes from there to the end, so it is not a write cut short by a crash; " +
                  kForgetFix);
  }
  if (replay.problem) {
    std::size_t dropped = data.size() - replay.good_bytes;
    if (::ftruncate(fd, static_cast<off_t>(replay.good_bytes)) != 0 || ::fsync(fd) != 0) {
      return refuse("cannot drop the torn record at byte offset " +
                    std::to_string(replay.good_bytes) + ": " + Why(errno));
    }
    result.warning = name + ": dropped a torn record of " + std::to_string(dropped) +
                     " bytes at offset " + std::to_string(replay.good_bytes) + " (" +
                     replay.problem->reason + "; a write cut short by a crash)";
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
  if (failed_) {
    *error = failure_;
    return false;
  }
  // One write() per record: a crash leaves at most one torn record, at the end.
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
  return WaitDurable(lock, ++written_seq_, error);
}

bool Journal::WaitDurable(std::unique_lock<std::mutex>& lock, std::uint64_t seq,
                          std::string* error) {
  while (synced_seq_ < seq) {
    if (failed_) {
      *error = failure_;
      return false;
    }
    if (sync_in_progress_) {
      synced_.wait(lock);
      continue;
    }
    // Lead a sync covering every record written so far; later writers wait for the next.
    sync_in_progress_ = true;
    std::uint64_t covers = written_seq_;
    lock.unlock();
    int rc = sync_(fd_);
    int saved = errno;
    lock.lock();
    sync_in_progress_ = false;
    ++syncs_;
    if (rc != 0) {
      Fail("fdatasync failed: " + Why(saved));
    } else {
      synced_seq_ = covers;
    }
    synced_.notify_all();
  }
  return true;
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

}  // namespace cutover
