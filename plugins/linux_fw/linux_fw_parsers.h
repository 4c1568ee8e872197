// Pure parsers for what a Linux firewall member prints: `conntrack -C`, `conntrackd -s`,
// `conntrackd -s network`, the VRRP state file a keepalived notify script writes, the
// answer of the site's `cluster_command status` and `nft list counter`.
// Each returns a value or an error naming what was expected; none invents a figure.
// Fixtures captured from conntrackd 1.4.7, keepalived 2.2.7 and nftables 1.0.6 live in
// tests/plugins/linux_fw/fixtures/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "common/parse_result.h"

namespace cutover {

// `conntrack -C`: the number of entries in the kernel's connection tracking table.
ParseResult<std::uint64_t> ParseConntrackCount(std::string_view output);

// One "cache internal:" / "cache external:" block of `conntrackd -s`.
struct ConntrackdCacheStats {
  std::uint64_t active = 0;  // "current active connections"
  std::uint64_t created = 0, created_failed = 0;
  std::uint64_t updated = 0, updated_failed = 0;
  std::uint64_t destroyed = 0, destroyed_failed = 0;
};

// The "<kind> traffic (active device=<dev>):" block both `-s` and `-s network` print:
// sync packets on the dedicated link (FTFW/NOTRACK over UDP, multicast or TCP).
struct ConntrackdSyncTraffic {
  std::string kind;    // "UDP", "multicast", "TCP" as conntrackd writes it
  std::string device;  // e.g. "eth2"
  std::uint64_t bytes_sent = 0, bytes_received = 0;
  std::uint64_t packets_sent = 0, packets_received = 0;
  std::uint64_t send_errors = 0, receive_errors = 0;
};

// `conntrackd -C conf -s` (general statistics).
struct ConntrackdStats {
  ConntrackdCacheStats internal;  // states of connections through this member
  ConntrackdCacheStats external;  // states received from the peer
  std::uint64_t processed_bytes = 0, processed_packets = 0;  // "traffic processed"
  std::optional<ConntrackdSyncTraffic> traffic;
  // "message tracking:" line; conntrackd prints it in sync modes only.
  std::optional<std::uint64_t> malformed_messages, lost_messages;
};
// Both cache blocks are required: without "cache external" conntrackd is not syncing.
ParseResult<ConntrackdStats> ParseConntrackdStats(std::string_view output);

// `conntrackd -C conf -s network`.
struct ConntrackdNetworkStats {
  // "network statistics: recv:" — messages from the peer rejected, by reason.
  std::uint64_t received_malformed = 0;
  std::uint64_t wrong_protocol_version = 0, malformed_header = 0, malformed_payload = 0;
  std::uint64_t bad_message_type = 0, truncated_message = 0, bad_message_size = 0;
  std::uint64_t sent_malformed = 0;  // "network statistics: send:"
  // "sequence tracking statistics: recv:": gaps in the peer's sequence numbers. FTFW
  // recovers lost messages by retransmission, so a rising count means a lossy link,
  // not necessarily missing state.
  std::uint64_t packets_lost = 0;
  std::uint64_t packets_before = 0;  // out-of-order (already seen) sequence numbers
  std::optional<ConntrackdSyncTraffic> traffic;
};
// "Malformed messages" (recv) and "Packets lost" are required.
ParseResult<ConntrackdNetworkStats> ParseConntrackdNetworkStats(std::string_view output);

// The VRRP state file: the last non-empty line is either a bare keepalived state
// (MASTER, BACKUP, FAULT, STOP, DELETED) or the line keepalived passes to a `notify`
// script: "INSTANCE VI_1 MASTER 150" / "GROUP G1 BACKUP 0".
struct KeepalivedState {
  std::string state;                     // keepalived's word, upper case: "MASTER"
  std::string role;                      // active, standby, fault or stopped
  std::string scope;                     // "INSTANCE" or "GROUP"; empty for a bare word
  std::string name;                      // instance or group name; empty for a bare word
  std::optional<std::int64_t> priority;  // effective priority at the transition
};
ParseResult<KeepalivedState> ParseKeepalivedState(std::string_view contents);

// What the site's `cluster_command status` prints in a load-sharing cluster: one
// `key=value` per line, e.g. "role=active\naccepting=1\n". `role` (active, standby,
// ready or down) and `accepting` (0 or 1) are required, each once; other keys are
// ignored so a site script may print more. A line that is not `key=value` (key in
// [a-z0-9_], starting with a letter) is an error naming the line.
struct ClusterStatus {
  std::string role;
  bool accepting = false;
};
ParseResult<ClusterStatus> ParseClusterStatus(std::string_view output);

// `nft list counter FAMILY TABLE NAME`: the totals of one nftables named counter since it
// was created (a ruleset reload creates it again, from 0). nftables 1.0.6 prints
//
//   table inet co_firewall {
//   	counter forwarded {
//   		comment "..."            <- only when the counter has a comment
//   		packets 14 bytes 1988
//   	}
//   }
//
// Exactly one `counter NAME {` line and one `packets N bytes N` line are required; other
// lines inside the counter's block are skipped. Anything else (nft's "Error: No such
// file or directory", a whole ruleset) is an error quoting what was printed.
struct NftCounter {
  std::string name;
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};
ParseResult<NftCounter> ParseNftCounter(std::string_view output);

}  // namespace cutover
