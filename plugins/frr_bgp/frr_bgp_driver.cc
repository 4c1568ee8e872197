#include "plugins/frr_bgp/frr_bgp_driver.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <stdexcept>

#include "common/strings.h"
#include "plugins/frr_bgp/frr_bgp_parsers.h"
#include "plugins/transport/probe_script.h"

namespace cutover {
namespace {

constexpr char kPrefix[] = "prefix";
constexpr char kNeighbor[] = "neighbor";
constexpr char kVersion[] = "version";
constexpr char kRunningConfig[] = "running_config";
constexpr std::int64_t kMaxLocalPreference = 4294967295;

bool IsIpAddress(const std::string& text) {
  unsigned char buffer[16];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

bool IsIpPrefix(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return false;
  std::string address = text.substr(0, slash);
  auto length = ParseUint(std::string_view(text).substr(slash + 1));
  if (!length || text.size() - slash > 4) return false;
  unsigned char buffer[16];
  if (inet_pton(AF_INET, address.c_str(), buffer) == 1) return *length <= 32;
  return inet_pton(AF_INET6, address.c_str(), buffer) == 1 && *length <= 128;
}

// FRR names (route-maps, pathspaces): what an operator would type, nothing a vty line
// or a shell could read as syntax.
bool IsPlainName(const std::string& text) {
  if (text.empty() || text.size() > 63 || text.front() == '-') return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::optional<std::int64_t> ParseLocalPreference(const std::string& text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  auto value = ParseUint(text);
  if (!value || static_cast<std::int64_t>(*value) > kMaxLocalPreference) return std::nullopt;
  return static_cast<std::int64_t>(*value);
}

}  // namespace

std::optional<std::string> ValidateFrrBgpSettings(const FrrBgpSettings& s) {
  if (s.side != "router" && s.side != "member")
    return "side '" + s.side +
           "' is unknown (use router: vtysh on the router, its inbound policy; or member: "
           "vtysh on the member, its announcements)";
  if (!IsIpAddress(s.neighbor))
    return "neighbor '" + s.neighbor + "' is not an IP address; set it to " +
           (s.side == "router" ? "the member's address as the router's BGP neighbor, e.g. 10.0.1.2"
                               : "a router's address as the member's BGP neighbor, e.g. 10.0.1.1");
  if (s.side == "member" && s.method != "as_path_prepend")
    return "side member steers the member's announcements, which carry no local preference "
           "to an eBGP router: set method as_path_prepend (local preference belongs in the "
           "router's inbound policy, side router)";
  if (!IsIpPrefix(s.prefix))
    return "prefix '" + s.prefix +
           "' is not an IP prefix; set it to the protected prefix the members announce, e.g. "
           "10.0.100.0/24";
  if (!s.vtysh_pathspace.empty() && !IsPlainName(s.vtysh_pathspace))
    return "vtysh_pathspace '" + s.vtysh_pathspace +
           "' is not a plain name (letters, digits, . - _; as given to FRR's -N)";
  if (!IsPlainName(s.route_map))
    return "route_map '" + s.route_map + "' is not a plain name (letters, digits, . - _)";
  if (s.route_map_sequence < 1 || s.route_map_sequence > 65535)
    return "route_map_sequence " + std::to_string(s.route_map_sequence) + " is outside 1..65535";
  if (s.method != "local_preference" && s.method != "as_path_prepend")
    return "method '" + s.method + "' is unknown (use local_preference or as_path_prepend)";
  for (auto pref : {s.active_local_preference, s.standby_local_preference})
    if (pref < 0 || pref > kMaxLocalPreference)
      return "local preference " + std::to_string(pref) + " is outside 0..4294967295";
  if (s.method == "local_preference" && s.active_local_preference <= s.standby_local_preference)
    return "active_local_preference must be higher than standby_local_preference, or the "
           "active member would not win";
  if (s.method == "as_path_prepend" && (s.prepend_as < 1 || s.prepend_as > kMaxLocalPreference))
    return "method as_path_prepend needs prepend_as, the member's AS number (1..4294967295)";
  if (s.prepend_count < 1 || s.prepend_count > 10)
    return "prepend_count " + std::to_string(s.prepend_count) + " is outside 1..10";
  if (s.clear_scope != "neighbor" && s.clear_scope != "all")
    return "clear_scope '" + s.clear_scope + "' is unknown (use neighbor or all)";
  return std::nullopt;
}

FrrBgpDriver::FrrBgpDriver(FrrBgpSettings settings, std::unique_ptr<CommandTransport> transport)
    : settings_(std::move(settings)), transport_(std::move(transport)) {
  if (auto problem = ValidateFrrBgpSettings(settings_)) throw std::invalid_argument(*problem);
}

std::vector<std::string> FrrBgpDriver::Vtysh() const {
  std::vector<std::string> argv = {"vtysh"};
  if (!settings_.vtysh_pathspace.empty()) {
    argv.push_back("-N");
    argv.push_back(settings_.vtysh_pathspace);
  }
  return argv;
}

MemberStatus FrrBgpDriver::Probe(const ProbeContext& context) {
  auto remaining =
      std::chrono::duration_cast<Duration>(context.deadline - std::chrono::steady_clock::now());
  if (remaining <= Duration::zero())
    return MemberStatus::Down("probe deadline had passed before " + transport_->Target() +
                              " was asked");
  const std::string afi = settings_.prefix.find(':') == std::string::npos ? "ipv4" : "ipv6";
  // Values reach the commands only as quoted environment variables.
  const std::string vtysh = "vtysh ${VTYSH_PATHSPACE:+-N \"$VTYSH_PATHSPACE\"}";
  // The router's paths for the prefix, or what the member sends the router for it.
  const bool member_side = settings_.side == "member";
  const std::string show_prefix =
      member_side ? "show bgp " + afi + " unicast neighbors $NEIGHBOR advertised-routes json"
                  : "show bgp " + afi + " unicast $PREFIX json";
  std::vector<ProbeSection> sections = {
      {kPrefix, vtysh + " -c \"" + show_prefix + "\""},
      {kNeighbor, vtysh + " -c \"show bgp neighbors $NEIGHBOR json\""},
      {kRunningConfig, vtysh + " -c 'show running-config'"},
      {kVersion, settings_.version_command.empty() ? vtysh + " -c 'show version'"
                                                   : settings_.version_command},
  };
  std::string v = ShellJoin(Vtysh());
  std::map<std::string, std::string> commands = {
      {kPrefix,
       v + " -c " +
           ShellQuote(member_side ? "show bgp " + afi + " unicast neighbors " + settings_.neighbor +
                                        " advertised-routes json"
                                  : "show bgp " + afi + " unicast " + settings_.prefix + " json")},
      {kNeighbor, v + " -c " + ShellQuote("show bgp neighbors " + settings_.neighbor + " json")},
      {kRunningConfig, v + " -c 'show running-config'"},
      {kVersion,
       settings_.version_command.empty() ? v + " -c 'show version'" : settings_.version_command},
  };
  std::string script = BuildProbeScript(sections, {{"VTYSH_PATHSPACE", settings_.vtysh_pathspace},
                                                   {"PREFIX", settings_.prefix},
                                                   {"NEIGHBOR", settings_.neighbor}});
  CommandResult result =
      transport_->Run({"sh", "-c", script}, std::min(remaining, settings_.command_timeout));
  if (!result.completed)
    return MemberStatus::Down("probe of " + transport_->Target() +
                              " did not complete: " + result.Describe());
  auto split = SplitProbeOutput(result.out, {kPrefix, kNeighbor, kRunningConfig, kVersion});
  if (!split.ok())
    return MemberStatus::Down("probe of " + transport_->Target() + ": " + split.error() +
                              "; stderr " + QuoteCommandOutput(result.err));
  const auto& out = split.value();
  auto failed = [&](const std::string& name) {
    const SectionOutput& s = out.at(name);
    return "`" + commands[name] + "` on " + transport_->Target() + " exited " +
           std::to_string(s.exit_status) + " and printed " + QuoteCommandOutput(s.output) +
           " (are zebra and bgpd running there?)";
  };
  auto unparseable = [&](const std::string& name, const std::string& why) {
    return "`" + commands[name] + "` on " + transport_->Target() + ": " + why;
  };
  for (const char* name : {kPrefix, kNeighbor, kRunningConfig, kVersion})
    if (out.at(name).exit_status != 0) return MemberStatus::Down(failed(name));

  auto state = ParseBgpNeighborState(out.at(kNeighbor).output, settings_.neighbor);
  if (!state.ok()) return MemberStatus::Down(unparseable(kNeighbor, state.error()));
  auto policy =
      MemberPolicyConfig(out.at(kRunningConfig).output, {settings_.route_map}, settings_.neighbor);
  if (!policy.ok()) return MemberStatus::Down(unparseable(kRunningConfig, policy.error()));

  MemberStatus status;
  if (settings_.version_command.empty()) {
    auto version = ParseFrrVersion(out.at(kVersion).output);
    if (!version.ok()) return MemberStatus::Down(unparseable(kVersion, version.error()));
    status.version = version.value();
  } else {
    std::string_view text = Trim(out.at(kVersion).output);
    status.version = std::string(Trim(text.substr(0, text.find('\n'))));
    if (status.version.empty())
      return MemberStatus::Down(unparseable(kVersion, "printed no version"));
  }
  BgpRoleDecision decision;
  if (member_side) {
    auto announced = ParseAdvertisedPath(out.at(kPrefix).output, settings_.prefix);
    if (!announced.ok()) return MemberStatus::Down(unparseable(kPrefix, announced.error()));
    decision = DecideAnnouncedRole(announced.value(), state.value(), settings_.neighbor,
                                   settings_.prefix, settings_.prepend_as, settings_.prepend_count);
  } else {
    auto paths = ParseBgpPrefixPaths(out.at(kPrefix).output);
    if (!paths.ok()) return MemberStatus::Down(unparseable(kPrefix, paths.error()));
    decision = DecideBgpRole(paths.value(), state.value(), settings_.neighbor, settings_.prefix);
  }
  status.up = decision.up;
  status.role = decision.role;
  if (!decision.up) status.error = decision.why;
  // The router sends new flows for the prefix only along the best path (member side: the
  // unprepended announcement is the one the routers prefer).
  status.accepting_new_connections = decision.role == "active";
  status.config_digest = Fnv1aHex(policy.value());
  return status;
}

ActionResult FrrBgpDriver::Perform(const ActionRequest& request) {
  CommandPlan plan = PlanAction(request);
  if (plan.refused()) return ActionResult::Failure(plan.refusal);
  std::string printed;
  for (const PlannedCommand& command : plan.commands) {
    CommandResult result = transport_->Run(command.argv, command.timeout);
    std::string said = result.Printed();
    printed += said;
    if (!result.Ok())
      return ActionResult::Failure(CommandFailure(command.what, *transport_, command.argv, result),
                                   printed);
    // vtysh exits 0 even when it refused a line; only its output says so.
    if (std::string refused = FirstVtyshError(said); !refused.empty())
      return ActionResult::Failure(command.what + " on " + transport_->Target() +
                                       ": vtysh refused a line of `" + ShellJoin(command.argv) +
                                       "`: " + refused,
                                   printed);
  }
  return ActionResult::Success(printed);
}

std::vector<std::string> FrrBgpDriver::Describe(const ActionRequest& request) const {
  return DescribePlan(*transport_, PlanAction(request));
}

CommandPlan FrrBgpDriver::PlanAction(const ActionRequest& request) const {
  switch (request.action) {
    case Action::kSetRole:
      return PlanSetRole(request);
    case Action::kSetPriority:
      return PlanSetPriority(request);
    case Action::kRun:
      return PlanRunCommand(request);
    default:
      return CommandPlan::Refused("frr-bgp does not perform '" +
                                  std::string(ActionName(request.action)) + "'");
  }
}

CommandPlan FrrBgpDriver::PlanConfigure(const std::string& what,
                                        const std::vector<std::string>& set_lines,
                                        bool clear) const {
  std::vector<std::string> argv = Vtysh();
  auto add = [&](const std::string& line) {
    argv.push_back("-c");
    argv.push_back(line);
  };
  add("configure terminal");
  add("route-map " + settings_.route_map + " permit " +
      std::to_string(settings_.route_map_sequence));
  for (const auto& line : set_lines) add(line);
  add("end");
  if (settings_.save_config) add("write memory");
  // The router re-reads what it received; the member sends its announcements again.
  if (clear)
    add((settings_.clear_scope == "all" ? "clear bgp * soft"
                                        : "clear bgp " + settings_.neighbor + " soft") +
        std::string(settings_.side == "member" ? " out" : ""));
  return {{{what, std::move(argv), settings_.command_timeout}}, {}};
}

CommandPlan FrrBgpDriver::PlanSetRole(const ActionRequest& request) const {
  auto it = request.params.find("role");
  if (it == request.params.end() || (it->second != "active" && it->second != "standby"))
    return CommandPlan::Refused(
        "set_role: needs parameter 'role' set to active or standby" +
        (it == request.params.end() ? std::string() : ", not '" + it->second + "'"));
  bool active = it->second == "active";
  std::vector<std::string> lines;
  if (settings_.method == "local_preference") {
    lines.push_back("set local-preference " +
                    std::to_string(active ? settings_.active_local_preference
                                          : settings_.standby_local_preference));
  } else if (active) {
    lines.push_back("no set as-path prepend");
  } else {
    std::string prepend = "set as-path prepend";
    for (std::int64_t i = 0; i < settings_.prepend_count; ++i)
      prepend += " " + std::to_string(settings_.prepend_as);
    lines.push_back(prepend);
  }
  return PlanConfigure("set_role " + it->second, lines, true);
}

CommandPlan FrrBgpDriver::PlanSetPriority(const ActionRequest& request) const {
  if (settings_.side == "member")
    return CommandPlan::Refused(
        "set_priority writes a local preference, which only the router's inbound policy sets; "
        "this entry is on the member's side (steer it with set_role, or give the router's "
        "entry)");
  auto it = request.params.find("priority");
  if (it == request.params.end())
    return CommandPlan::Refused(
        "set_priority: needs parameter 'priority', the local preference the router gives "
        "this member's routes (higher wins, e.g. 200)");
  auto pref = ParseLocalPreference(it->second);
  if (!pref)
    return CommandPlan::Refused("set_priority: priority '" + it->second +
                                "' is not a local preference (a whole number 0..4294967295)");
  return PlanConfigure("set_priority", {"set local-preference " + std::to_string(*pref)}, true);
}

CommandPlan FrrBgpDriver::PlanRunCommand(const ActionRequest& request) const {
  auto it = request.params.find("command");
  if (it == request.params.end() || Trim(it->second).empty())
    return CommandPlan::Refused(
        "run: needs parameter 'command', a vtysh command to run on the router (e.g. "
        "'show bgp summary')");
  if (it->second.find_first_of("\r\n") != std::string::npos)
    return CommandPlan::Refused("run: command must be one vtysh line; it contains a line break");
  std::vector<std::string> argv = Vtysh();
  argv.push_back("-c");
  argv.push_back(it->second);
  return {{{"run", std::move(argv), settings_.command_timeout}}, {}};
}

}  // namespace cutover
