#include "common/web_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "plugins/transport/http_client.h"
#include "tests/common/raw_http.h"

namespace cutover {
namespace {

class WebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WebServerOptions options;
    options.max_body_bytes = 1024;
    server_ = std::make_unique<WebServer>(options);
    server_->Handle("GET", "/hello", [](const HttpRequest& r) {
      return HttpResponse::Text(200, "hello " + r.QueryParam("name"));
    });
    server_->Handle("POST", "/echo", [](const HttpRequest& r) {
      return HttpResponse::Text(200, r.Header("X-Token") + ":" + r.body);
    });
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    port_ = server_->Ports().at(0);
    base_ = "http://127.0.0.1:" + std::to_string(port_);
  }
  std::string Raw(const std::string& request) {
    return testing::RawExchange(port_, request, std::chrono::seconds(3));
  }
  std::unique_ptr<WebServer> server_;
  int port_ = 0;
  std::string base_;
  HttpClient client_;
};

TEST_F(WebServerTest, RoutesByMethodAndPath) {
  auto r = client_.Get(base_ + "/hello?name=fw%201");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello fw 1\n");
  r = client_.Post(base_ + "/echo", "body", "text/plain", {"X-Token: t"});
  EXPECT_EQ(r.body, "t:body\n");
}

TEST_F(WebServerTest, AnswersUnknownPathsAndWrongMethodsClearly) {
  EXPECT_EQ(client_.Get(base_ + "/nope").status, 404);
  auto r = client_.Post(base_ + "/hello", "", "text/plain");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.body.find("use GET"), std::string::npos);
}

TEST_F(WebServerTest, RefusesBodiesOverTheLimit) {
  auto r = client_.Post(base_ + "/echo", std::string(5000, 'x'), "text/plain");
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("limit"), std::string::npos);
}

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST_F(WebServerTest, RefusesTwoAuthorizationHeaders) {
  // Which of two credentials counts must not depend on the header order a proxy chose.
  std::string response =
      Raw("POST /echo HTTP/1.1\r\nHost: x\r\nX-Token: t\r\nAuthorization: Bearer first\r\n"
          "Authorization: Bearer second\r\nContent-Length: 4\r\n\r\nbody");
  EXPECT_EQ(testing::RawStatus(response), 400) << response;
  EXPECT_THAT(response, HasSubstr("Authorization"));
}

TEST_F(WebServerTest, JoinsRepeatedHeadersInsteadOfKeepingTheLast) {
  std::string response =
      Raw("POST /echo HTTP/1.1\r\nHost: x\r\nX-Token: a\r\nX-Token: b\r\n"
          "Content-Length: 4\r\n\r\nbody");
  EXPECT_EQ(testing::RawStatus(response), 200) << response;
  EXPECT_THAT(response, HasSubstr("a, b:body"));
}

TEST_F(WebServerTest, ServesAnAbsoluteFormRequestTargetByItsPath) {
  std::string response = Raw("GET http://127.0.0.1:" + std::to_string(port_) +
                             "/hello?name=fw1 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(testing::RawStatus(response), 200) << "no answer to an absolute-form URI: " << response;
  EXPECT_THAT(response, HasSubstr("hello fw1"));
}

TEST_F(WebServerTest, AnswersAnAbsoluteFormTargetOnAnotherServer) {
  std::string response = Raw("GET http://elsewhere.example:81/hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(testing::RawStatus(response), 400) << "no answer to a proxy request: " << response;
}

TEST_F(WebServerTest, AnswersAWebsocketUpgradeWithAStatusLine) {
  std::string response =
      Raw("GET /hello HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  EXPECT_THAT(response, StartsWith("HTTP/1.1 ")) << response;
  EXPECT_EQ(testing::RawStatus(response), 400) << response;
}

// A server whose POST /locked needs "Authorization: Bearer s3cret", checked by a guard.
class GuardedWebServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WebServerOptions options;
    options.body_timeout_ms = 1500;
    options.header_timeout_ms = 1000;
    server_ = std::make_unique<WebServer>(options);
    HttpRoute locked;
    locked.handler = [this](const HttpRequest& r) {
      ++handled_;
      return HttpResponse::Text(200, "got " + std::to_string(r.body.size()) + " bytes");
    };
    locked.guard = [](const HttpRequest& head) -> std::optional<HttpResponse> {
      if (head.Header("Authorization") == "Bearer s3cret") return std::nullopt;
      return HttpResponse::Text(401, "missing or wrong bearer token");
    };
    server_->Handle("POST", "/locked", locked);
    std::string error;
    ASSERT_TRUE(server_->Start(&error)) << error;
    port_ = server_->Ports().at(0);
  }
  static std::string Head(const std::string& token, int content_length) {
    return "POST /locked HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
           "\r\nContent-Length: " + std::to_string(content_length) + "\r\n\r\n";
  }
  std::unique_ptr<WebServer> server_;
  int port_ = 0;
  std::atomic<int> handled_{0};
};

TEST_F(GuardedWebServerTest, RefusesAWrongTokenBeforeReadingTheBody) {
  // The head promises 60000 bytes that never come: the answer must not wait for them.
  testing::RawConnection client(port_);
  ASSERT_TRUE(client.Send(Head("wrong", 60000)));
  auto start = std::chrono::steady_clock::now();
  std::string response = client.ReadResponse(std::chrono::milliseconds(900));
  EXPECT_EQ(testing::RawStatus(response), 401)
      << "the body was awaited before the token: " << response;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_TRUE(client.ClosedWithin(std::chrono::milliseconds(500)))
      << "the connection stayed open to read a body nobody wants";
  EXPECT_EQ(handled_, 0);
}

TEST_F(GuardedWebServerTest, CutsOffABodyThatTrickles) {
  // One byte every 100 ms of a 1000-byte body, under the 1024 bytes/s minimum.
  testing::RawConnection client(port_);
  ASSERT_TRUE(client.Send(Head("s3cret", 1000)));
  auto start = std::chrono::steady_clock::now();
  std::string response;
  for (int i = 0; i < 60 && response.empty(); ++i) {
    client.Send("x");
    response = client.ReadResponse(std::chrono::milliseconds(100));
  }
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(testing::RawStatus(response), 408) << "after " << took << " s: " << response;
  EXPECT_THAT(response, HasSubstr("bytes/s"));
  EXPECT_LT(took, 2.5) << "a slow body held the worker";
  EXPECT_EQ(handled_, 0);
}

TEST_F(GuardedWebServerTest, GivesUpOnABodyThatStops) {
  testing::RawConnection client(port_);
  ASSERT_TRUE(client.Send(Head("s3cret", 100) + "only part"));
  std::string response = client.ReadResponse(std::chrono::milliseconds(3000));
  EXPECT_EQ(testing::RawStatus(response), 408) << response;
  EXPECT_THAT(response, HasSubstr("9 of 100 bytes"));
  EXPECT_EQ(handled_, 0);
}

TEST_F(GuardedWebServerTest, ServesTheRightTokenWithItsBody) {
  std::string response =
      testing::RawExchange(port_, Head("s3cret", 5) + "hello", std::chrono::milliseconds(2000));
  EXPECT_EQ(testing::RawStatus(response), 200) << response;
  EXPECT_THAT(response, HasSubstr("got 5 bytes"));
}

TEST(WebServer, OneClientGetsHalfTheWorkersAndA503BeyondThem) {
  WebServerOptions options;
  options.threads = 4;  // so 2 per client address
  WebServer server(options);
  server.Handle("GET", "/-/healthy",
                [](const HttpRequest&) { return HttpResponse::Text(200, "Healthy"); });
  std::string error;
  ASSERT_TRUE(server.Start(&error)) << error;
  const int port = server.Ports().at(0);
  // Two connections from 127.0.0.3 that have not finished their request head.
  testing::RawConnection first(port, "127.0.0.3"), second(port, "127.0.0.3");
  ASSERT_TRUE(first.Send("GET /-/hea") && second.Send("GET /-/hea"));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  std::string third = testing::RawExchange(port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n",
                                           std::chrono::seconds(2), "127.0.0.3");
  EXPECT_EQ(testing::RawStatus(third), 503) << third;
  EXPECT_THAT(third, HasSubstr("127.0.0.3 already holds 2 connections"));
  std::string other = testing::RawExchange(port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n",
                                           std::chrono::seconds(2), "127.0.0.1");
  EXPECT_EQ(testing::RawStatus(other), 200) << "another client found no free worker: " << other;

  // Once they finish, 127.0.0.3 has its places back.
  ASSERT_TRUE(first.Send("lthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  EXPECT_EQ(testing::RawStatus(first.ReadResponse(std::chrono::seconds(2))), 200);
  EXPECT_TRUE(first.ClosedWithin(std::chrono::seconds(2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::string again = testing::RawExchange(port, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n",
                                           std::chrono::seconds(2), "127.0.0.3");
  EXPECT_EQ(testing::RawStatus(again), 200) << again;
}

TEST(WebServer, ReportsABusyPort) {
  WebServer first(WebServerOptions{});
  std::string error;
  ASSERT_TRUE(first.Start(&error));
  WebServerOptions options;
  options.listen_addresses = {"127.0.0.1:" + std::to_string(first.Ports().at(0))};
  WebServer second(options);
  EXPECT_FALSE(second.Start(&error));
  EXPECT_NE(error.find("cannot listen"), std::string::npos);
}

}  // namespace
}  // namespace cutover
