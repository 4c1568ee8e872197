// The linux-fw driver: a Linux firewall member with keepalived (VRRP decides who is
// active), conntrackd (FTFW state sync) and nftables, reached through a CommandTransport
// (SSH in production, `ip netns exec` in tests). In a load-sharing cluster a site command
// (`cluster_command`) reports and changes membership instead; in a pair the routers
// select (BGP), `role_file` records the role a plan gave the member. See
// plugins/linux_fw/README.md.
#pragma once

#include <memory>
#include <optional>
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
  // For a pair whose routers select the active member (no keepalived): the file set_role
  // writes MASTER or BACKUP into and the probe reads the role from. Empty: the role comes
  // from vrrp_state_file (or cluster_command, which excludes role_file).
  std::string role_file;
  // nftables named counters as `FAMILY TABLE NAME`, e.g. "inet co_firewall forwarded":
  // packets the member forwards, and packets it drops as `ct state invalid`. Empty: the
  // figure is not read.
  std::string forwarded_counter;
  std::string invalid_counter;
  Duration command_timeout{std::chrono::seconds(120)};
};

// Why `settings` cannot drive a member (the message names the setting and the fix), or
// nullopt. Checked when the configuration is loaded.
std::optional<std::string> ValidateLinuxFwSettings(const LinuxFwSettings& settings);

class LinuxFwDriver : public Driver {
 public:
  // Throws std::invalid_argument with ValidateLinuxFwSettings' message.
  LinuxFwDriver(LinuxFwSettings settings, std::unique_ptr<CommandTransport> transport);

  MemberStatus Probe(const ProbeContext& context) override;
  ActionResult Perform(const ActionRequest& request) override;
  std::vector<std::string> Describe(const ActionRequest& request) const override;

 private:
  // The one place an action's commands are built: Perform runs them, Describe prints them.
  CommandPlan PlanAction(const ActionRequest& request) const;
  CommandPlan Plan(const std::string& what, std::vector<std::string> argv) const;
  CommandPlan PlanSetPriority(const ActionRequest& request) const;
  CommandPlan PlanSetRole(const ActionRequest& request) const;
  CommandPlan PlanSetInterfaces(const std::string& state) const;
  CommandPlan PlanUpgrade(const ActionRequest& request) const;
  CommandPlan PlanClusterCommand(Action action) const;

  LinuxFwSettings settings_;
  std::unique_ptr<CommandTransport> transport_;
};

}  // namespace cutover
