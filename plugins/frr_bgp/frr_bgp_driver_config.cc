#include "plugins/frr_bgp/frr_bgp_driver_config.h"

#include <stdexcept>

#include "plugins/frr_bgp/frr_bgp_driver.h"
#include "plugins/transport/ssh_member.h"

namespace cutover {

DriverDescriptor FrrBgpDriverDescriptor() {
  const FrrBgpSettings defaults;
  const SshOptions ssh_defaults;
  DriverDescriptor d;
  d.name = "frr-bgp";
  d.description =
      "Member of a BGP-selected active/standby pair, steered through route-maps: the "
      "inbound policy of an FRR router that peers with both members, or the member's own "
      "announcements; vtysh over SSH, one round trip per probe (see "
      "plugins/frr_bgp/README.md).";
  d.actions = {Action::kSetRole, Action::kSetPriority, Action::kRun};
  d.roles = {"active", "standby", "down"};
  d.config = {
      {"side", ValueType::kString, defaults.side, false, false,
       "where vtysh runs: router (the router's inbound policy for this member) or member (the "
       "member's own FRR, steering its announcements to every router)"},
      {"neighbor", ValueType::kString, "", true, false,
       "router side: the member's address as the router's BGP neighbor; member side: a "
       "router's address as the member's neighbor (its session and announcement are probed)"},
      {"prefix", ValueType::kString, "", true, false,
       "the protected prefix, as the neighbor receives it, e.g. 10.0.100.0/24"},
      {"vtysh_pathspace", ValueType::kString, "", false, false,
       "FRR pathspace of the router's instance (vtysh -N NAME); empty: the default instance"},
      {"route_map", ValueType::kString, "", false, false,
       "router side: the inbound route-map for the neighbor (empty: cutover-<member>-in); "
       "member side: the outbound route-map of its announcements (empty: cutover-announce)"},
      {"route_map_sequence", ValueType::kInteger, std::to_string(defaults.route_map_sequence),
       false, false, "sequence number of the route-map entry role moves rewrite"},
      {"method", ValueType::kString, defaults.method, false, false,
       "how set_role steers: local_preference or as_path_prepend"},
      {"active_local_preference", ValueType::kInteger,
       std::to_string(defaults.active_local_preference), false, false,
       "local preference set_role active writes (method local_preference)"},
      {"standby_local_preference", ValueType::kInteger,
       std::to_string(defaults.standby_local_preference), false, false,
       "local preference set_role standby writes (method local_preference)"},
      {"prepend_as", ValueType::kInteger, "0", false, false,
       "AS number set_role standby prepends (method as_path_prepend; required there)"},
      {"prepend_count", ValueType::kInteger, std::to_string(defaults.prepend_count), false, false,
       "how many times set_role standby prepends prepend_as"},
      {"clear_scope", ValueType::kString, defaults.clear_scope, false, false,
       "after a policy change: neighbor (clear bgp <neighbor> soft) or all (clear bgp * soft); "
       "on the member's side `soft out`"},
      {"save_config", ValueType::kBoolean, defaults.save_config ? "true" : "false", false, false,
       "write memory after each policy change, so a restart keeps the role set_role gave "
       "(false when the FRR configuration is rendered by other tooling)"},
      {"version_command", ValueType::kString, "", false, false,
       "shell command on the router whose first output line is the version; empty: the "
       "router's FRR version from `show version`"},
      {"connect_timeout", ValueType::kDuration, FormatDuration(ssh_defaults.connect_timeout), false,
       false, "how long establishing the SSH session may take"},
      {"command_timeout", ValueType::kDuration, FormatDuration(defaults.command_timeout), false,
       false, "how long one vtysh call (an action, or the whole probe) may take"},
  };
  d.needs_credentials = true;
  d.create = [](const MemberConfig& member, DriverContext&) -> std::unique_ptr<Driver> {
    const Settings& s = member.settings;
    FrrBgpSettings settings;
    settings.side = s.String("side");
    settings.neighbor = s.String("neighbor");
    settings.prefix = s.String("prefix");
    settings.vtysh_pathspace = s.String("vtysh_pathspace");
    settings.route_map = s.String("route_map");
    if (settings.route_map.empty())
      settings.route_map =
          settings.side == "member" ? "cutover-announce" : "cutover-" + member.name + "-in";
    settings.route_map_sequence = s.Integer("route_map_sequence");
    settings.method = s.String("method");
    settings.active_local_preference = s.Integer("active_local_preference");
    settings.standby_local_preference = s.Integer("standby_local_preference");
    settings.prepend_as = s.Integer("prepend_as");
    settings.prepend_count = s.Integer("prepend_count");
    settings.clear_scope = s.String("clear_scope");
    settings.version_command = s.String("version_command");
    settings.save_config = s.Boolean("save_config");
    settings.command_timeout = s.DurationValue("command_timeout");
    if (auto problem = ValidateFrrBgpSettings(settings)) throw std::runtime_error(*problem);

    SshOptions ssh = SshOptionsForMember(member, s.DurationValue("connect_timeout"));
    return std::make_unique<FrrBgpDriver>(std::move(settings),
                                          std::make_unique<SshTransport>(std::move(ssh)));
  };
  return d;
}

}  // namespace cutover
