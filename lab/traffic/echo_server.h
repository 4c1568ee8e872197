// The lab's echo server: sends back whatever each connection sends, on one epoll thread,
// for thousands of connections. A slow reader is not read from until its echo is written
// (the kernel's flow control then slows its sender), so memory stays bounded.
#pragma once

#include <string>
#include <unordered_map>

namespace cutover::traffic {

class EchoServer {
 public:
  EchoServer() = default;
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Binds and listens on "host:port" (port 0 picks one). False with *error otherwise.
  bool Listen(const std::string& address, std::string* error);
  // "127.0.0.1:7000", the address actually bound.
  std::string BoundAddress() const;
  // Serves until stop_fd (a signalfd or eventfd) becomes readable; then closes everything.
  void Run(int stop_fd);

 private:
  void Accept();
  void OnReadable(int fd);
  void OnWritable(int fd);
  void Close(int fd);
  void Watch(int fd, unsigned events, bool add);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int spare_fd_ = -1;  // released to accept-and-close when out of file descriptors
  std::unordered_map<int, std::string> unsent_;  // per connection: echo bytes not yet written
};

}  // namespace cutover::traffic
