// Slowloris against the daemons' HTTP server: 500 connections from 127.0.0.2 that each
// send one byte a second and never finish their request (reopened as soon as the server
// closes one, as the attack tool does), while an operator at 127.0.0.1 keeps asking for
// /-/healthy. The operator must keep being answered promptly.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "common/web_server.h"
#include "tests/common/raw_http.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

// Slow connections from one address, each fed one byte a second by Tick().
class SlowClients {
 public:
  SlowClients(int port, int count)
      : port_(port), fds_(static_cast<std::size_t>(count), -1), sent_(fds_.size(), 0) {}
  ~SlowClients() {
    for (int fd : fds_)
      if (fd >= 0) close(fd);
  }

  // Sends the next byte on every connection; reopens those the server has closed.
  void Tick() {
    for (std::size_t i = 0; i < fds_.size(); ++i) {
      if (fds_[i] >= 0 && ServerClosed(fds_[i])) {
        close(fds_[i]);
        fds_[i] = -1;
        ++closed_by_server_;
      }
      if (fds_[i] < 0) {
        fds_[i] = Open();
        sent_[i] = 0;
        continue;
      }
      // A request line and a header that never end.
      static const std::string kBytes = "GET /-/healthy HTTP/1.1\r\nX-Slow: ";
      char byte = sent_[i] < kBytes.size() ? kBytes[sent_[i]] : 'x';
      if (send(fds_[i], &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++sent_[i];
    }
  }
  int open() const {
    int n = 0;
    for (int fd : fds_) n += fd >= 0;
    return n;
  }
  int closed_by_server() const { return closed_by_server_; }

 private:
  int Open() {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port_));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0 && errno != EINPROGRESS)) {
      if (fd >= 0) close(fd);
      return -1;
    }
    return fd;
  }
  static bool ServerClosed(int fd) {
    char buffer[512];
    while (true) {
      ssize_t n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n > 0) continue;  // a refusal: the close follows
      if (n == 0) return true;
      return errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN && errno != EINTR;
    }
  }

  int port_;
  std::vector<int> fds_;
  std::vector<std::size_t> sent_;
  int closed_by_server_ = 0;
};

TEST(WebServerUnderSlowloris, KeepsAnsweringOthersWhile500SlowConnectionsAreOpen) {
  testing::RaiseOpenFileLimit();
  // The exporter's configuration: 8 workers, 64 KiB bodies.
  WebServer server(WebServerOptions{{"127.0.0.1:0"}, 8, 64 * 1024, 60000});
  server.Handle("GET", "/-/healthy",
                [](const HttpRequest&) { return HttpResponse::Text(200, "Healthy"); });
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  const int port = server.Ports().at(0);

  std::atomic<bool> stop{false};
  std::atomic<int> open{0}, closed_by_server{0};
  std::thread attack([&] {
    SlowClients slow(port, 500);
    while (!stop) {
      slow.Tick();
      open = slow.open();
      closed_by_server = slow.closed_by_server();
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(milliseconds(100));
    }
  });
  std::this_thread::sleep_for(seconds(3));  // the slow clients take what they can

  const int kRequests = 20;
  int answered = 0;
  std::vector<double> seconds_taken;
  const auto give_up = Clock::now() + seconds(30);  // the unfixed server answers nothing
  for (int i = 0; i < kRequests && Clock::now() < give_up; ++i) {
    auto start = Clock::now();
    std::string response = testing::RawExchange(
        port, "GET /-/healthy HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        milliseconds(2000));
    double took = std::chrono::duration<double>(Clock::now() - start).count();
    seconds_taken.push_back(took);
    if (testing::RawStatus(response) == 200 && took <= 2.0) ++answered;
    if (took < 0.5) std::this_thread::sleep_for(milliseconds(500) - (Clock::now() - start));
  }
  int open_at_end = open, closed_at_end = closed_by_server;
  stop = true;
  attack.join();

  double slowest = 0;
  for (double s : seconds_taken) slowest = std::max(slowest, s);
  std::cout << "slowloris: " << answered << " of " << kRequests
            << " /-/healthy answered within 2 s (slowest " << slowest << " s); slow connections "
            << "open " << open_at_end << ", closed by the server " << closed_at_end << "\n";
  EXPECT_EQ(answered, kRequests)
      << "an operator asking /-/healthy got no prompt answer while 500 slow connections from "
         "127.0.0.2 were open (slowest "
      << slowest << " s)";
}

}  // namespace
}  // namespace cutover
