// "host:port" to a socket address, for the echo server's listener and the client's target.
#pragma once

#include <sys/socket.h>

#include <string>

namespace cutover::traffic {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family() const { return storage.ss_family; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// Resolves "192.0.2.1:7000", "[2001:db8::1]:7000" or "name:7000" (first address wins).
// False with *error naming the address and what to write instead.
bool ResolveSocketAddress(const std::string& address, SocketAddress* out, std::string* error);

// "127.0.0.1:7000", "[::1]:7000"
std::string FormatSocketAddress(const sockaddr* address);

}  // namespace cutover::traffic
