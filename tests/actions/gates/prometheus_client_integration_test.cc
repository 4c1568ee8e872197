// PrometheusClient against a real Prometheus 2.42 (Debian's) scraping a target whose
// values the test sets, the way it will scrape cutover-exporter: what a gate reads is
// what the exporter published, and every way a query goes wrong reaches the gate as a
// clear error, quickly.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "actions/gates/gate_evaluation.h"
#include "actions/gates/prometheus_client.h"
#include "common/web_server.h"
#include "tests/support/net.h"
#include "tests/support/prometheus_server.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using Kind = QueryResult::Kind;

// Stands in for cutover-exporter: serves cutover_member_connections per member of the
// cluster "edge" with values the test sets ("37", "NaN", "+Inf").
class FakeExporter {
 public:
  FakeExporter() : server_(Options()) {
    server_.Handle("GET", "/metrics", [this](const HttpRequest&) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string body = "# TYPE cutover_member_connections gauge\n";
      for (const auto& [member, value] : connections_)
        body += "cutover_member_connections{ha_cluster=\"edge\",member=\"" + member + "\"} " +
                value + "\n";
      return HttpResponse::Text(200, body);
    });
  }
  bool Start(std::string* error) { return server_.Start(error); }
  std::string target() const { return "127.0.0.1:" + std::to_string(server_.Ports().at(0)); }
  void Set(const std::string& member, const std::string& value) {
    std::lock_guard<std::mutex> lock(mutex_);
    connections_[member] = value;
  }

 private:
  static WebServerOptions Options() {
    WebServerOptions options;
    options.threads = 2;
    return options;
  }
  std::mutex mutex_;
  std::map<std::string, std::string> connections_;
  WebServer server_;
};

class PrometheusClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    exporter_.Set("fw1", "37");
    exporter_.Set("fw2", "5");
    std::string error;
    ASSERT_TRUE(exporter_.Start(&error)) << error;
    prometheus_ = std::make_unique<testing::PrometheusServer>(
        testing::PrometheusOptions{.targets = {exporter_.target()}});
    ASSERT_TRUE(prometheus_->Start()) << prometheus_->error();
    client_ = std::make_unique<PrometheusClient>(prometheus_->url(), std::chrono::seconds(5));
  }

  // Waits for Prometheus to scrape what the exporter now publishes.
  QueryResult WaitFor(const std::string& promql, const std::function<bool(double)>& matches) {
    QueryResult last;
    testing::WaitUntil(
        [&] {
          last = client_->Query(promql);
          return last.kind == Kind::kValue && matches(last.value);
        },
        std::chrono::seconds(15), std::chrono::milliseconds(200));
    return last;
  }

  FakeExporter exporter_;
  std::unique_ptr<testing::PrometheusServer> prometheus_;
  std::unique_ptr<PrometheusClient> client_;
};

GateSpec DrainedGate() {
  GateSpec gate;
  gate.name = "drained";
  gate.query = "cutover_member_connections{ha_cluster=\"{{cluster}}\",member=\"{{member}}\"}";
  gate.condition = Condition{Comparison::kLess, 10};
  return gate;
}

TEST_F(PrometheusClientTest, GateReadsTheValueTheExporterPublishes) {
  const GateSpec gate = DrainedGate();
  const std::string query = ResolveQuery(gate, "edge", "fw1");

  QueryResult busy = WaitFor(query, [](double v) { return v == 37; });
  ASSERT_EQ(busy.kind, Kind::kValue) << busy.error << "\n" << prometheus_->Log();
  ASSERT_EQ(busy.value, 37) << "fw1 still carries 37 connections";
  Measurement m = Measure(gate, "fw1", query, busy, std::chrono::system_clock::now());
  EXPECT_EQ(m.phase, Phase::kFailed);
  EXPECT_EQ(Explain(m),
            "gate drained: cutover_member_connections{ha_cluster=\"edge\",member=\"fw1\"} = 37, "
            "needs < 10");

  exporter_.Set("fw1", "3");
  QueryResult drained = WaitFor(query, [](double v) { return v == 3; });
  ASSERT_EQ(drained.value, 3) << "the new value never arrived: " << drained.error;
  EXPECT_EQ(Measure(gate, "fw1", query, drained, {}).phase, Phase::kSuccessful);

  exporter_.Set("fw1", "NaN");
  QueryResult nan = WaitFor(query, [](double v) { return std::isnan(v); });
  ASSERT_TRUE(std::isnan(nan.value)) << "NaN never arrived: " << nan.error;
  EXPECT_EQ(Measure(gate, "fw1", query, nan, {}).phase, Phase::kInconclusive);

  exporter_.Set("fw1", "+Inf");
  QueryResult inf = WaitFor(query, [](double v) { return std::isinf(v) && v > 0; });
  ASSERT_TRUE(std::isinf(inf.value)) << "+Inf never arrived: " << inf.error;
  EXPECT_EQ(Measure(gate, "fw1", query, inf, {}).phase, Phase::kFailed);

  QueryResult scalar = client_->Query("scalar(" + ResolveQuery(gate, "edge", "fw2") + ")");
  EXPECT_EQ(scalar.kind, Kind::kValue) << scalar.error;
  EXPECT_EQ(scalar.value, 5);
}

TEST_F(PrometheusClientTest, EveryWayAQueryGoesWrongIsNamed) {
  QueryResult both = WaitFor("count(cutover_member_connections)", [](double v) { return v == 2; });
  ASSERT_EQ(both.value, 2) << "Prometheus never scraped fw1 and fw2: " << both.error << "\n"
                           << prometheus_->Log();

  QueryResult many = client_->Query("cutover_member_connections");
  EXPECT_EQ(many.kind, Kind::kMany) << many.error;
  EXPECT_EQ(many.series_count, 2);
  QueryResult two_vectors = client_->Query(
      "label_replace(vector(1), \"member\", \"fw1\", \"\", \"\") or "
      "label_replace(vector(2), \"member\", \"fw2\", \"\", \"\")");
  EXPECT_EQ(two_vectors.kind, Kind::kMany) << two_vectors.error;
  EXPECT_EQ(two_vectors.series_count, 2);
  QueryResult aggregated = client_->Query("max(cutover_member_connections)");
  EXPECT_EQ(aggregated.kind, Kind::kValue) << "the fix the kMany message suggests works";
  EXPECT_EQ(aggregated.value, 37);

  QueryResult sum = client_->Query("vector(1) + vector(2)");
  EXPECT_EQ(sum.kind, Kind::kValue) << "'+' must survive the form encoding: " << sum.error;
  EXPECT_EQ(sum.value, 3);

  QueryResult parse_error = client_->Query("cutover_member_connections{member=\"fw1\"");
  EXPECT_EQ(parse_error.kind, Kind::kError);
  EXPECT_THAT(parse_error.error, HasSubstr("HTTP 400 bad_data"));
  EXPECT_THAT(parse_error.error, HasSubstr("parse error"));

  QueryResult none = client_->Query("cutover_member_connections{member=\"fw9\"}");
  EXPECT_EQ(none.kind, Kind::kNoData) << none.error;
  EXPECT_EQ(Explain(Measure(DrainedGate(), "fw9", "cutover_member_connections{member=\"fw9\"}",
                            none, {})),
            "gate drained: cutover_member_connections{member=\"fw9\"} returned no data "
            "(no_data: fail)");

  QueryResult execution = client_->Query("vector(1) + on() cutover_member_connections");
  EXPECT_EQ(execution.kind, Kind::kError);
  EXPECT_THAT(execution.error, HasSubstr("HTTP 422 execution"));

  QueryResult matrix = client_->Query("cutover_member_connections[1m]");
  EXPECT_THAT(matrix.error, HasSubstr("a gate needs an instant vector or scalar, got matrix"));
  QueryResult text = client_->Query("\"fw1\"");
  EXPECT_THAT(text.error, HasSubstr("got string"));
}

TEST_F(PrometheusClientTest, StoppedPrometheusFailsWithinTheTimeoutNamingTheUrl) {
  const std::string url = prometheus_->url();
  PrometheusClient client(url + "/", std::chrono::seconds(3));
  EXPECT_EQ(client.base_url(), url) << "a trailing slash is dropped";
  ASSERT_EQ(client.Query("vector(1)").kind, Kind::kValue) << "keep-alive connection is open";

  prometheus_->Stop();
  auto started = std::chrono::steady_clock::now();
  QueryResult gone = client.Query("vector(1)");
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(gone.kind, Kind::kError);
  EXPECT_THAT(gone.error, HasSubstr("cannot query Prometheus at " + url + "/api/v1/query"));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_EQ(Explain(Measure(DrainedGate(), "fw1", "q", gone, {}))
                .rfind("gate drained: q could not be measured: cannot query Prometheus at ", 0),
            0u);
}

// A Prometheus that accepts connections but never answers (overloaded, or SIGSTOPped):
// the query gives up after the client's timeout instead of holding the step forever.
TEST(PrometheusClientTimeoutTest, SilentServerTimesOutNamingTheUrl) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  PrometheusClient client(url, std::chrono::milliseconds(800));
  auto started = std::chrono::steady_clock::now();
  QueryResult hung = client.Query("vector(1)");
  auto elapsed = std::chrono::steady_clock::now() - started;
  close(listener);

  EXPECT_EQ(hung.kind, Kind::kError);
  EXPECT_THAT(hung.error, HasSubstr("cannot query Prometheus at " + url + "/api/v1/query"));
  EXPECT_THAT(hung.error, HasSubstr("Timeout"));
  EXPECT_GE(elapsed, std::chrono::milliseconds(700));
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
}

// A "Prometheus" that answers a query with a vector that does not end (a broken proxy,
// or a query selecting far more than anyone meant): it writes up to `limit` bytes and
// counts what the client took.
class FloodingPrometheus {
 public:
  explicit FloodingPrometheus(std::size_t limit) : limit_(limit) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(listener_, 4);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port));
    thread_ = std::thread([this] { Serve(); });
  }
  ~FloodingPrometheus() {
    shutdown(listener_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    close(listener_);
  }
  const std::string& url() const { return url_; }
  // Bytes of the answer written once the client went away (or the limit was reached).
  std::size_t Sent() {
    if (thread_.joinable()) thread_.join();
    return sent_;
  }

 private:
  void Serve() {
    int connection = accept(listener_, nullptr, nullptr);
    if (connection < 0) return;
    char request[4096];
    if (recv(connection, request, sizeof request, 0) <= 0) return;
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
        R"({"status":"success","data":{"resultType":"vector","result":[)";
    std::string series;
    for (int i = 0; i < 1000; ++i) series += R"({"metric":{"member":"fw1"},"value":[1,"1"]},)";
    bool ok = send(connection, head.data(), head.size(), MSG_NOSIGNAL) > 0;
    while (ok && sent_ < limit_) {
      ssize_t n = send(connection, series.data(), series.size(), MSG_NOSIGNAL);
      ok = n > 0;
      if (ok) sent_ += static_cast<std::size_t>(n);
    }
    close(connection);
  }

  std::size_t limit_;
  std::size_t sent_ = 0;
  int listener_ = -1;
  std::string url_;
  std::thread thread_;
};

// Runbook: "A Prometheus answering without end took cutover-actions to 2.1 GB per gate
// measurement." The answer is cut at the cap, the gate errs (no action), and the error
// names the setting to raise.
TEST(PrometheusClientAnswerLimitTest, AnEndlessAnswerIsCutAtTheCapAndIsAnError) {
  FloodingPrometheus flood(256u << 20);
  PrometheusClient client(flood.url(), std::chrono::seconds(20));
  QueryResult answer = client.Query("cutover_member_connections");
  EXPECT_EQ(answer.kind, Kind::kError);
  EXPECT_THAT(answer.error, HasSubstr("Prometheus answer larger than 16777216 bytes"));
  EXPECT_THAT(answer.error, HasSubstr("raise --prometheus.max-answer-bytes"));
  EXPECT_LT(flood.Sent(), 32u << 20) << "the client read on past its cap";
}

TEST(PrometheusClientAnswerLimitTest, TheCapIsASetting) {
  FloodingPrometheus flood(1u << 20);
  PrometheusClient client(flood.url(), std::chrono::seconds(20), /*max_answer_bytes=*/4096);
  QueryResult answer = client.Query("cutover_member_connections");
  EXPECT_EQ(answer.kind, Kind::kError);
  EXPECT_THAT(answer.error, HasSubstr("Prometheus answer larger than 4096 bytes"));
}

}  // namespace
}  // namespace cutover
