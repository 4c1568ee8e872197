#include "plugins/linux_fw/linux_fw_driver_config.h"

#include <stdexcept>

#include "plugins/linux_fw/linux_fw_driver.h"
#include "plugins/transport/ssh_member.h"

namespace cutover {

DriverDescriptor LinuxFwDriverDescriptor() {
  const LinuxFwSettings defaults;
  const SshOptions ssh_defaults;
  DriverDescriptor d;
  d.name = "linux-fw";
  d.description =
      "Linux firewall with keepalived (VRRP), a site cluster_command (load sharing) or a "
      "role_file (a pair the routers select), conntrackd (FTFW state sync) and nftables, over "
      "SSH; one round trip per probe (see plugins/linux_fw/README.md).";
  d.actions = {Action::kSetPriority,         Action::kSetRole,
               Action::kCommitSync,          Action::kResync,
               Action::kDisconnect,          Action::kConnect,
               Action::kStartDrain,          Action::kStopDrain,
               Action::kStartUpgradeMode,    Action::kStopUpgradeMode,
               Action::kDisableAcceleration, Action::kUpgrade,
               Action::kInstallPolicy,       Action::kRun};
  // fault and stopped come from keepalived; ready and down from a cluster_command.
  d.roles = {"active", "standby", "fault", "stopped", "ready", "down"};
  d.config = {
      {"conntrackd_config", ValueType::kString, defaults.conntrackd_config, false, false,
       "conntrackd's configuration file; every conntrackd call passes it with -C"},
      {"vrrp_state_file", ValueType::kString, defaults.vrrp_state_file, false, false,
       "file keepalived's notify script writes the VRRP state to (MASTER/BACKUP/... or "
       "'INSTANCE VI_1 MASTER 150'); the role is read from it unless cluster_command is set"},
      {"vrrp_track_file", ValueType::kString, defaults.vrrp_track_file, false, false,
       "file keepalived's track_file block watches; set_priority writes the priority "
       "offset into it"},
      {"interfaces", ValueType::kStringList, "", false, false,
       "interfaces disconnect takes down and connect brings up, e.g. [eth1, eth2]; unused "
       "when cluster_command is set"},
      {"version_command", ValueType::kString, defaults.version_command, false, false,
       "shell command whose first output line is the member's version; empty: no version"},
      {"config_digest_command", ValueType::kString, defaults.config_digest_command, false, false,
       "shell command printing the configuration to digest ($CONNTRACKD_CONFIG is set); "
       "empty: no digest"},
      {"upgrade_command", ValueType::kString, defaults.upgrade_command, false, false,
       "shell command the upgrade action runs; the requested version is \"$1\""},
      {"policy_command", ValueType::kString, defaults.policy_command, false, false,
       "shell command install_policy runs to load the ruleset"},
      {"cluster_command", ValueType::kString, defaults.cluster_command, false, false,
       "site command for cluster membership: called as `CMD ACTION` for disconnect, connect, "
       "start_drain, stop_drain, start_upgrade_mode, stop_upgrade_mode, disable_acceleration, "
       "and as `CMD status` by the probe; see plugins/linux_fw/README.md"},
      {"role_file", ValueType::kString, defaults.role_file, false, false,
       "for a pair without keepalived (the routers select the active member, e.g. by BGP): "
       "file set_role writes MASTER or BACKUP into and the probe reads the role from, "
       "instead of vrrp_state_file; empty: no set_role"},
      {"forwarded_counter", ValueType::kString, defaults.forwarded_counter, false, false,
       "nftables named counter on the rules accepting forwarded traffic, as FAMILY TABLE "
       "NAME (e.g. inet co_firewall forwarded); read with nft list counter; empty: no "
       "forwarded packets and bytes"},
      {"invalid_counter", ValueType::kString, defaults.invalid_counter, false, false,
       "nftables named counter on the ct state invalid drop rule, as FAMILY TABLE NAME (e.g. "
       "inet co_firewall invalid); needs nf_conntrack_tcp_loose=0; empty: no invalid-state "
       "drops"},
      {"connect_timeout", ValueType::kDuration, FormatDuration(ssh_defaults.connect_timeout), false,
       false, "how long establishing the SSH session may take"},
      {"command_timeout", ValueType::kDuration, FormatDuration(defaults.command_timeout), false,
       false,
       "how long one command (an action, or the whole probe) may take; probes are also "
       "bounded by the probe deadline"},
  };
  d.needs_credentials = true;
  d.create = [](const MemberConfig& member, DriverContext&) -> std::unique_ptr<Driver> {
    const Settings& s = member.settings;
    LinuxFwSettings settings;
    settings.conntrackd_config = s.String("conntrackd_config");
    settings.vrrp_state_file = s.String("vrrp_state_file");
    settings.vrrp_track_file = s.String("vrrp_track_file");
    settings.interfaces = s.StringList("interfaces");
    settings.version_command = s.String("version_command");
    settings.config_digest_command = s.String("config_digest_command");
    settings.upgrade_command = s.String("upgrade_command");
    settings.policy_command = s.String("policy_command");
    settings.cluster_command = s.String("cluster_command");
    settings.role_file = s.String("role_file");
    settings.forwarded_counter = s.String("forwarded_counter");
    settings.invalid_counter = s.String("invalid_counter");
    settings.command_timeout = s.DurationValue("command_timeout");
    if (auto problem = ValidateLinuxFwSettings(settings)) throw std::runtime_error(*problem);

    SshOptions ssh = SshOptionsForMember(member, s.DurationValue("connect_timeout"));
    return std::make_unique<LinuxFwDriver>(std::move(settings),
                                           std::make_unique<SshTransport>(std::move(ssh)));
  };
  return d;
}

}  // namespace cutover
