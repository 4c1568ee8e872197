// A request/response client for line-oriented control sockets such as HAProxy's runtime
// API: connect (UNIX path or TCP host:port), send one request, read until the peer closes
// or an end marker arrives, within a deadline. Each call opens its own connection, so one
// instance may be shared by threads.
#pragma once

#include <cstddef>
#include <string>

#include "common/duration.h"

namespace cutover {

struct SocketReply {
  bool ok = false;
  std::string data;
  std::string error;
};

class SocketClient {
 public:
  // "unix:/run/haproxy/admin.sock", "/run/haproxy/admin.sock" or "tcp:127.0.0.1:9999" /
  // "127.0.0.1:9999". A TCP host may be a name, an IPv4 address or "[IPv6]".
  explicit SocketClient(std::string address);

  // Sends `request` plus "\n" and reads until the peer closes the connection (HAProxy's
  // non-interactive mode closes after one command line). The whole exchange, connect
  // included, must finish within `timeout`. A request holding a newline is refused: it
  // would smuggle a second command into a line protocol.
  SocketReply Request(const std::string& request, Duration timeout) const;

  const std::string& address() const { return address_; }

  // A reply beyond `bytes` fails as soon as it is exceeded (the connection is closed), so
  // a confused or hostile peer costs at most that much memory. `setting` names where the
  // operator changes it, e.g. "settings.max_reply_bytes", for the error.
  void set_max_reply_bytes(std::size_t bytes, std::string setting = "") {
    max_reply_bytes_ = bytes;
    max_reply_setting_ = std::move(setting);
  }

  // Why `address` is not something Request could use, or "" when it is well formed.
  static std::string CheckAddress(const std::string& address);

 private:
  std::string address_;
  std::size_t max_reply_bytes_ = 8 * 1024 * 1024;
  std::string max_reply_setting_;
};

}  // namespace cutover
