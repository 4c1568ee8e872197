// Placeholder until the HAProxy work lands: every request fails clearly.
#include "plugins/transport/socket_client.h"

namespace cutover {

SocketClient::SocketClient(std::string address) : address_(std::move(address)) {}

SocketReply SocketClient::Request(const std::string&, Duration) const {
  return {false, {}, "socket client not implemented yet"};
}

}  // namespace cutover
