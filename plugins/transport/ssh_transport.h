// Runs commands on a member over SSH (libssh): public-key authentication, host keys
// checked against an operator-managed known_hosts file (unknown and changed keys are
// refused; enrolling is the explicit EnrollHostKey), connect and command timeouts.
// One session per transport, reused across commands (a channel per command) and
// re-established after a failure. Neither ~/.ssh/config nor /etc/ssh/ssh_known_hosts is
// consulted. Used by one thread at a time (libssh sessions are not thread-safe); the
// caller serialises, as for drivers. Separate transports may run in parallel threads.
#pragma once

#include <cstddef>
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
  // What one command may print, stdout and stderr together. More is a failure (see Run).
  std::size_t max_output_bytes = 4 * 1024 * 1024;
};

// Parses "host", "host:port", "[v6]:port" or "[v6]" into options.host/port (the port
// stays as it was when none is given); false, leaving options alone, if malformed.
bool ParseSshAddress(const std::string& address, SshOptions* options);

class SshTransport : public CommandTransport {
 public:
  explicit SshTransport(SshOptions options);
  ~SshTransport() override;
  SshTransport(const SshTransport&) = delete;
  SshTransport& operator=(const SshTransport&) = delete;

  // The command runs as ShellJoin(argv) on the remote login shell. `timeout` bounds the
  // whole call, connect included; on expiry the session is dropped and rebuilt next time,
  // and the remote command is sent SIGTERM (best effort: OpenSSH ignores it for root
  // logins, so such a command runs on until it ends). Stdin is at EOF. Output beyond
  // options.max_output_bytes fails the command as soon as it arrives (not completed,
  // `error` says so): reading stops, the command is sent SIGTERM, the session is dropped.
  CommandResult Run(const std::vector<std::string>& argv, Duration timeout) override;
  std::string Target() const override;

  // SSH sessions established so far (1 while the first session keeps being reused).
  int connects() const { return connects_; }

 private:
  struct Session;
  SshOptions options_;
  std::unique_ptr<Session> session_;
  int connects_ = 0;
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
