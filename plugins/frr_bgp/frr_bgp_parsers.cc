#include "plugins/frr_bgp/frr_bgp_parsers.h"

#include <algorithm>
#include <map>

#include "common/json_reader.h"
#include "common/strings.h"

namespace cutover {
namespace {

std::string Excerpt(std::string_view text) {
  std::string flat(Trim(text).substr(0, 80));
  std::replace(flat.begin(), flat.end(), '\n', ' ');
  return flat.empty() ? "nothing" : "'" + flat + "'";
}

// vtysh's JSON is FRR's own: repeated keys are not checked, everything else is.
ParseResult<rapidjson::Document> ParseObject(std::string_view json, const std::string& what) {
  auto parsed = ReadJson(json, MachineJsonLimits());
  if (!parsed.ok())
    return ParseResult<rapidjson::Document>::Error(
        what + " is not JSON cutover reads (" + parsed.error() + "); it printed " + Excerpt(json));
  if (!parsed.value().IsObject())
    return ParseResult<rapidjson::Document>::Error(
        what + " printed JSON that is not an object: " + Excerpt(json));
  return parsed;
}

bool BoolMember(const rapidjson::Value& object, const char* name) {
  auto it = object.FindMember(name);
  return it != object.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

}  // namespace

ParseResult<std::vector<BgpPath>> ParseBgpPrefixPaths(std::string_view json) {
  using Result = ParseResult<std::vector<BgpPath>>;
  auto parsed = ParseObject(json, "show bgp ipv4 unicast <prefix> json");
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Document& doc = parsed.value();
  std::vector<BgpPath> paths;
  if (doc.ObjectEmpty()) return paths;
  auto list = doc.FindMember("paths");
  if (list == doc.MemberEnd() || !list->value.IsArray())
    return Result::Error("show bgp ipv4 unicast <prefix> json has no \"paths\" list; it printed " +
                         Excerpt(json));
  for (const auto& p : list->value.GetArray()) {
    if (!p.IsObject()) return Result::Error("a path in \"paths\" is not an object");
    BgpPath path;
    auto peer = p.FindMember("peer");
    if (peer == p.MemberEnd() || !peer->value.IsObject() || !peer->value.HasMember("peerId") ||
        !peer->value["peerId"].IsString())
      return Result::Error("a path for the prefix has no \"peer\".\"peerId\" (FRR 8.x prints it)");
    path.peer = peer->value["peerId"].GetString();
    path.valid = BoolMember(p, "valid");
    auto best = p.FindMember("bestpath");
    path.best =
        best != p.MemberEnd() && best->value.IsObject() && BoolMember(best->value, "overall");
    auto pref = p.FindMember("locPrf");
    if (pref != p.MemberEnd() && pref->value.IsUint())
      path.local_preference = pref->value.GetUint();
    auto aspath = p.FindMember("aspath");
    if (aspath != p.MemberEnd() && aspath->value.IsObject() && aspath->value.HasMember("string") &&
        aspath->value["string"].IsString())
      path.as_path = aspath->value["string"].GetString();
    paths.push_back(std::move(path));
  }
  return paths;
}

ParseResult<std::string> ParseBgpNeighborState(std::string_view json, const std::string& neighbor) {
  using Result = ParseResult<std::string>;
  auto parsed = ParseObject(json, "show bgp neighbors " + neighbor + " json");
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Document& doc = parsed.value();
  if (BoolMember(doc, "bgpNoSuchNeighbor"))
    return Result::Error("the router has no BGP neighbor " + neighbor +
                         " configured; set 'neighbor' to the member's address in the router's "
                         "`router bgp` section");
  auto entry = doc.FindMember(neighbor.c_str());
  if (entry == doc.MemberEnd() || !entry->value.IsObject())
    return Result::Error("show bgp neighbors " + neighbor + " json does not describe " + neighbor +
                         "; it printed " + Excerpt(json));
  auto state = entry->value.FindMember("bgpState");
  if (state == entry->value.MemberEnd() || !state->value.IsString())
    return Result::Error("show bgp neighbors " + neighbor + " json has no \"bgpState\"");
  return std::string(state->value.GetString());
}

ParseResult<std::string> ParseFrrVersion(std::string_view output) {
  constexpr std::string_view kProduct = "FRRouting ";
  std::string_view first = Trim(output);
  first = Trim(first.substr(0, first.find('\n')));
  if (!StartsWith(first, kProduct))
    return ParseResult<std::string>::Error(
        "show version does not start with 'FRRouting <version>'; "
        "it printed " +
        Excerpt(output));
  std::string_view rest = first.substr(kProduct.size());
  std::string version(rest.substr(0, rest.find(' ')));
  if (version.empty())
    return ParseResult<std::string>::Error("show version names no version after 'FRRouting'");
  return version;
}

ParseResult<std::string> MemberPolicyConfig(std::string_view running_config,
                                            const std::vector<std::string>& route_maps,
                                            const std::string& neighbor) {
  auto lines = SplitLines(running_config);
  bool ended = std::any_of(lines.begin(), lines.end(),
                           [](std::string_view line) { return Trim(line) == "end"; });
  if (!ended)
    return ParseResult<std::string>::Error(
        "show running-config did not end with 'end' (cut short, or not FRR?); it printed " +
        Excerpt(running_config));
  // Route-map blocks keyed by their header so the order FRR prints them in (which moves
  // when an entry is edited) does not change the digest.
  std::map<std::string, std::vector<std::string>> blocks;
  std::vector<std::string> neighbor_lines;
  std::string open;
  const std::string neighbor_prefix = "neighbor " + neighbor + " ";
  for (std::string_view raw : lines) {
    std::string_view line = Trim(raw);
    if (!open.empty()) {
      if (line == "exit" || line == "!") {
        open.clear();
        continue;
      }
      std::string entry(line);
      if (StartsWith(line, "set local-preference ")) entry = "set local-preference";
      if (StartsWith(line, "set as-path prepend ")) entry = "set as-path prepend";
      blocks[open].push_back(entry);
      continue;
    }
    if (StartsWith(line, "route-map ")) {
      auto fields = SplitFields(line);
      if (fields.size() >= 2 &&
          std::find(route_maps.begin(), route_maps.end(), fields[1]) != route_maps.end()) {
        open = std::string(line);
        blocks[open];
      }
      continue;
    }
    if (StartsWith(line, neighbor_prefix)) neighbor_lines.emplace_back(line);
  }
  std::string canonical;
  for (const auto& line : neighbor_lines) canonical += line + "\n";
  for (auto& [header, entries] : blocks) {
    // A role move may add or remove the prepend line; keep the digest blind to that too.
    entries.erase(std::remove(entries.begin(), entries.end(), "set as-path prepend"),
                  entries.end());
    std::sort(entries.begin(), entries.end());
    canonical += header + "\n";
    for (const auto& entry : entries) canonical += " " + entry + "\n";
  }
  return canonical;
}

BgpRoleDecision DecideBgpRole(const std::vector<BgpPath>& paths, const std::string& session_state,
                              const std::string& neighbor, const std::string& prefix) {
  if (session_state != "Established")
    return {false, "down",
            "BGP session with " + neighbor + " is " + session_state + ", not Established"};
  const BgpPath* via = nullptr;
  for (const auto& path : paths) {
    if (path.peer == neighbor && path.valid && (!via || path.best)) via = &path;
  }
  if (!via)
    return {false, "down",
            "the router holds no valid path for " + prefix + " via " + neighbor +
                " (is the member announcing it? does the route-map permit it?)"};
  if (via->best) return {true, "active", "best path for " + prefix + " is via " + neighbor};
  return {true, "standby", "valid non-best path for " + prefix + " via " + neighbor};
}

ParseResult<std::optional<std::string>> ParseAdvertisedPath(std::string_view json,
                                                            const std::string& prefix) {
  using Result = ParseResult<std::optional<std::string>>;
  const std::string what = "show bgp ipv4 unicast neighbors <router> advertised-routes json";
  auto parsed = ParseObject(json, what);
  if (!parsed.ok()) return Result::Error(parsed.error());
  const rapidjson::Document& doc = parsed.value();
  auto warning = doc.FindMember("warning");
  if (warning != doc.MemberEnd() && warning->value.IsString())
    return Result::Error(what + " says '" + std::string(warning->value.GetString()) +
                         "' (is neighbor the router's address as this member's BGP neighbor?)");
  auto routes = doc.FindMember("advertisedRoutes");
  if (routes == doc.MemberEnd() || !routes->value.IsObject())
    return Result::Error(what + " has no \"advertisedRoutes\" object; it printed " + Excerpt(json));
  auto route = routes->value.FindMember(prefix.c_str());
  if (route == routes->value.MemberEnd()) return std::optional<std::string>();
  if (!route->value.IsObject() || !route->value.HasMember("path") ||
      !route->value["path"].IsString())
    return Result::Error(what + ": the route for " + prefix + " has no \"path\" string");
  return std::optional<std::string>(route->value["path"].GetString());
}

BgpRoleDecision DecideAnnouncedRole(const std::optional<std::string>& advertised_path,
                                    const std::string& session_state, const std::string& neighbor,
                                    const std::string& prefix, std::int64_t prepend_as,
                                    std::int64_t prepend_count) {
  if (session_state != "Established")
    return {false, "down",
            "BGP session with " + neighbor + " is " + session_state + ", not Established"};
  if (!advertised_path)
    return {false, "down",
            "the member announces nothing for " + prefix + " to " + neighbor +
                " (is the prefix in its table? does the outbound route-map permit it?)"};
  if (advertised_path->empty())
    return {true, "active", "announces " + prefix + " to " + neighbor + " without prepending"};
  std::string standby_path;
  for (std::int64_t i = 0; i < prepend_count; ++i)
    standby_path += (i ? " " : "") + std::to_string(prepend_as);
  if (*advertised_path == standby_path)
    return {true, "standby",
            "announces " + prefix + " to " + neighbor + " prepended (" + standby_path + ")"};
  return {false, "down",
          "announces " + prefix + " to " + neighbor + " with AS path '" + *advertised_path +
              "', neither unprepended nor the standby's '" + standby_path +
              "': another policy decides this path, so its role is unclear"};
}

std::string FirstVtyshError(std::string_view output) {
  for (std::string_view line : SplitLines(output)) {
    std::string_view trimmed = Trim(line);
    if (StartsWith(trimmed, "%")) return std::string(trimmed);
  }
  return {};
}

}  // namespace cutover
