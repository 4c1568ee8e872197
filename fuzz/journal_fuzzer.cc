// A journal file as a crash, a failing disk or a hand edit may leave it. The contract:
// Open either refuses the file and leaves it byte for byte as it was, or reads it, and
// then it keeps a prefix of the file that is exactly the records it returned, having cut
// at most one torn tail (kHeaderBytes + kMaxRecordBytes), whose bytes it saved beside it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "actions/journal/journal.h"

namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One directory per fuzzing process (libFuzzer -jobs/-workers run several at once).
// Never destroyed, so the atexit clean-up can still read it.
const fs::path& Dir() {
  static const fs::path* dir = [] {
    auto* d = new fs::path(fs::temp_directory_path() /
                           ("cutover-journal-fuzz-" + std::to_string(getpid())));
    fs::create_directories(*d);
    std::atexit([] { fs::remove_all(Dir()); });
    return d;
  }();
  return *dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (const auto& entry : fs::directory_iterator(Dir())) fs::remove(entry.path());
  const fs::path path = Dir() / "journal";
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }

  cutover::JournalOpenResult opened = cutover::Journal::Open(path.string());
  const bool refused = opened.journal == nullptr;
  opened.journal.reset();  // releases the flock; the file is final now
  const std::string after = ReadAll(path);

  if (refused) {
    if (after != input) __builtin_trap();  // refused, yet changed
    return 0;
  }
  if (input.substr(0, after.size()) != after) __builtin_trap();  // kept bytes are not a prefix
  const std::size_t cut = input.size() - after.size();
  if (cut > cutover::Journal::kHeaderBytes + cutover::Journal::kMaxRecordBytes)
    __builtin_trap();  // truncated beyond a torn tail
  std::size_t framed = 0;
  for (const std::string& record : opened.records)
    framed += cutover::Journal::kHeaderBytes + record.size();
  if (framed != after.size()) __builtin_trap();  // kept bytes that are not records
  if (cut > 0) {
    const fs::path torn = Dir() / ("journal.torn-" + std::to_string(after.size()));
    if (ReadAll(torn) != input.substr(after.size())) __builtin_trap();  // cut bytes lost
  }
  return 0;
}
