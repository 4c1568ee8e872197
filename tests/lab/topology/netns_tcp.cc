#include "tests/lab/topology/netns_tcp.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace cutover::testing {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool ParseAddress(const std::string& address, int port, sockaddr_in* out) {
  *out = {};
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<uint16_t>(port));
  return inet_pton(AF_INET, address.c_str(), &out->sin_addr) == 1;
}

}  // namespace

int TcpSocketInNamespace(const std::string& ns, std::string* error) {
  int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  int target = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  int fd = -1;
  if (own < 0 || target < 0) {
    *error = Errno("open network namespace " + ns + " (is the lab up?)");
  } else if (setns(target, CLONE_NEWNET) != 0) {
    *error = Errno("setns into " + ns + " (needs root)");
  } else {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) *error = Errno("socket in " + ns);
    if (setns(own, CLONE_NEWNET) != 0) {
      // Staying in the lab's namespace would send the rest of the test's traffic there.
      std::abort();
    }
  }
  if (own >= 0) close(own);
  if (target >= 0) close(target);
  return fd;
}

EchoServer::~EchoServer() {
  if (thread_.joinable()) {
    (void)!write(wake_[1], "x", 1);
    thread_.join();
  }
  for (int fd : {listener_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

bool EchoServer::Start(const std::string& ns, const std::string& address, int port,
                       std::string* error) {
  sockaddr_in addr;
  if (!ParseAddress(address, port, &addr)) {
    *error = "not an IPv4 address: " + address;
    return false;
  }
  listener_ = TcpSocketInNamespace(ns, error);
  if (listener_ < 0) return false;
  int one = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener_, 128) != 0) {
    *error = Errno("listen on " + address + ":" + std::to_string(port) + " in " + ns);
    return false;
  }
  if (pipe2(wake_, O_CLOEXEC) != 0) {
    *error = Errno("pipe");
    return false;
  }
  thread_ = std::thread([this] { Serve(); });
  return true;
}

void EchoServer::Serve() {
  std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
  char buffer[4096];
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents != 0) break;
    if (fds[1].revents & POLLIN) {
      int client = accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) fds.push_back({client, POLLIN, 0});
    }
    for (std::size_t i = 2; i < fds.size();) {
      bool closed = false;
      if (fds[i].revents != 0) {
        ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        closed = n <= 0 || write(fds[i].fd, buffer, static_cast<std::size_t>(n)) != n;
      }
      if (closed) {
        close(fds[i].fd);
        fds.erase(fds.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        fds[i].revents = 0;
        ++i;
      }
    }
  }
  for (std::size_t i = 2; i < fds.size(); ++i) close(fds[i].fd);
}

TcpConnection::~TcpConnection() { Close(); }

void TcpConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool TcpConnection::Connect(const std::string& ns, const std::string& address, int port,
                            std::chrono::milliseconds timeout, std::string* error) {
  sockaddr_in addr;
  if (!ParseAddress(address, port, &addr)) {
    *error = "not an IPv4 address: " + address;
    return false;
  }
  Close();
  fd_ = TcpSocketInNamespace(ns, error);
  if (fd_ < 0) return false;
  fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    *error = Errno("connect to " + address + ":" + std::to_string(port));
    return false;
  }
  pollfd p = {fd_, POLLOUT, 0};
  int so_error = 0;
  socklen_t len = sizeof so_error;
  if (poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
      getsockopt(fd_, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
    *error = "connect to " + address + ":" + std::to_string(port) + " from " + ns +
             (so_error != 0 ? std::string(": ") + std::strerror(so_error) : " timed out");
    return false;
  }
  sockaddr_in local;
  socklen_t local_len = sizeof local;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &local_len);
  local_port_ = ntohs(local.sin_port);
  return true;
}

bool TcpConnection::Echoes(const std::string& message, std::chrono::milliseconds timeout) {
  if (fd_ < 0 || write(fd_, message.data(), message.size()) != static_cast<ssize_t>(message.size()))
    return false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string received;
  char buffer[4096];
  while (received.size() < message.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd p = {fd_, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) != 1) return false;
    ssize_t n = read(fd_, buffer, sizeof buffer);
    if (n <= 0) return false;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received == message;
}

}  // namespace cutover::testing
