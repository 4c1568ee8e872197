#include "tests/common/raw_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

namespace cutover::testing {
namespace {

using Clock = std::chrono::steady_clock;

int MillisecondsLeft(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

}  // namespace

RawConnection::RawConnection(int port, const std::string& source) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  // A connect stuck behind a full listen backlog gives up after 3 s instead of minutes.
  timeval connect_timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &connect_timeout, sizeof connect_timeout);
  if (inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1 ||
      inet_pton(AF_INET, "127.0.0.1", &to.sin_addr) != 1 ||
      bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return;
  }
  fd_ = fd;
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::Send(std::string_view bytes) {
  if (fd_ < 0) return false;
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawConnection::PeerClosed() {
  if (fd_ < 0) return true;
  char buffer[4096];
  while (true) {
    ssize_t n = recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      pending_.append(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
  }
}

std::string RawConnection::ReadUntilClosed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string out = std::move(pending_);
  pending_.clear();
  char buffer[4096];
  while (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, MillisecondsLeft(deadline)) <= 0) break;
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

std::string RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  char buffer[4096];
  while (fd_ >= 0) {
    std::size_t head_end = pending_.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      std::size_t length = 0;
      std::size_t at = pending_.find("\r\nContent-Length: ");
      if (at != std::string::npos && at < head_end)
        length = std::strtoul(pending_.c_str() + at + 18, nullptr, 10);
      if (pending_.size() >= head_end + 4 + length) {
        std::string response = pending_.substr(0, head_end + 4 + length);
        pending_.erase(0, response.size());
        return response;
      }
    }
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, MillisecondsLeft(deadline)) <= 0) break;
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
  return {};
}

bool RawConnection::ClosedWithin(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  char buffer[4096];
  while (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, MillisecondsLeft(deadline)) <= 0) return false;
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) return true;
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
  return true;
}

std::string RawExchange(int port, std::string_view request, std::chrono::milliseconds timeout,
                        const std::string& source) {
  RawConnection connection(port, source);
  if (!connection.Send(request)) return {};
  return connection.ReadResponse(timeout);
}

int RawStatus(const std::string& response) {
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12) return 0;
  return std::atoi(response.c_str() + 9);
}

void RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace cutover::testing
