#include "tests/support/haproxy_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "tests/support/net.h"

namespace cutover::testing {

// A TCP echo listener on 127.0.0.1:0 served by one epoll thread. Best effort by design:
// tests send a few bytes per session, so a reply the socket cannot take at once is dropped
// rather than buffered.
class HaproxyServer::EchoServer {
 public:
  ~EchoServer() { Stop(); }

  bool Start(std::string* error) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listen_fd_, 1024) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      *error = "echo listener: cannot listen on 127.0.0.1: " + std::string(strerror(errno));
      return false;
    }
    port_ = ntohs(addr.sin_port);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    Watch(listen_fd_);
    Watch(wake_fd_);
    thread_ = std::thread([this] { Run(); });
    return true;
  }

  void Stop() {
    if (thread_.joinable()) {
      std::uint64_t one = 1;
      (void)!write(wake_fd_, &one, sizeof one);
      thread_.join();
    }
    for (int fd : connections_) close(fd);
    connections_.clear();
    for (int* fd : {&listen_fd_, &epoll_fd_, &wake_fd_}) {
      if (*fd >= 0) close(*fd);
      *fd = -1;
    }
  }

  int port() const { return port_; }

 private:
  void Watch(int fd) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event);
  }

  void Run() {
    epoll_event events[64];
    char buffer[16384];
    while (true) {
      int n = epoll_wait(epoll_fd_, events, 64, -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == wake_fd_) return;
        if (fd == listen_fd_) {
          int client;
          while ((client = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
                 0) {
            connections_.insert(client);
            Watch(client);
          }
          continue;
        }
        ssize_t got = read(fd, buffer, sizeof buffer);
        if (got > 0) {
          (void)!write(fd, buffer, static_cast<std::size_t>(got));
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
          connections_.erase(fd);
          close(fd);
        }
      }
    }
  }

  int listen_fd_ = -1, epoll_fd_ = -1, wake_fd_ = -1, port_ = 0;
  std::unordered_set<int> connections_;  // touched by the thread only, then by Stop
  std::thread thread_;
};

HaproxyServer::HaproxyServer(HaproxyOptions options) : options_(std::move(options)) {}

HaproxyServer::~HaproxyServer() { Stop(); }

std::vector<std::string> HaproxyServer::server_names() const {
  std::vector<std::string> names;
  for (int i = 1; i <= options_.servers; ++i) names.push_back("s" + std::to_string(i));
  return names;
}

std::string HaproxyServer::runtime_api_tcp() const {
  return "tcp:127.0.0.1:" + std::to_string(api_port_);
}

std::string HaproxyServer::runtime_api_unix() const { return "unix:" + socket_path(); }

std::string HaproxyServer::Log() const { return process_.Log(); }

bool HaproxyServer::Start() {
  echo_ = std::make_unique<EchoServer>();
  if (!echo_->Start(&error_)) return false;
  echo_port_ = echo_->port();
  // Ports come from FreeTcpPort and another process may take one before HAProxy binds it;
  // a second attempt with fresh ports settles that race.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (StartOnce()) return true;
  }
  return false;
}

bool HaproxyServer::StartOnce() {
  frontend_port_ = FreeTcpPort();
  stats_port_ = FreeTcpPort();
  api_port_ = FreeTcpPort();
  const std::string echo = "127.0.0.1:" + std::to_string(echo_port_);
  // Global maxconn stays at 4000: HAProxy sizes its file limit from it and this machine
  // caps open files at 20,000.
  std::string cfg =
      "global\n"
      "  maxconn 4000\n"
      "  stats socket " +
      socket_path() +
      " mode 600 level admin\n"
      "  stats socket ipv4@127.0.0.1:" +
      std::to_string(api_port_) +
      " level admin\n"
      "  stats timeout 30s\n"
      "\n"
      "defaults\n"
      "  mode tcp\n"
      "  timeout connect 2s\n"
      "  timeout client 10m\n"
      "  timeout server 10m\n"
      "\n"
      "listen " +
      options_.backend +
      "\n"
      "  bind 127.0.0.1:" +
      std::to_string(frontend_port_) +
      "\n"
      "  maxconn 3000\n"
      "  balance roundrobin\n";
  const int first_backup = options_.servers - options_.backup_servers + 1;
  for (int i = 1; i <= options_.servers; ++i) {
    cfg +=
        "  server s" + std::to_string(i) + " " + echo + (i >= first_backup ? " backup" : "") + "\n";
  }
  cfg +=
      "\n"
      "frontend stats_page\n"
      "  mode http\n"
      "  bind 127.0.0.1:" +
      std::to_string(stats_port_) +
      "\n"
      "  timeout client 30s\n"
      "  stats enable\n"
      "  stats uri /stats\n";
  const std::string cfg_path = dir_.Write("haproxy.cfg", cfg);
  unlink(socket_path().c_str());
  if (!process_.Start({"haproxy", "-db", "-f", cfg_path}, dir_.File("haproxy.log"))) {
    error_ = "cannot start haproxy (is the haproxy package installed?)";
    return false;
  }
  struct stat ignored;
  bool up = WaitUntil(
      [&] {
        return !process_.Running() ||
               (stat(socket_path().c_str(), &ignored) == 0 &&
                WaitForTcpPort(frontend_port_, std::chrono::milliseconds(0)) &&
                WaitForTcpPort(stats_port_, std::chrono::milliseconds(0)) &&
                WaitForTcpPort(api_port_, std::chrono::milliseconds(0)));
      },
      std::chrono::seconds(15));
  if (up && process_.Running()) return true;
  error_ = "haproxy did not come up on ports " + std::to_string(frontend_port_) + ", " +
           std::to_string(stats_port_) + ", " + std::to_string(api_port_) + "; its log:\n" +
           process_.Log();
  process_.Stop();
  return false;
}

void HaproxyServer::Stop() {
  process_.Stop();
  echo_.reset();
}

}  // namespace cutover::testing
