// The bearer token of cutover-actions' /api/ is checked on the request head: a stranger's
// request is answered 401 at once and its body is never read, so a slow body cannot hold
// a worker.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "actions/api/api_server.h"
#include "plugins/core/registry.h"
#include "plugins/transport/http_client.h"
#include "tests/common/raw_http.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

class ApiAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    JournalOpenResult opened = Journal::Open(dir_.File("journal"));
    ASSERT_NE(opened.journal, nullptr) << opened.error;
    journal_ = std::move(opened.journal);
    members_ = std::make_unique<MemberSet>(config_, registry_, &errors_);
    engine_ = std::make_unique<Engine>(std::vector<Plan>{}, *members_, *journal_, [] {
      return [](const std::string&) { return QueryResult{}; };
    });
    ASSERT_EQ(engine_->Replay(opened.records), "");
    api_ = std::make_unique<ApiServer>(*engine_, ApiOptions{{"127.0.0.1:0"}, "s3cret", 1 << 20, 4});
    std::string error;
    ASSERT_TRUE(api_->Start(&error)) << error;
    port_ = api_->Ports().at(0);
  }
  void TearDown() override {
    if (api_) api_->Stop();
  }

  testing::TempDir dir_;
  CutoverConfig config_;
  DriverRegistry registry_;
  std::vector<ConfigError> errors_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<MemberSet> members_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<ApiServer> api_;
  int port_ = 0;
};

TEST_F(ApiAuth, AWebhookWithoutTheTokenIsRefusedBeforeItsBodyArrives) {
  // The head promises a 60000-byte body that never comes.
  testing::RawConnection stranger(port_, "127.0.0.2");
  ASSERT_TRUE(
      stranger.Send("POST /api/v1/alertmanager HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{"));
  std::string response = stranger.ReadResponse(milliseconds(2000));
  EXPECT_EQ(testing::RawStatus(response), 401)
      << "no answer within 2 s: the body was awaited before the token was checked";
  EXPECT_THAT(response, HasSubstr("WWW-Authenticate: Bearer"));
  EXPECT_TRUE(stranger.ClosedWithin(milliseconds(1000)));

  HttpClient http;
  HttpClientResponse metrics = http.Get("http://127.0.0.1:" + std::to_string(port_) + "/metrics");
  EXPECT_THAT(metrics.body,
              HasSubstr(R"(cutover_webhook_requests_total{outcome="unauthorized"} 1)"));
}

TEST_F(ApiAuth, TwoAuthorizationHeadersAreRefusedEvenIfOneIsRight) {
  std::string response =
      testing::RawExchange(port_,
                           "GET /api/v1/runs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
                           "Authorization: Bearer s3cret\r\n\r\n",
                           milliseconds(2000));
  EXPECT_EQ(testing::RawStatus(response), 400) << response;
}

}  // namespace
}  // namespace cutover
