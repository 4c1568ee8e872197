// A request/response client for line-oriented control sockets such as HAProxy's runtime
// API: connect (UNIX path or TCP host:port), send one request, read until the peer closes
// or an end marker arrives, within a deadline. Each call opens its own connection, so one
// instance may be shared by threads.
#pragma once

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
  // "127.0.0.1:9999".
  explicit SocketClient(std::string address);
  SocketReply Request(const std::string& request, Duration timeout) const;
  const std::string& address() const { return address_; }

 private:
  std::string address_;
};

}  // namespace cutover
