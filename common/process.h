// The one way cutover starts a local program: argv only (never a shell), stdin from a
// string, stdout and stderr captured, and a deadline after which the whole process group
// is killed. Thread-safe: each call is independent.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace cutover {

struct ProcessResult {
  bool started = false;    // false: the program could not be executed (see error)
  bool timed_out = false;  // killed at the deadline
  int exit_status = -1;    // exit code, or 128 + signal number
  std::string out;
  std::string err;
  std::string error;  // why it did not start or finish, for the operator
};

struct ProcessOptions {
  std::chrono::milliseconds timeout{10000};
  std::string stdin_data;
  // Output beyond this is discarded (and noted in error) so a runaway program
  // cannot exhaust memory.
  std::size_t max_output_bytes = 4 * 1024 * 1024;
  std::vector<std::string> extra_env;  // "NAME=value" entries added to the environment
};

ProcessResult RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options);

}  // namespace cutover
