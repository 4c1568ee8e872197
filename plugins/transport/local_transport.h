// Runs commands on this host, optionally behind a prefix such as
// {"ip", "netns", "exec", "fw1"} for a member living in a local network namespace.
#pragma once

#include "plugins/transport/command_transport.h"

namespace cutover {

class LocalTransport : public CommandTransport {
 public:
  explicit LocalTransport(std::vector<std::string> prefix = {}) : prefix_(std::move(prefix)) {}
  CommandResult Run(const std::vector<std::string>& argv, Duration timeout) override;
  std::string Target() const override;

 private:
  std::vector<std::string> prefix_;
};

}  // namespace cutover
