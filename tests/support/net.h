#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace cutover::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bind to :0, read, close). Servers
// that cannot bind :0 themselves (sshd, HAProxy, Prometheus) get one of these.
int FreeTcpPort();
bool WaitForTcpPort(int port, std::chrono::milliseconds timeout);
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(50));
// The full output of a plain HTTP GET to 127.0.0.1:port path, or "" on failure.
std::string HttpGetBody(int port, const std::string& path);

}  // namespace cutover::testing
