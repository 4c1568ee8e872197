// Drives one Check Point ClusterXL gateway through its expert shell: probes with one
// command round trip (cphaprob, fw tab, fw ver, a config digest) and performs the
// ClusterXL actions (clusterXL_admin, cphacu, fwaccel, upgrade and policy commands).
// Used by one thread at a time, like every Driver.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plugins/core/driver.h"
#include "plugins/transport/command_transport.h"

namespace cutover {

struct CheckpointSettings {
  // Run on the gateway; its output's digest becomes config_digest. `fw stat` prints the
  // installed policy's name and install time, so the digest changes with each install.
  std::string config_digest_command = "fw stat";
  std::string install_policy_command = "fw fetch local";
  // Empty: the upgrade action is refused until the operator names the installer.
  std::string upgrade_command;
  // Sourced before every command when set, for gateways whose non-interactive shell
  // lacks Check Point's environment (e.g. /etc/profile.d/CP.sh).
  std::string environment_script;
  Duration action_timeout{std::chrono::minutes(10)};
  Duration upgrade_timeout{std::chrono::hours(2)};
  Duration connect_timeout{std::chrono::seconds(5)};
};

class CheckpointDriver : public Driver {
 public:
  CheckpointDriver(CheckpointSettings settings, std::unique_ptr<CommandTransport> transport);

  MemberStatus Probe(const ProbeContext& context) override;
  ActionResult Perform(const ActionRequest& request) override;
  std::vector<std::string> Describe(const ActionRequest& request) const override;

  // The argv the probe sends: {"sh", "-c", <script>}. Exposed for tests and docs.
  std::vector<std::string> ProbeCommand() const;

 private:
  std::vector<std::string> WithEnvironment(std::vector<std::string> argv) const;
  // The one place an action's commands are built, environment included: Perform runs
  // them, Describe prints them.
  CommandPlan PlanAction(const ActionRequest& request) const;
  PlannedCommand Command(std::string what, std::vector<std::string> argv, Duration timeout) const;

  CheckpointSettings settings_;
  std::unique_ptr<CommandTransport> transport_;
};

}  // namespace cutover
