#include "lab/traffic/echo_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "lab/traffic/socket_address.h"

namespace cutover::traffic {
namespace {

constexpr std::size_t kReadChunk = 16 * 1024;

}  // namespace

EchoServer::~EchoServer() {
  for (const auto& [fd, unsent] : unsent_) close(fd);
  if (listen_fd_ >= 0) close(listen_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
  if (spare_fd_ >= 0) close(spare_fd_);
}

bool EchoServer::Listen(const std::string& address, std::string* error) {
  SocketAddress bind_address;
  if (!ResolveSocketAddress(address, &bind_address, error)) return false;
  listen_fd_ = socket(bind_address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    *error = std::string("cannot create a socket: ") + std::strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(listen_fd_, bind_address.get(), bind_address.length) != 0) {
    *error = "cannot listen on " + address + ": " + std::strerror(errno) +
             " (is the port in use, or the address not on this host?)";
    return false;
  }
  // The kernel caps this at net.core.somaxconn (4096 on bookworm), enough for the
  // client's ramp of a few hundred connects per second.
  if (listen(listen_fd_, SOMAXCONN) != 0) {
    *error = "cannot listen on " + address + ": " + std::strerror(errno);
    return false;
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (epoll_fd_ < 0) {
    *error = std::string("cannot create an epoll instance: ") + std::strerror(errno);
    return false;
  }
  Watch(listen_fd_, EPOLLIN, true);
  return true;
}

std::string EchoServer::BoundAddress() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  return FormatSocketAddress(reinterpret_cast<const sockaddr*>(&address));
}

void EchoServer::Watch(int fd, unsigned events, bool add) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
}

void EchoServer::Run(int stop_fd) {
  Watch(stop_fd, EPOLLIN, true);
  epoll_event events[256];
  while (true) {
    int n = epoll_wait(epoll_fd_, events, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::Error("epoll_wait failed", {{"err", std::strerror(errno)}});
      return;
    }
    bool accept_pending = false;
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == stop_fd) return;
      if (fd == listen_fd_) {
        accept_pending = true;
        continue;
      }
      // A connection closed earlier in this batch is gone from unsent_.
      if (!unsent_.contains(fd)) continue;
      if (events[i].events & EPOLLOUT) {
        OnWritable(fd);
      } else if (events[i].events & EPOLLIN) {
        OnReadable(fd);  // also sees the end of a connection (read returns 0 or an error)
      } else if (events[i].events & (EPOLLERR | EPOLLHUP)) {
        Close(fd);
      }
    }
    // Accepting only after the batch keeps a descriptor number closed above and reused by
    // accept from receiving the old connection's events.
    if (accept_pending) Accept();
  }
}

void EchoServer::Accept() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      unsent_.emplace(fd, std::string());
      Watch(fd, EPOLLIN, true);
      continue;
    }
    if (errno == EMFILE || errno == ENFILE) {
      // Out of descriptors: accept and close one so the client sees a clear close instead
      // of a connect that hangs in the backlog, and the listener does not spin.
      log::Warn("out of file descriptors, refusing a connection",
                {{"open_connections", std::to_string(unsent_.size())}});
      if (spare_fd_ >= 0) {
        close(spare_fd_);
        int refused = accept(listen_fd_, nullptr, nullptr);
        if (refused >= 0) close(refused);
        spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
      }
      return;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
      log::Warn("accept failed", {{"err", std::strerror(errno)}});
    return;
  }
}

void EchoServer::OnReadable(int fd) {
  char buffer[kReadChunk];
  ssize_t n = read(fd, buffer, sizeof buffer);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
    Close(fd);
    return;
  }
  if (n < 0) return;
  ssize_t written = send(fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
  if (written < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      Close(fd);
      return;
    }
    written = 0;
  }
  if (written < n) {
    unsent_[fd].assign(buffer + written, static_cast<std::size_t>(n - written));
    Watch(fd, EPOLLOUT, false);
  }
}

void EchoServer::OnWritable(int fd) {
  std::string& unsent = unsent_[fd];
  ssize_t written = send(fd, unsent.data(), unsent.size(), MSG_NOSIGNAL);
  if (written < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) Close(fd);
    return;
  }
  unsent.erase(0, static_cast<std::size_t>(written));
  if (unsent.empty()) Watch(fd, EPOLLIN, false);
}

void EchoServer::Close(int fd) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  unsent_.erase(fd);
}

}  // namespace cutover::traffic
