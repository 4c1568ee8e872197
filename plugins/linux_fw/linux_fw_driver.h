// The linux-fw driver: a Linux firewall member with keepalived (VRRP decides who is
// active), conntrackd (FTFW state sync) and nftables, reached through a CommandTransport
// (SSH in production, `ip netns exec` in tests). In a load-sharing cluster a site command
// (`cluster_command`) reports and changes membership instead. See
// plugins/linux_fw/README.md.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "plugins/core/driver.h"
#include "plugins/transport/command_transport.h"

namespace cutover {

// The member's settings after validation (defaults match the descriptor's table).
struct LinuxFwSettings {
  std::string conntrackd_config = "/etc/conntrackd/conntrackd.conf";
  std::string vrrp_state_file = "/run/cutover/vrrp-state";
  std::string vrrp_track_file = "/var/lib/cutover/vrrp-priority";
  std::vector<std::string> interfaces;
  std::string version_command = "uname -r";
  std::string config_digest_command =
      "nft -s list ruleset && cat /etc/keepalived/keepalived.conf \"$CONNTRACKD_CONFIG\"";
  std::string upgrade_command;
  std::string policy_command = "nft -f /etc/nftables.conf";
  // Site command for cluster membership, called as `CMD <action>` and `CMD status`;
  // empty: keepalived's state file gives the role and disconnect/connect use interfaces.
  std::string cluster_command;
  Duration command_timeout{std::chrono::seconds(120)};
};

class LinuxFwDriver : public Driver {
 public:
  LinuxFwDriver(LinuxFwSettings settings, std::unique_ptr<CommandTransport> transport);

  MemberStatus Probe(const ProbeContext& context) override;
  ActionResult Perform(const ActionRequest& request) override;
  std::vector<std::string> Describe(const ActionRequest& request) const override;

 private:
  // The one place an action's commands are built: Perform runs them, Describe prints them.
  CommandPlan PlanAction(const ActionRequest& request) const;
  CommandPlan Plan(const std::string& what, std::vector<std::string> argv) const;
  CommandPlan PlanSetPriority(const ActionRequest& request) const;
  CommandPlan PlanSetInterfaces(const std::string& state) const;
  CommandPlan PlanUpgrade(const ActionRequest& request) const;
  CommandPlan PlanClusterCommand(Action action) const;

  LinuxFwSettings settings_;
  std::unique_ptr<CommandTransport> transport_;
};

}  // namespace cutover
