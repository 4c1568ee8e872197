// A real OpenSSH server (Debian's /usr/sbin/sshd) on 127.0.0.1 for one test: it makes
// its own host key, a client key pair and a known_hosts file that trusts the host key.
#pragma once

#include <memory>
#include <string>

#include "plugins/transport/ssh_transport.h"
#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

struct SshdOptions {
  // Prepended to PATH for every session, so a directory of stand-in commands (e.g.
  // Check Point's cphaprob) answers in place of the real ones.
  std::string extra_path;
};

class SshdServer {
 public:
  explicit SshdServer(SshdOptions options = {});
  ~SshdServer();

  // Generates keys, writes sshd_config, starts sshd and waits for its port.
  // False (with the reason in error()) if sshd did not come up.
  bool Start();
  void Stop();
  // Restarts sshd on the same port with the same host key.
  bool Restart();
  // Replaces the host key with a freshly generated one and restarts: a client holding
  // the old known_hosts must now refuse the server.
  bool ChangeHostKey();

  int port() const { return port_; }
  const std::string& error() const { return error_; }
  // Options for an SshTransport that trusts this server (user root, client key,
  // known_hosts with the current host key).
  SshOptions ClientOptions() const;
  std::string known_hosts_file() const;  // trusts the host key generated at Start()
  std::string identity_file() const;
  std::string Log() const;

 private:
  bool Launch();
  SshdOptions options_;
  TempDir dir_;
  BackgroundProcess process_;
  int port_ = 0;
  std::string error_;
};

}  // namespace cutover::testing
