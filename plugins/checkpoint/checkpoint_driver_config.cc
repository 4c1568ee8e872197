#include "plugins/checkpoint/checkpoint_driver_config.h"

#include <stdexcept>

#include "plugins/transport/ssh_member.h"

namespace cutover {

DriverDescriptor CheckpointDriverDescriptor() {
  const CheckpointSettings defaults;
  DriverDescriptor d;
  d.name = "checkpoint";
  d.description =
      "Check Point ClusterXL gateway over SSH (expert shell): cphaprob state/syncstat, "
      "fw tab, fw ver; clusterXL_admin, cphacu, fwaccel";
  d.actions = {Action::kDisconnect,          Action::kConnect,
               Action::kStartUpgradeMode,    Action::kStopUpgradeMode,
               Action::kDisableAcceleration, Action::kUpgrade,
               Action::kInstallPolicy,       Action::kRun};
  d.roles = {"active", "active_attention", "standby", "ready",
             "down",   "initializing",     "lost",    "unknown"};
  d.config = {
      {"config_digest_command", ValueType::kString, defaults.config_digest_command, false, false,
       "command whose output's digest is config_digest; `fw stat` shows the installed policy "
       "and its install time"},
      {"install_policy_command", ValueType::kString, defaults.install_policy_command, false, false,
       "command the install_policy action runs on the gateway"},
      {"upgrade_command", ValueType::kString, defaults.upgrade_command, false, false,
       "installer command the upgrade action runs (e.g. a CPUSE or installer script); the "
       "requested version is passed as its last argument; unset refuses upgrade"},
      {"environment_script", ValueType::kString, defaults.environment_script, false, false,
       "file sourced before every command, for gateways whose non-interactive shell lacks "
       "Check Point's PATH (e.g. /etc/profile.d/CP.sh); unset sources nothing"},
      {"action_timeout", ValueType::kDuration, FormatDuration(defaults.action_timeout), false,
       false, "how long an action command may run (clusterXL_admin, cphacu, fwaccel, policy)"},
      {"upgrade_timeout", ValueType::kDuration, FormatDuration(defaults.upgrade_timeout), false,
       false, "how long the upgrade command may run"},
      {"connect_timeout", ValueType::kDuration, FormatDuration(defaults.connect_timeout), false,
       false, "how long to wait for the SSH connection and login"},
  };
  d.needs_credentials = true;
  d.create = [](const MemberConfig& member, DriverContext&) -> std::unique_ptr<Driver> {
    CheckpointSettings settings = CheckpointSettingsFrom(member.settings);
    SshOptions ssh = SshOptionsForMember(member, settings.connect_timeout);
    return std::make_unique<CheckpointDriver>(std::move(settings),
                                              std::make_unique<SshTransport>(std::move(ssh)));
  };
  return d;
}

CheckpointSettings CheckpointSettingsFrom(const Settings& settings) {
  CheckpointSettings s;
  auto text = [&](const char* key, std::string* out) {
    if (settings.Has(key)) *out = settings.String(key);
  };
  auto duration = [&](const char* key, Duration* out) {
    if (settings.Has(key)) *out = settings.DurationValue(key);
  };
  text("config_digest_command", &s.config_digest_command);
  text("install_policy_command", &s.install_policy_command);
  text("upgrade_command", &s.upgrade_command);
  text("environment_script", &s.environment_script);
  duration("action_timeout", &s.action_timeout);
  duration("upgrade_timeout", &s.upgrade_timeout);
  duration("connect_timeout", &s.connect_timeout);
  return s;
}

}  // namespace cutover
