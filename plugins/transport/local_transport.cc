#include "plugins/transport/local_transport.h"

#include "common/process.h"

namespace cutover {

CommandResult LocalTransport::Run(const std::vector<std::string>& argv, Duration timeout) {
  std::vector<std::string> full = prefix_;
  full.insert(full.end(), argv.begin(), argv.end());
  ProcessOptions options;
  options.timeout = timeout;
  ProcessResult process = RunProcess(full, options);
  CommandResult result;
  result.completed = process.started && !process.timed_out;
  result.exit_status = process.exit_status;
  result.out = std::move(process.out);
  result.err = std::move(process.err);
  result.error = std::move(process.error);
  return result;
}

std::string LocalTransport::Target() const {
  return prefix_.empty() ? "local" : "local " + ShellJoin(prefix_);
}

}  // namespace cutover
