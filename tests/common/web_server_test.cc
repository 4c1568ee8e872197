#include "common/web_server.h"

#include <gtest/gtest.h>

#include "plugins/transport/http_client.h"

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
    base_ = "http://127.0.0.1:" + std::to_string(server_->Ports().at(0));
  }
  std::unique_ptr<WebServer> server_;
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
