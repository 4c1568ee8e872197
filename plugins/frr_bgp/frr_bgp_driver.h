// The frr-bgp driver: one member of a BGP-selected active/standby firewall pair, steered
// through an FRR route-map. On the router's side (side: router) it runs vtysh on a router
// that peers with both members, identifies the member by its address as the router's BGP
// neighbor and steers with the router's inbound policy. On the member's side (side:
// member) it runs vtysh on the member itself and steers its announcements to every
// router at once by AS-path prepending. See plugins/frr_bgp/README.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "plugins/core/driver.h"
#include "plugins/transport/command_transport.h"

namespace cutover {

// The member's settings after validation (defaults match the descriptor's table).
struct FrrBgpSettings {
  std::string side = "router";  // "router": the router's inbound policy; "member": its own
  std::string neighbor;         // router side: the member's address as the router's neighbor;
                                // member side: a router's address as the member's neighbor
  std::string prefix;           // the protected prefix (as the neighbor receives it)
  std::string vtysh_pathspace;  // vtysh -N <pathspace>; empty: the default instance
  std::string route_map;        // router side: inbound for the neighbor; member side: outbound
  std::int64_t route_map_sequence = 10;
  std::string method = "local_preference";  // or "as_path_prepend"
  std::int64_t active_local_preference = 200;
  std::int64_t standby_local_preference = 100;
  std::int64_t prepend_as = 0;  // the AS number prepended (as_path_prepend)
  std::int64_t prepend_count = 3;
  std::string clear_scope = "neighbor";  // "neighbor": clear bgp <neighbor> soft; "all": *
                                         // (member side: soft out)
  std::string version_command;           // shell on the router; empty: FRR's show version
  // `write memory` after a policy change, so a restart (the member's own upgrade) comes
  // back with the role it was given, not the one of its last saved configuration.
  bool save_config = true;
  Duration command_timeout{std::chrono::seconds(30)};
};

// Checks every value that reaches vtysh against a strict pattern; the error names the
// setting and the fix. The factory calls it so a bad config fails at start-up.
std::optional<std::string> ValidateFrrBgpSettings(const FrrBgpSettings& settings);

class FrrBgpDriver : public Driver {
 public:
  // Throws std::invalid_argument with ValidateFrrBgpSettings' message.
  FrrBgpDriver(FrrBgpSettings settings, std::unique_ptr<CommandTransport> transport);

  MemberStatus Probe(const ProbeContext& context) override;
  ActionResult Perform(const ActionRequest& request) override;
  std::vector<std::string> Describe(const ActionRequest& request) const override;

 private:
  std::vector<std::string> Vtysh() const;
  // The one place an action's vtysh calls are built: Perform runs them, Describe prints them.
  CommandPlan PlanAction(const ActionRequest& request) const;
  CommandPlan PlanConfigure(const std::string& what, const std::vector<std::string>& set_lines,
                            bool clear) const;
  CommandPlan PlanSetRole(const ActionRequest& request) const;
  CommandPlan PlanSetPriority(const ActionRequest& request) const;
  CommandPlan PlanRunCommand(const ActionRequest& request) const;

  FrrBgpSettings settings_;
  std::unique_ptr<CommandTransport> transport_;
};

}  // namespace cutover
