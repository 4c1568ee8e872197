#include "plugins/haproxy/haproxy_driver_config.h"

#include <stdexcept>

#include "plugins/haproxy/haproxy_driver.h"
#include "plugins/transport/socket_client.h"

namespace cutover {
namespace {

// `show info;show stat` of HAProxy 2.6 takes ~1.2 KB plus 200-400 bytes per server row
// (tests/plugins/haproxy/fixtures); 8 MiB holds 10,000 servers at up to ~830 bytes a row.
constexpr const char* kDefaultMaxReplyBytes = "8388608";
// Below this even `show info` alone would not fit.
constexpr std::int64_t kMinReplyBytes = 4096;

std::unique_ptr<Driver> CreateHaproxyDriver(const MemberConfig& member, DriverContext& context) {
  const std::string runtime_api = member.settings.String("runtime_api");
  std::string address_error = SocketClient::CheckAddress(runtime_api);
  if (!address_error.empty())
    throw std::runtime_error("settings.runtime_api: " + address_error +
                             " (write unix:/run/haproxy/admin.sock or tcp:127.0.0.1:9999)");

  HaproxyMemberSettings settings;
  settings.backend = member.settings.String("backend");
  settings.server = member.settings.String("server");
  if (settings.server.empty()) settings.server = member.name;
  for (const auto& [key, value] :
       {std::pair{"backend", settings.backend}, std::pair{"server", settings.server}}) {
    if (!IsValidHaproxyName(value))
      throw std::runtime_error(std::string("settings.") + key + ": '" + value +
                               "' is not an HAProxy name (use only A-Z a-z 0-9 _ . : -)");
  }
  settings.timeout = member.settings.DurationValue("timeout");
  if (settings.timeout <= Duration::zero())
    throw std::runtime_error("settings.timeout must be longer than 0s, e.g. 2s");
  const std::int64_t max_reply_bytes = member.settings.Integer("max_reply_bytes");
  if (max_reply_bytes < kMinReplyBytes)
    throw std::runtime_error("settings.max_reply_bytes must be at least " +
                             std::to_string(kMinReplyBytes) + " (the default is " +
                             kDefaultMaxReplyBytes + ")");

  // Members sharing a runtime API share one reader, built with the first member's limit.
  auto reader = context.shared.GetOrCreate<HaproxyStatReader>(
      HaproxyReaderKey(runtime_api), [&runtime_api, max_reply_bytes] {
        return std::make_shared<HaproxyStatReader>(std::make_shared<SocketRuntimeApi>(
            runtime_api, static_cast<std::size_t>(max_reply_bytes)));
      });
  return std::make_unique<HaproxyDriver>(std::move(settings), std::move(reader));
}

}  // namespace

DriverDescriptor HaproxyDriverDescriptor() {
  DriverDescriptor d;
  d.name = "haproxy";
  d.description =
      "A server of an HAProxy backend, probed with 'show stat' and steered with "
      "'set server' through the runtime API (stats socket at level admin).";
  d.actions = {Action::kConnect, Action::kDisconnect, Action::kStartDrain, Action::kStopDrain,
               Action::kSetPriority};
  d.roles = {"active", "backup", "draining", "maintenance", "down"};
  d.config = {
      {"runtime_api", ValueType::kString, "", true, false,
       "HAProxy's runtime API: unix:/path/to/admin.sock or tcp:host:port (level admin)"},
      {"backend", ValueType::kString, "", true, false,
       "the backend (or listen section) holding the server"},
      {"server", ValueType::kString, "", false, false,
       "the server's name in the backend; defaults to the member name"},
      {"timeout", ValueType::kDuration, "2s", false, false,
       "how long one runtime API request may take"},
      {"max_reply_bytes", ValueType::kInteger, kDefaultMaxReplyBytes, false, false,
       "largest runtime API reply read (bytes); the default holds show stat of 10,000 "
       "servers; a longer reply makes the members down naming this setting"},
  };
  d.needs_credentials = false;
  d.create = CreateHaproxyDriver;
  return d;
}

}  // namespace cutover
