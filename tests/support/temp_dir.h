// A directory under /tmp removed with its contents when the object goes away.
#pragma once

#include <string>

namespace cutover::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes `content` to path()/name with `mode` and returns the full path.
  std::string Write(const std::string& name, const std::string& content, int mode = 0644) const;

 private:
  std::string path_;
};

std::string ReadFile(const std::string& path);

}  // namespace cutover::testing
