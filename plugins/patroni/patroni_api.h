// Pure readers of Patroni's REST API answers (GET /patroni, /cluster, /config) and the
// pure decisions the blue-green runbook takes on them: a member's role in cutover's words,
// and the patch that puts the dynamic configuration back to what was measured before a
// raise. Each returns a value or an error naming what was expected; none invents a figure.
// Fixtures captured from Patroni 3.0.2 live in tests/plugins/patroni/fixtures/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_result.h"

namespace cutover {

// GET /patroni: the member's own view.
struct PatroniMemberStatus {
  std::string state;  // "running", "starting", "stopped", "restarting", ...
  // "primary", "replica" or "standby_leader": Patroni 3.0.2 says "master" for the first
  // (later versions "primary"); this is normalised, `reported_role` keeps the word.
  std::string role;
  std::string reported_role;
  std::int64_t server_version = 0;  // e.g. 150018
  std::optional<std::int64_t> timeline;
  std::string system_identifier;  // "database_system_identifier": the cluster's
  std::string patroni_version;    // "patroni"."version"
  std::string scope;              // "patroni"."scope"
  bool pending_restart = false;   // present only when true
  bool paused = false;            // "pause", present only when true
  // Primary: xlog.location; replica: xlog.replayed_location (and received_location).
  std::optional<std::uint64_t> wal_position;
  std::optional<std::uint64_t> received_position;
};

ParseResult<PatroniMemberStatus> ParsePatroniStatus(std::string_view json);

// GET /cluster: every member as the DCS lists it, refreshed once per loop_wait.
struct PatroniClusterMember {
  std::string name;
  std::string role;   // "leader", "replica", "sync_standby", "standby_leader"
  std::string state;  // "running" (3.0.2 says so for a streaming replica), "stopped", ...
  std::optional<std::int64_t> timeline;
  // Bytes behind the leader; nullopt for the leader and when Patroni says "unknown".
  std::optional<std::uint64_t> lag_bytes;
};

ParseResult<std::vector<PatroniClusterMember>> ParsePatroniCluster(std::string_view json);

// The runbook's four keys of the dynamic configuration, each with the value in effect:
// written in the DCS, or Patroni's built-in default when no one ever wrote it.
struct PatroniSetting {
  std::int64_t value = 0;
  bool written = false;  // false: the built-in default (the key is absent from /config)
};

struct PatroniDynamicConfig {
  PatroniSetting ttl;                      // default 30
  PatroniSetting loop_wait;                // default 10
  PatroniSetting retry_timeout;            // default 10
  PatroniSetting maximum_lag_on_failover;  // default 1048576
};

// GET /config. A key of the four that is present but not a whole number is an error.
ParseResult<PatroniDynamicConfig> ParsePatroniConfig(std::string_view json);

// The JSON merge patch (PATCH /config) that puts the four keys back to `before`: a key
// written before gets its value, a key that was a default before is deleted (null) so the
// default applies again. `patronictl edit-config --apply BACKUP` merges instead, so a key
// absent from the backup would keep its raised value; this is the revert that is one.
std::string PatroniRevertPatch(const PatroniDynamicConfig& before);

}  // namespace cutover
