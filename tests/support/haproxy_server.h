// A real HAProxy (Debian's /usr/sbin/haproxy) on 127.0.0.1 for one test or benchmark,
// with a runtime API (admin level) on a TCP port and on a UNIX socket, a CSV stats page,
// and a TCP frontend balancing over servers that are plain TCP echo listeners.
#pragma once

#include <string>
#include <vector>

#include "tests/support/background_process.h"
#include "tests/support/temp_dir.h"

namespace cutover::testing {

struct HaproxyOptions {
  std::string backend = "app";
  int servers = 2;  // named s1..sN
};

class HaproxyServer {
 public:
  explicit HaproxyServer(HaproxyOptions options = {});
  ~HaproxyServer();
  bool Start();  // false with error() when HAProxy did not come up
  void Stop();

  const std::string& error() const { return error_; }
  const std::string& backend() const { return options_.backend; }
  std::vector<std::string> server_names() const;
  int frontend_port() const { return frontend_port_; }   // TCP sessions go through here
  int stats_port() const { return stats_port_; }          // GET /stats;csv
  std::string runtime_api_tcp() const;                     // "tcp:127.0.0.1:PORT"
  std::string runtime_api_unix() const;                    // "unix:/tmp/.../admin.sock"
  std::string Log() const;

 private:
  HaproxyOptions options_;
  TempDir dir_;
  BackgroundProcess process_;
  int frontend_port_ = 0, stats_port_ = 0, api_port_ = 0;
  std::vector<int> server_ports_;
  std::string error_;
  struct EchoServers;
  EchoServers* echo_ = nullptr;
};

}  // namespace cutover::testing
