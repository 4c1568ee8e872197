#include "plugins/transport/socket_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "common/strings.h"

namespace cutover {
namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  bool is_unix = false;
  std::string path;  // UNIX
  std::string host;  // TCP
  std::string port;
  std::string error;
};

Endpoint ParseAddress(const std::string& address) {
  Endpoint e;
  std::string_view rest = address;
  bool want_unix = false, want_tcp = false;
  if (StartsWith(rest, "unix:")) {
    want_unix = true;
    rest.remove_prefix(5);
  } else if (StartsWith(rest, "tcp:")) {
    want_tcp = true;
    rest.remove_prefix(4);
  }
  if (want_unix || (!want_tcp && StartsWith(rest, "/"))) {
    e.is_unix = true;
    e.path = std::string(rest);
    if (e.path.empty() || e.path[0] != '/') {
      e.error = "'" + address +
                "': a UNIX socket needs an absolute path, e.g. unix:/run/haproxy/admin.sock";
    } else if (e.path.size() >= sizeof(sockaddr_un{}.sun_path)) {
      e.error = "'" + address + "': the socket path is longer than the " +
                std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) +
                " bytes a UNIX socket allows; use a shorter path";
    }
    return e;
  }
  std::size_t colon = rest.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    e.error = "'" + address + "' is neither unix:/path nor tcp:host:port";
    return e;
  }
  std::string_view host = rest.substr(0, colon);
  std::string_view port = rest.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port_number = ParseUint(port);
  if (host.empty() || !port_number || *port_number == 0 || *port_number > 65535) {
    e.error = "'" + address + "': expected tcp:host:port with a port from 1 to 65535";
    return e;
  }
  e.host = std::string(host);
  e.port = std::string(port);
  return e;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline. False on timeout or poll failure.
bool WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

std::string Why(int error) { return std::strerror(error); }

// Connects a non-blocking socket to addr within the deadline; "" on success.
std::string ConnectWithin(int fd, const sockaddr* addr, socklen_t len, Clock::time_point deadline) {
  if (connect(fd, addr, len) == 0) return "";
  if (errno != EINPROGRESS && errno != EAGAIN) return Why(errno);
  if (!WaitFor(fd, POLLOUT, deadline)) return "timed out connecting";
  int error = 0;
  socklen_t error_len = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_len) != 0) return Why(errno);
  return error == 0 ? "" : Why(error);
}

// Returns a connected socket, or -1 with *error set.
int ConnectUnix(const Endpoint& e, Clock::time_point deadline, std::string* error) {
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    *error = "cannot create a UNIX socket: " + Why(errno);
    return -1;
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, e.path.c_str(), e.path.size() + 1);
  // A UNIX socket whose listen queue is full answers EAGAIN and cannot be polled for
  // room: retry briefly until the deadline.
  int code = 0;
  while (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    code = errno;
    if ((code != EAGAIN && code != EINTR) || Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    code = 0;
  }
  if (code == 0) return fd.release();
  if (code == ENOENT) {
    *error = "no socket at " + e.path +
             " (is the server running, and does its configuration create this socket?)";
  } else if (code == ECONNREFUSED) {
    *error = "connection refused on " + e.path +
             " (the socket file exists but nothing listens: the server stopped or restarted)";
  } else if (code == EACCES || code == EPERM) {
    *error = "permission denied on " + e.path + " (run as a user allowed to open the socket)";
  } else if (code == EAGAIN || code == EINTR) {
    *error = "timed out connecting to " + e.path +
             " (its listen queue stayed full: is the server overloaded?)";
  } else {
    *error = "cannot connect to " + e.path + ": " + Why(code);
  }
  return -1;
}

int ConnectTcp(const Endpoint& e, Clock::time_point deadline, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(e.host.c_str(), e.port.c_str(), &hints, &found);
  if (rc != 0) {
    *error = "cannot resolve " + e.host + ": " + gai_strerror(rc);
    return -1;
  }
  std::string last_error = "no address";
  int connected = -1;
  for (addrinfo* a = found; a != nullptr && connected < 0; a = a->ai_next) {
    Fd fd(socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (fd.get() < 0) {
      last_error = Why(errno);
      continue;
    }
    std::string why = ConnectWithin(fd.get(), a->ai_addr, a->ai_addrlen, deadline);
    if (why.empty()) {
      connected = fd.release();
    } else {
      last_error = why;
    }
  }
  freeaddrinfo(found);
  if (connected < 0) {
    *error = "cannot connect to " + e.host + ":" + e.port + ": " + last_error;
    if (last_error == Why(ECONNREFUSED)) *error += " (is the server listening on this port?)";
  }
  return connected;
}

}  // namespace

SocketClient::SocketClient(std::string address) : address_(std::move(address)) {}

std::string SocketClient::CheckAddress(const std::string& address) {
  return ParseAddress(address).error;
}

SocketReply SocketClient::Request(const std::string& request, Duration timeout) const {
  auto fail = [this](const std::string& why) {
    return SocketReply{false, {}, address_ + ": " + why};
  };
  if (request.find_first_of("\r\n") != std::string::npos)
    return fail("refusing a request with a line break: it would send a second command");
  Endpoint endpoint = ParseAddress(address_);
  if (!endpoint.error.empty()) return SocketReply{false, {}, endpoint.error};

  const auto started = Clock::now();
  const auto deadline = started + timeout;
  auto elapsed = [&] {
    return FormatDuration(std::chrono::duration_cast<Duration>(Clock::now() - started));
  };
  std::string error;
  Fd fd(endpoint.is_unix ? ConnectUnix(endpoint, deadline, &error)
                         : ConnectTcp(endpoint, deadline, &error));
  if (fd.get() < 0) return fail(error);

  const std::string line = request + "\n";
  std::size_t sent = 0;
  while (sent < line.size()) {
    ssize_t n = send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd.get(), POLLOUT, deadline))
        return fail("timed out after " + elapsed() + " sending the request");
    } else {
      return fail("sending the request failed: " + Why(errno));
    }
  }

  SocketReply reply;
  char buffer[65536];
  while (true) {
    ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
    if (n > 0) {
      if (reply.data.size() + static_cast<std::size_t>(n) > max_reply_bytes_)
        return fail("reply larger than " + std::to_string(max_reply_bytes_) + " bytes" +
                    (max_reply_setting_.empty()
                         ? std::string()
                         : " (the limit " + max_reply_setting_ + " sets; raise it if a real " +
                               "answer is that large)") +
                    "; stopped reading");
      reply.data.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0) {
      reply.ok = true;
      return reply;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!WaitFor(fd.get(), POLLIN, deadline))
        return fail("no complete reply within " + FormatDuration(timeout) + " (got " +
                    std::to_string(reply.data.size()) + " bytes; is the server overloaded?)");
    } else {
      return fail("reading the reply failed: " + Why(errno));
    }
  }
}

}  // namespace cutover
