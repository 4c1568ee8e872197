// Pure parsers for the Check Point commands the checkpoint driver reads. Each takes the
// command's standard output and returns either the figures it found or an error naming
// the command and what was unexpected. They never guess: a missing or unreadable figure
// is an error, not a zero. Layouts and their variations: plugins/checkpoint/README.md and
// tests/plugins/checkpoint/fixtures/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/parse_result.h"

namespace cutover {

struct ClusterMember {
  int id = 0;
  std::string address;  // "Unique Address" column
  double load_percent = 0;
  std::string state;  // as printed: "ACTIVE(!)", "Active attention", "STANDBY", ...
  std::string name;   // empty when the layout has no Name column (before R80.20, Spark)
  bool local = false;
};

struct CphaprobState {
  std::string cluster_mode;  // "High Availability (Active Up)"; empty if not printed
  std::vector<ClusterMember> members;
  std::size_t local_index = 0;  // members[local_index] is the (local) row
  // Abbreviated critical devices ("ADMIN", "LPRB") from `Active PNOTEs:`; empty for None.
  std::vector<std::string> active_pnotes;
  bool pnotes_reported = false;  // false before R80.20, which prints no PNOTE line

  const ClusterMember& local() const { return members[local_index]; }
};

// `cphaprob state` (also `cphaprob stat`) of R77 to R81 gateways and Quantum Spark.
ParseResult<CphaprobState> ParseCphaprobState(std::string_view output);

// The normalised role of a member state: active, active_attention, standby, ready, down,
// initializing, lost, or unknown for a state this driver does not know.
std::string CheckpointRole(std::string_view state);

struct CphaprobSyncstat {
  bool ok = false;         // `Sync status: OK`
  std::string status;      // the words after `Sync status:`, e.g. "Off - Full-sync failure"
  std::string off_reason;  // "Full-sync failure" when status is `Off - <reason>`
  std::uint64_t lost_updates = 0;
  std::uint64_t lost_bulk_update_events = 0;
  std::uint64_t sent_messages = 0;     // Total generated sync messages
  std::uint64_t received_updates = 0;  // Total received updates
  std::uint64_t sent_retransmission_requests = 0;
  std::uint64_t sent_retransmission_updates = 0;
  std::uint64_t received_retransmission_requests = 0;
  // Printed by R80.20, not by R81.
  std::optional<std::uint64_t> sending_queue_size;
  std::optional<std::uint64_t> receiving_queue_size;
  std::optional<std::uint64_t> fragments_queue_size;
};

// `cphaprob syncstat` of R80.20 and later.
ParseResult<CphaprobSyncstat> ParseCphaprobSyncstat(std::string_view output);

struct FwCtlPstatSync {
  bool ok = false;     // `Status: Able to Send/Receive sync packets`
  std::string status;  // the Status text, or "off" for `Sync: off`
  bool off = false;    // the whole section is `Sync: off`; no counters then
  std::uint64_t sent_total = 0;
  std::uint64_t sent_retransmitted = 0;
  std::uint64_t sent_retransmission_requests = 0;
  std::uint64_t received_total = 0;
  std::uint64_t received_dropped_by_net = 0;
  std::uint64_t received_retransmission_requests = 0;
  std::uint64_t dropped_updates_sync_overload = 0;
};

// The Sync section of `fw ctl pstat` (versions before `cphaprob syncstat`). The whole
// `fw ctl pstat` output may be given; only the part from `Sync:` on is read.
ParseResult<FwCtlPstatSync> ParseFwCtlPstatSync(std::string_view output);

struct FwTabConnections {
  std::uint64_t vals = 0;  // #VALS: connections in the table now
  std::uint64_t peak = 0;  // #PEAK
};

// `fw tab -t connections -s` (or `fw tab -s` listing several tables): the row of the
// table named `connections`.
ParseResult<FwTabConnections> ParseFwTabConnections(std::string_view output);

struct FwVer {
  std::string version;  // "R81.10"
  std::string build;    // "335"
};

// `fw ver`: "This is Check Point's software version R81.10 - Build 335".
ParseResult<FwVer> ParseFwVer(std::string_view output);

}  // namespace cutover
