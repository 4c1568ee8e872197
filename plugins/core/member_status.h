// What a probe learns about one member. Plain data.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover {

// State-sync figures a platform may give. Each maps to one metric (see SyncMetricInfo);
// a driver fills only those its platform reports.
enum class SyncMetric {
  kLostMessages,          // counter: sync messages/updates lost
  kMalformedMessages,     // counter: sync messages rejected as malformed
  kSentMessages,          // counter
  kReceivedMessages,      // counter
  kRetransmissions,       // counter: retransmission requests sent and received
  kInternalCacheEntries,  // gauge: state entries this member holds of its own
  kExternalCacheEntries,  // gauge: entries held on behalf of the peer(s), i.e. synced state
};

struct SyncMetricInfo {
  SyncMetric metric;
  std::string_view name;  // full Prometheus metric name
  std::string_view help;
  bool is_counter;
};
const std::vector<SyncMetricInfo>& AllSyncMetrics();

struct SyncStatus {
  // nullopt: the member has no state sync to report (e.g. an HAProxy server).
  std::optional<bool> ok;
  std::string state;  // the platform's own words, e.g. "Off - Full-sync failure"
  std::map<SyncMetric, double> values;
};

struct MemberStatus {
  bool up = false;
  std::string error;  // why up is false, for logs and operators
  std::optional<double> connections;
  std::string version;
  std::string role;  // one of the driver descriptor's roles, or "unknown"
  SyncStatus sync;
  std::optional<bool> accepting_new_connections;
  std::string config_digest;  // changes when the member's configuration changes
  // Data-plane counters the member keeps itself (linux-fw: nftables named counters), so
  // a gate can see traffic move and sessions break on a real pair without a traffic
  // generator. nullopt where the driver reads none. Totals since the counter was created:
  // a ruleset reload starts them again from 0, which rate() and increase() take as a reset.
  std::optional<double> forwarded_packets;
  std::optional<double> forwarded_bytes;
  // Packets dropped because they matched no connection state (`ct state invalid` with
  // nf_conntrack_tcp_loose=0): mid-stream packets of sessions whose state was lost.
  std::optional<double> invalid_state_drops;

  static MemberStatus Down(std::string why) {
    MemberStatus s;
    s.error = std::move(why);
    s.role = "unknown";
    return s;
  }
};

}  // namespace cutover
