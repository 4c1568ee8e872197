// SocketClient against in-process listeners: what the haproxy driver sees when HAProxy's
// runtime API answers, is missing, refuses, hangs or floods.
#include "plugins/transport/socket_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <thread>

#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;

// Accepts one connection on a UNIX socket and hands it to `serve`, then closes it.
class OneShotUnixServer {
 public:
  OneShotUnixServer(const std::string& path, std::function<void(int)> serve) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 4);
    thread_ = std::thread([this, serve] {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      serve(client);
      close(client);
    });
  }
  ~OneShotUnixServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }

 private:
  int fd_;
  std::thread thread_;
};

std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (recv(fd, &c, 1, 0) == 1) {
    line.push_back(c);
    if (c == '\n') break;
  }
  return line;
}

TEST(SocketClientTest, SendsOneLineAndReadsUntilThePeerCloses) {
  testing::TempDir dir;
  std::string received;
  {
    OneShotUnixServer server(dir.File("api.sock"), [&](int fd) {
      received = ReadLine(fd);
      send(fd, "first part\n", 11, MSG_NOSIGNAL);
      std::this_thread::sleep_for(milliseconds(50));
      send(fd, "second part\n\n", 13, MSG_NOSIGNAL);
    });
    SocketReply reply =
        SocketClient("unix:" + dir.File("api.sock")).Request("show info", milliseconds(2000));
    ASSERT_TRUE(reply.ok) << reply.error;
    EXPECT_EQ(reply.data, "first part\nsecond part\n\n") << "the reply must be read to EOF";
  }
  EXPECT_EQ(received, "show info\n");
}

TEST(SocketClientTest, PlainPathMeansUnixSocket) {
  testing::TempDir dir;
  OneShotUnixServer server(dir.File("api.sock"), [](int fd) {
    ReadLine(fd);
    send(fd, "\n", 1, MSG_NOSIGNAL);
  });
  SocketReply reply =
      SocketClient(dir.File("api.sock")).Request("set server a/b state ready", milliseconds(2000));
  ASSERT_TRUE(reply.ok) << reply.error;
  EXPECT_EQ(reply.data, "\n");
}

TEST(SocketClientTest, MissingSocketPathSaysSo) {
  SocketReply reply =
      SocketClient("unix:/nonexistent/haproxy/admin.sock").Request("show stat", milliseconds(500));
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error.find("no socket at /nonexistent/haproxy/admin.sock"), std::string::npos)
      << reply.error;
}

TEST(SocketClientTest, RefusedTcpPortSaysSo) {
  int port = testing::FreeTcpPort();
  SocketReply reply =
      SocketClient("tcp:127.0.0.1:" + std::to_string(port)).Request("show stat", milliseconds(500));
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error.find("refused"), std::string::npos) << reply.error;
}

TEST(SocketClientTest, SilentPeerTimesOutWithinTheDeadline) {
  testing::TempDir dir;
  OneShotUnixServer server(dir.File("api.sock"), [](int fd) {
    ReadLine(fd);
    send(fd, "partial", 7, MSG_NOSIGNAL);
    std::this_thread::sleep_for(milliseconds(1500));
  });
  auto started = std::chrono::steady_clock::now();
  SocketReply reply = SocketClient(dir.File("api.sock")).Request("show stat", milliseconds(300));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error.find("no complete reply within 300ms"), std::string::npos) << reply.error;
  EXPECT_LT(took, milliseconds(1000)) << "the request must give up at its timeout";
}

TEST(SocketClientTest, OversizedReplyIsRefused) {
  testing::TempDir dir;
  OneShotUnixServer server(dir.File("api.sock"), [](int fd) {
    ReadLine(fd);
    std::string big(4096, 'x');
    send(fd, big.data(), big.size(), MSG_NOSIGNAL);
  });
  SocketClient client(dir.File("api.sock"));
  client.set_max_reply_bytes(1000);
  SocketReply reply = client.Request("show stat", milliseconds(2000));
  EXPECT_FALSE(reply.ok);
  EXPECT_NE(reply.error.find("larger than 1000 bytes"), std::string::npos) << reply.error;
}

TEST(SocketClientTest, RequestWithALineBreakIsNeverSent) {
  testing::TempDir dir;
  bool connected = false;
  {
    OneShotUnixServer server(dir.File("api.sock"), [&](int) { connected = true; });
    SocketReply reply = SocketClient(dir.File("api.sock"))
                            .Request("show stat\nshutdown frontend x", milliseconds(300));
    EXPECT_FALSE(reply.ok);
    EXPECT_NE(reply.error.find("line break"), std::string::npos) << reply.error;
  }
  EXPECT_FALSE(connected) << "the client must refuse before connecting";
}

TEST(SocketClientTest, MalformedAddressesAreExplained) {
  EXPECT_EQ(SocketClient::CheckAddress("unix:/run/haproxy/admin.sock"), "");
  EXPECT_EQ(SocketClient::CheckAddress("tcp:127.0.0.1:9999"), "");
  EXPECT_EQ(SocketClient::CheckAddress("tcp:[::1]:9999"), "");
  EXPECT_EQ(SocketClient::CheckAddress("127.0.0.1:9999"), "");
  EXPECT_NE(SocketClient::CheckAddress("unix:relative.sock"), "");
  EXPECT_NE(SocketClient::CheckAddress("tcp:127.0.0.1"), "");
  EXPECT_NE(SocketClient::CheckAddress("tcp:127.0.0.1:99999"), "");
  EXPECT_NE(SocketClient::CheckAddress("localhost"), "");
  EXPECT_NE(SocketClient::CheckAddress("unix:/" + std::string(200, 'a')), "");
}

}  // namespace
}  // namespace cutover
