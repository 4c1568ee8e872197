// Pure parsers for HAProxy runtime API output: `show stat` (CSV) and `show info`.
// Columns are found by the names in the CSV header, never by position: HAProxy adds
// columns between releases (2.6 has about 150; 1.8 had about 100).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cutover {

// What cutover needs of one server row of `show stat`.
struct HaproxyServerStat {
  std::string status;   // "UP", "UP 1/3", "no check", "DRAIN", "MAINT (via app/s1)", "DOWN", ...
  bool backup = false;  // column bck == 1
  std::uint64_t current_sessions = 0;  // column scur
  // Fnv1aHex over the columns that come from the configuration rather than from live
  // state: pxname, svname, addr, cookie, mode, bck, sid. Runtime weight and state changes
  // (drain, maint, set weight) do not alter it; a changed address or backup flag does.
  std::string config_digest;
};

struct HaproxyStatTable {
  // Keyed "backend/server"; HAProxy names cannot hold '/', so the key is unambiguous.
  std::unordered_map<std::string, HaproxyServerStat> servers;
  std::size_t columns = 0;  // how many columns this HAProxy reports

  const HaproxyServerStat* Find(const std::string& backend, const std::string& server) const;
};

struct HaproxyStatParse {
  std::optional<HaproxyStatTable> table;  // set when the whole output parsed
  std::string error;                      // why not, naming the line
};

// Parses `show stat` CSV: a "# pxname,svname,..." header, then one row per proxy,
// listener and server. Fails on a missing header, a missing required column (pxname,
// svname, scur, status, bck), a row whose field count differs from the header (the
// output was cut short) or a server row with an unreadable scur or bck.
HaproxyStatParse ParseShowStat(std::string_view csv);

struct HaproxyInfo {
  std::string version;  // "Version:" line, e.g. "2.6.12-1+deb12u4"
  std::map<std::string, std::string> fields;
};

struct HaproxyInfoParse {
  std::optional<HaproxyInfo> info;
  std::string error;
};

// Parses `show info`: "Name: value" lines. Fails when there is no Version line.
HaproxyInfoParse ParseShowInfo(std::string_view text);

// HAProxy ends each command's output with an empty line, so the reply to "a;b" is two
// outputs each followed by "\n\n" (an output may itself be empty). Returns the outputs,
// as views into `reply`, without their terminating empty line; nullopt when the reply
// does not end with an empty line: the connection closed early, the last output is cut.
std::optional<std::vector<std::string_view>> SplitCommandOutputs(std::string_view reply);

// How a server's status maps onto cutover's roles and the accepting flag:
//   UP, UP n/m (going down), "no check" (no health check: HAProxy sends it traffic)
//       -> "active", or "backup" when the server is a backup; accepting
//   DRAIN, DRAIN (agent), DRAIN (via b/s) -> "draining"; not accepting
//   MAINT, MAINT (via b/s), MAINT (resolution) -> "maintenance"; not accepting
//   DOWN, DOWN n/m (coming up), NOLB, anything else -> "down"; not accepting
struct HaproxyServerState {
  std::string role;
  bool accepting_new_connections = false;
};
HaproxyServerState ServerStateFromStatus(std::string_view status, bool backup);

}  // namespace cutover
