// Placeholder until the SSH work lands: every command fails clearly.
#include "plugins/transport/ssh_transport.h"

namespace cutover {

struct SshTransport::Session {};

bool ParseSshAddress(const std::string& address, SshOptions* options) {
  options->host = address;
  return !address.empty();
}

SshTransport::SshTransport(SshOptions options) : options_(std::move(options)) {}
SshTransport::~SshTransport() = default;

CommandResult SshTransport::Run(const std::vector<std::string>&, Duration) {
  CommandResult r;
  r.error = "ssh transport not implemented yet";
  return r;
}

std::string SshTransport::Target() const { return "ssh " + options_.user + "@" + options_.host; }

HostKeyEnrollment EnrollHostKey(const SshOptions&) {
  HostKeyEnrollment e;
  e.error = "not implemented yet";
  return e;
}

}  // namespace cutover
