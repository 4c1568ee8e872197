// Runs commands on a member over SSH (libssh): public-key authentication, host keys
// checked against an operator-managed known_hosts file (unknown and changed keys are
// refused; enrolling is the explicit EnrollHostKey), connect and command timeouts.
// One session per transport, reused across commands and re-established after a failure.
// Used by one thread at a time (libssh sessions are not thread-safe); the caller
// serialises, as for drivers.
#pragma once

#include <memory>
#include <string>

#include "plugins/transport/command_transport.h"

namespace cutover {

struct SshOptions {
  std::string host;
  int port = 22;
  std::string user;
  std::string identity_file;     // private key (OpenSSH or PEM), no passphrase
  std::string known_hosts_file;  // only keys in this file are trusted
  Duration connect_timeout{std::chrono::seconds(5)};
};

// Parses "host", "host:port" or "[v6]:port" into options.host/port; false if malformed.
bool ParseSshAddress(const std::string& address, SshOptions* options);

class SshTransport : public CommandTransport {
 public:
  explicit SshTransport(SshOptions options);
  ~SshTransport() override;
  SshTransport(const SshTransport&) = delete;
  SshTransport& operator=(const SshTransport&) = delete;

  // The command runs as ShellJoin(argv) on the remote login shell. `timeout` bounds the
  // whole call, connect included; on expiry the session is dropped and rebuilt next time.
  CommandResult Run(const std::vector<std::string>& argv, Duration timeout) override;
  std::string Target() const override;

 private:
  struct Session;
  SshOptions options_;
  std::unique_ptr<Session> session_;
};

struct HostKeyEnrollment {
  bool ok = false;
  std::string fingerprint;  // "SHA256:..." of the key the server presented
  std::string key_type;     // e.g. "ssh-ed25519"
  bool already_known = false;
  std::string error;
};

// Connects, reads the server's host key and, unless it is already known, appends it to
// options.known_hosts_file. A key that *changed* is never overwritten: the operator must
// remove the old line first. This is the only place cutover trusts a new host key.
HostKeyEnrollment EnrollHostKey(const SshOptions& options);

}  // namespace cutover
