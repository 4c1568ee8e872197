#include "common/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/strings.h"

namespace cutover {
namespace {

// A token is short; anything this large is the wrong file.
constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::string Mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Opens `path` for reading without blocking and checks what it is; -1 with *error set
// when it may not hold a secret.
int OpenSecretFile(const std::string& path, const std::string& what, std::string* error) {
  const std::string where = what + " " + path;
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
  int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    *error = where + ": cannot open it: " + std::strerror(errno);
    return -1;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    *error = where + ": cannot stat it: " + std::strerror(errno);
  } else if (S_ISDIR(st.st_mode)) {
    *error = where + " is a directory; give the file inside it that holds the secret";
  } else if (!S_ISREG(st.st_mode)) {
    *error = where +
             " is not a regular file (a FIFO, socket or device); give a plain file "
             "written with the secret, mode 600";
  } else if ((st.st_mode & 077) != 0) {
    *error = where + " has mode " + Mode(st.st_mode) +
             ", so group or others may read or change it; chmod 600 " + path;
  } else {
    return fd;
  }
  close(fd);
  return -1;
}

}  // namespace

std::string CheckSecretFile(const std::string& path, const std::string& what) {
  std::string error;
  int fd = OpenSecretFile(path, what, &error);
  if (fd >= 0) close(fd);
  return error;
}

SecretFileResult ReadSecretFile(const std::string& path, const std::string& what) {
  SecretFileResult result;
  int fd = OpenSecretFile(path, what, &result.error);
  if (fd < 0) return result;
  std::string text;
  char buffer[4096];
  while (text.size() <= kMaxSecretBytes) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result.error = what + " " + path + ": cannot read it: " + std::strerror(errno);
      close(fd);
      return result;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  const std::string where = what + " " + path;
  if (text.size() > kMaxSecretBytes) {
    result.error = where + " is over " + std::to_string(kMaxSecretBytes / 1024) +
                   " KiB; it should hold the secret alone, on one line";
    return result;
  }
  int lines = 0;
  for (std::string_view line : SplitLines(text)) {
    if (Trim(line).empty()) continue;
    if (++lines == 1) result.secret = std::string(Trim(line));
  }
  if (lines == 0) {
    result.error = where + " is empty; write the secret into it on one line";
  } else if (lines > 1) {
    result.secret.clear();
    result.error = where + " holds " + std::to_string(lines) +
                   " non-empty lines; it should hold the secret alone, on one line";
  }
  return result;
}

}  // namespace cutover
