// The frr-bgp driver: one member of a BGP-selected active/standby firewall pair, seen
// from a router running FRR that peers with both members. The driver runs vtysh on that
// router (the member's address is the router's management address) and identifies the
// member by its BGP neighbor address. See plugins/frr_bgp/README.md.
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
  std::string neighbor;         // the member's address as the router's BGP neighbor
  std::string prefix;           // the protected prefix both members announce
  std::string vtysh_pathspace;  // vtysh -N <pathspace>; empty: the default instance
  std::string route_map;        // inbound route-map on the router for this neighbor
  std::int64_t route_map_sequence = 10;
  std::string method = "local_preference";  // or "as_path_prepend"
  std::int64_t active_local_preference = 200;
  std::int64_t standby_local_preference = 100;
  std::int64_t prepend_as = 0;  // the AS number prepended (as_path_prepend)
  std::int64_t prepend_count = 3;
  std::string clear_scope = "neighbor";  // "neighbor": clear bgp <neighbor> soft; "all": *
  std::string version_command;           // shell on the router; empty: FRR's show version
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
