// Pure parsers for what FRR's vtysh prints on the router that peers with the members:
// `show bgp ipv4 unicast <prefix> json`, `show bgp neighbors <neighbor> json`,
// `show version` and `show running-config`, plus the pure decision of a member's role.
// Each returns a value or an error naming what was expected; none invents a figure.
// Fixtures captured from FRR 8.4.4 live in tests/plugins/frr_bgp/fixtures/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_result.h"

namespace cutover {

// One path the router holds for the protected prefix.
struct BgpPath {
  std::string peer;  // the neighbor address it was learned from ("peer.peerId")
  bool valid = false;
  bool best = false;  // "bestpath.overall"
  std::optional<std::uint32_t> local_preference;
  std::string as_path;  // "aspath.string", e.g. "64601 64601 64601"
};

// `show bgp ipv4 unicast <prefix> json`. FRR prints `{}` when the prefix is not in the
// table: that is an empty list, not an error.
ParseResult<std::vector<BgpPath>> ParseBgpPrefixPaths(std::string_view json);

// `show bgp neighbors <neighbor> json`: the session state ("Established", "Active",
// "Connect", ...). A neighbor the router does not know is an error saying so.
ParseResult<std::string> ParseBgpNeighborState(std::string_view json, const std::string& neighbor);

// `show version`: "FRRouting 8.4.4 (vm) on Linux(...)." gives "8.4.4".
ParseResult<std::string> ParseFrrVersion(std::string_view output);

// The part of `show running-config` that describes one member's routing policy: the
// blocks of the named route-maps and the router's `neighbor <neighbor> ...` lines, in a
// canonical order, with the values role moves change (set local-preference, set as-path
// prepend) reduced to their keywords, so a role move does not read as a configuration
// change while any other edit (a new match, a removed route-map) does.
ParseResult<std::string> MemberPolicyConfig(std::string_view running_config,
                                            const std::vector<std::string>& route_maps,
                                            const std::string& neighbor);

struct BgpRoleDecision {
  bool up = false;
  std::string role;  // "active", "standby" or "down"
  std::string why;   // for MemberStatus::error (down) and logs
};

// active: the best path for the prefix is via `neighbor`; standby: a valid path via it
// exists but is not best; down: the session is not Established or no valid path via it.
BgpRoleDecision DecideBgpRole(const std::vector<BgpPath>& paths, const std::string& session_state,
                              const std::string& neighbor, const std::string& prefix);

// On a member's own FRR: `show bgp ipv4 unicast neighbors <router> advertised-routes json`.
// The AS path the member sends for `prefix` after its outbound policy ("" for its own
// network unprepended), or nullopt when it announces nothing for the prefix. A neighbor
// FRR does not know ({"warning":"No such neighbor ..."}) is an error saying so.
ParseResult<std::optional<std::string>> ParseAdvertisedPath(std::string_view json,
                                                            const std::string& prefix);

// The role a member's announcement gives it: active when it sends `prefix` to the
// router without prepending, standby when it prepends exactly prepend_as x prepend_count
// (what set_role standby writes), down when the session is not Established, nothing is
// announced, or the path is anything else (someone else's policy: the role is unclear).
BgpRoleDecision DecideAnnouncedRole(const std::optional<std::string>& advertised_path,
                                    const std::string& session_state, const std::string& neighbor,
                                    const std::string& prefix, std::int64_t prepend_as,
                                    std::int64_t prepend_count);

// vtysh exits 0 even when a command in a -c list is refused; it prints a line starting
// with '%' instead ("% [BGP] Argument form is unsupported or malformed."). The first
// such line, or empty.
std::string FirstVtyshError(std::string_view output);

}  // namespace cutover
