#include "lab/traffic/socket_address.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <cstring>

#include "common/web_server.h"

namespace cutover::traffic {

bool ResolveSocketAddress(const std::string& address, SocketAddress* out, std::string* error) {
  std::string host;
  int port = 0;
  if (!SplitHostPort(address, &host, &port) || host.empty()) {
    *error = "address '" + address + "' is not host:port (e.g. 10.0.0.2:7000 or [::1]:7000)";
    return false;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* results = nullptr;
  int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &results);
  if (rc != 0 || results == nullptr) {
    *error = "cannot resolve '" + host + "' in '" + address + "': " + gai_strerror(rc) +
             " (use an IP address or a name in /etc/hosts)";
    return false;
  }
  std::memcpy(&out->storage, results->ai_addr, results->ai_addrlen);
  out->length = results->ai_addrlen;
  freeaddrinfo(results);
  return true;
}

std::string FormatSocketAddress(const sockaddr* address) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return "?";
}

}  // namespace cutover::traffic
