// A real HAProxy (Debian's /usr/sbin/haproxy) on 127.0.0.1 for one test or benchmark,
// with a runtime API (admin level) on a TCP port and on a UNIX socket, a CSV stats page,
// and a TCP frontend balancing (roundrobin, no health checks) over servers s1..sN.
// Every server points at one in-process TCP echo listener, so 1,000 servers cost one
// port and one thread, not 1,000 file descriptors.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

struct HaproxyOptions {
  std::string backend = "app";
  int servers = 2;         // named s1..sN
  int backup_servers = 0;  // the last N of s1..sN are `backup` servers
};

class HaproxyServer {
 public:
  explicit HaproxyServer(HaproxyOptions options = {});
  ~HaproxyServer();
  HaproxyServer(const HaproxyServer&) = delete;
  HaproxyServer& operator=(const HaproxyServer&) = delete;

  bool Start();  // false with error() when HAProxy did not come up
  void Stop();

  const std::string& error() const { return error_; }
  const std::string& backend() const { return options_.backend; }
  std::vector<std::string> server_names() const;
  int frontend_port() const { return frontend_port_; }  // TCP sessions go through here
  int stats_port() const { return stats_port_; }        // GET /stats;csv
  int echo_port() const { return echo_port_; }          // where every server points
  std::string runtime_api_tcp() const;                  // "tcp:127.0.0.1:PORT"
  std::string runtime_api_unix() const;                 // "unix:/tmp/.../admin.sock"
  std::string socket_path() const { return dir_.File("admin.sock"); }
  pid_t pid() const { return process_.pid(); }
  std::string Log() const;

 private:
  bool StartOnce();

  HaproxyOptions options_;
  TempDir dir_;
  BackgroundProcess process_;
  int frontend_port_ = 0, stats_port_ = 0, api_port_ = 0, echo_port_ = 0;
  std::string error_;
  class EchoServer;
  std::unique_ptr<EchoServer> echo_;
};

}  // namespace cutover::testing
