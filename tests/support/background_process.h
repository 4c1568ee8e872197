// A real server started by a test: its own process group, output to a log file, stopped
// (SIGTERM, then SIGKILL) when the object goes away, so no test leaves servers behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace cutover::testing {

class BackgroundProcess {
 public:
  BackgroundProcess() = default;
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Starts argv with stdout and stderr appended to log_file. False if it cannot start.
  bool Start(const std::vector<std::string>& argv, const std::string& log_file);
  bool Running();
  void Stop();
  void Kill();  // SIGKILL, no grace
  pid_t pid() const { return pid_; }
  std::string Log() const;  // the log file's contents, for failure messages

 private:
  pid_t pid_ = -1;
  std::string log_file_;
};

}  // namespace cutover::testing
