// cutover-exporter as operators run it: the real binary, scraped by a real Prometheus,
// linted by promtool, counting real sessions through a real HAProxy.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/process.h"
#include "common/strings.h"
#include "plugins/transport/http_client.h"
#include "tests/support/background_process.h"
#include "tests/support/haproxy_server.h"
#include "tests/support/net.h"
#include "tests/support/prometheus_server.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

const std::string kExporter = std::string(CUTOVER_BINARY_DIR) + "/exporter/cutover-exporter";

// A member program for the exec driver: reads its connection count from a file the test
// controls, so the test knows what the exporter must publish.
std::string WriteExecMember(const testing::TempDir& dir) {
  dir.Write("connections", "12");
  return dir.Write(
      "member.sh",
      "#!/bin/sh\ncat >/dev/null\n"
      "printf '{\"up\":true,\"connections\":%s,\"version\":\"2.4.1\",\"role\":\"active\","
      "\"sync\":{\"ok\":true,\"lost_messages\":0},\"accepting_new_connections\":true,"
      "\"config_digest\":\"abc\"}\\n' \"$(cat " +
          dir.File("connections") + ")\"\n",
      0755);
}

class RunningExporter {
 public:
  bool Start(const std::string& config_file, const testing::TempDir& dir) {
    port_ = testing::FreeTcpPort();
    if (!process_.Start({kExporter, "--config.file=" + config_file,
                         "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
                        dir.File("exporter.log")))
      return false;
    return testing::WaitForTcpPort(port_, std::chrono::seconds(10));
  }
  int port() const { return port_; }
  std::string Scrape() const { return testing::HttpGetBody(port_, "/metrics"); }
  std::string Log() const { return process_.Log(); }

 private:
  testing::BackgroundProcess process_;
  int port_ = 0;
};

TEST(ExporterBinary, OutputPassesPromtoolCheckMetrics) {
  testing::TempDir dir;
  std::string program = WriteExecMember(dir);
  std::string config = dir.Write("cutover.yml",
                                 "clusters:\n- name: edge\n  driver: exec\n"
                                 "  settings: {program: " +
                                     program +
                                     "}\n"
                                     "  members: [{name: fw1}, {name: fw2}]\n");
  RunningExporter exporter;
  ASSERT_TRUE(exporter.Start(config, dir)) << exporter.Log();
  std::string text = exporter.Scrape();
  ASSERT_THAT(text, HasSubstr("cutover_member_connections{ha_cluster=\"edge\",member=\"fw2\"} 12"));
  ProcessOptions options;
  options.stdin_data = text;
  ProcessResult lint = RunProcess({"promtool", "check", "metrics"}, options);
  EXPECT_EQ(lint.exit_status, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << "promtool found problems in:\n" << text;
}

TEST(ExporterBinary, CheckConfigNamesFileLineAndFix) {
  testing::TempDir dir;
  std::string config = dir.Write("bad.yml",
                                 "clusters:\n- name: edge\n  driver: exec\n"
                                 "  members:\n  - name: fw1\n    settings: {prgram: /bin/true}\n");
  ProcessResult r = RunProcess({kExporter, "--config.file=" + config, "--check-config"}, {});
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_THAT(r.err, HasSubstr(config + ":6: member \"fw1\": driver 'exec' has no setting 'prgram' "
                                        "(known: program, args, timeout)"));
  EXPECT_THAT(r.err, HasSubstr("needs setting 'program'"));
}

TEST(ExporterBinary, PrometheusScrapesEveryMemberSeries) {
  testing::TempDir dir;
  std::string program = WriteExecMember(dir);
  std::string config = dir.Write("cutover.yml",
                                 "clusters:\n- name: edge\n  driver: exec\n"
                                 "  settings: {program: " +
                                     program +
                                     "}\n"
                                     "  members: [{name: fw1}, {name: fw2}]\n");
  RunningExporter exporter;
  ASSERT_TRUE(exporter.Start(config, dir)) << exporter.Log();
  testing::PrometheusOptions options;
  options.targets = {"127.0.0.1:" + std::to_string(exporter.port())};
  testing::PrometheusServer prometheus(options);
  ASSERT_TRUE(prometheus.Start()) << prometheus.error();

  std::string result;
  bool seen = testing::WaitUntil(
      [&] {
        result = prometheus.Query("cutover_member_connections{ha_cluster=\"edge\"}");
        return result.find("\"fw1\"") != std::string::npos &&
               result.find("\"fw2\"") != std::string::npos;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250));
  ASSERT_TRUE(seen) << "Prometheus never returned both members: " << result;
  EXPECT_THAT(result, HasSubstr("\"12\""));

  // A change on the member shows in Prometheus on a later scrape: collected on scrape.
  dir.Write("connections", "3");
  bool changed = testing::WaitUntil(
      [&] {
        result = prometheus.Query("sum(cutover_member_connections{ha_cluster=\"edge\"})");
        return result.find("\"6\"") != std::string::npos;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(250));
  EXPECT_TRUE(changed) << result;
  result = prometheus.Query(
      "cutover_member_role{role=\"active\"} == 1 and on(ha_cluster, member) cutover_member_up == "
      "1");
  EXPECT_THAT(result, HasSubstr("\"member\":\"fw1\""));
}

// Holds TCP sessions open through HAProxy's frontend until destroyed.
class HeldSessions {
 public:
  bool Open(int port, int count) {
    for (int i = 0; i < count; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      addr.sin_port = htons(static_cast<uint16_t>(port));
      if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
      // A byte each way proves the session reached a server.
      char byte = 'x';
      if (write(fd, &byte, 1) != 1 || read(fd, &byte, 1) != 1) return false;
      fds_.push_back(fd);
    }
    return true;
  }
  ~HeldSessions() {
    for (int fd : fds_) close(fd);
  }

 private:
  std::vector<int> fds_;
};

TEST(ExporterBinary, CountsTheSessionsHeldOpenThroughHaproxy) {
  testing::HaproxyOptions options;
  options.backend = "app";
  options.servers = 2;
  testing::HaproxyServer haproxy(options);
  ASSERT_TRUE(haproxy.Start()) << haproxy.error();
  testing::TempDir dir;
  std::string config = dir.Write("cutover.yml",
                                 "clusters:\n- name: lb\n  driver: haproxy\n  settings:\n"
                                 "    runtime_api: " +
                                     haproxy.runtime_api_tcp() +
                                     "\n    backend: app\n"
                                     "  members: [{name: s1}, {name: s2}]\n");
  RunningExporter exporter;
  ASSERT_TRUE(exporter.Start(config, dir)) << exporter.Log();
  EXPECT_THAT(exporter.Scrape(),
              HasSubstr("cutover_member_connections{ha_cluster=\"lb\",member=\"s1\"} 0"));

  HeldSessions sessions;
  ASSERT_TRUE(sessions.Open(haproxy.frontend_port(), 6));
  std::string text = exporter.Scrape();
  // Round robin over two servers: three sessions each.
  EXPECT_THAT(text, HasSubstr("cutover_member_connections{ha_cluster=\"lb\",member=\"s1\"} 3"));
  EXPECT_THAT(text, HasSubstr("cutover_member_connections{ha_cluster=\"lb\",member=\"s2\"} 3"));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"lb\",member=\"s1\"} 1"));
}

TEST(ExporterBinary, AnUnreachableHaproxyMakesOnlyItsMembersDown) {
  testing::TempDir dir;
  std::string program = WriteExecMember(dir);
  std::string config = dir.Write("cutover.yml",
                                 "clusters:\n- name: lb\n  driver: haproxy\n  settings:\n"
                                 "    runtime_api: unix:" +
                                     dir.File("missing.sock") +
                                     "\n    backend: app\n"
                                     "  members: [{name: s1}]\n"
                                     "- name: edge\n  driver: exec\n  settings: {program: " +
                                     program +
                                     "}\n"
                                     "  members: [{name: fw1}]\n");
  RunningExporter exporter;
  ASSERT_TRUE(exporter.Start(config, dir)) << exporter.Log();
  std::string text = exporter.Scrape();
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"lb\",member=\"s1\"} 0"));
  EXPECT_THAT(text, HasSubstr("cutover_member_up{ha_cluster=\"edge\",member=\"fw1\"} 1"));
  EXPECT_THAT(exporter.Log(), HasSubstr("member probe failed"));
}

}  // namespace
}  // namespace cutover
