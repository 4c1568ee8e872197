// TCP endpoints inside the lab's network namespaces, owned by the test process: a socket
// keeps the namespace it was created in, so the test enters the namespace only for the
// socket() call and talks to the lab without helper programs (nc is not installed).
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace cutover::testing {

// Creates a TCP socket in network namespace `ns` (a name under /run/netns); -1 on
// failure with *error set.
int TcpSocketInNamespace(const std::string& ns, std::string* error);

// Echoes every byte back, on as many connections as arrive, until destroyed. Not
// thread-safe; one thread serves all connections.
class EchoServer {
 public:
  EchoServer() = default;
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  // Listens on address:port inside `ns`. False with *error if it cannot.
  bool Start(const std::string& ns, const std::string& address, int port, std::string* error);

 private:
  void Serve();

  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
};

// One client connection, created inside a namespace. Not thread-safe.
class TcpConnection {
 public:
  TcpConnection() = default;
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  bool Connect(const std::string& ns, const std::string& address, int port,
               std::chrono::milliseconds timeout, std::string* error);
  // Sends `message` and waits for the same bytes back: whether the path carries this
  // connection right now.
  bool Echoes(const std::string& message, std::chrono::milliseconds timeout);
  int local_port() const { return local_port_; }
  void Close();

 private:
  int fd_ = -1;
  int local_port_ = 0;
};

}  // namespace cutover::testing
