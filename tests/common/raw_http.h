// Plain TCP connections to a server on loopback that send exactly the bytes a test
// chooses (malformed, hostile or slow), from any source address in 127.0.0.0/8.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace cutover::testing {

class RawConnection {
 public:
  // Connects from `source` (bound before connecting) to 127.0.0.1:port; check ok().
  RawConnection(int port, const std::string& source = "127.0.0.1");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // False when the bytes cannot be sent (the peer reset the connection).
  bool Send(std::string_view bytes);
  // True once the peer has closed or reset the connection (does not wait).
  bool PeerClosed();
  // Everything that arrives until the peer closes or `timeout` passes.
  std::string ReadUntilClosed(std::chrono::milliseconds timeout);
  // Reads one response (headers and a Content-Length body); "" when none arrives in time.
  std::string ReadResponse(std::chrono::milliseconds timeout);
  // True when the peer has closed (or reset) the connection within `timeout`.
  bool ClosedWithin(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  std::string pending_;
};

// One request on a fresh connection; the response ("" when none came within timeout).
std::string RawExchange(int port, std::string_view request, std::chrono::milliseconds timeout,
                        const std::string& source = "127.0.0.1");

// The status code of a raw response ("HTTP/1.1 200 OK..." gives 200), 0 without a status line.
int RawStatus(const std::string& response);

// Raises the soft open-file limit to the hard one (for tests that open many sockets).
void RaiseOpenFileLimit();

}  // namespace cutover::testing
