#include "plugins/core/action.h"

#include <array>
#include <utility>

namespace cutover {
namespace {

constexpr std::array<std::pair<Action, std::string_view>, 14> kNames{{
    {Action::kDisconnect, "disconnect"},
    {Action::kConnect, "connect"},
    {Action::kSetPriority, "set_priority"},
    {Action::kSetRole, "set_role"},
    {Action::kStartDrain, "start_drain"},
    {Action::kStopDrain, "stop_drain"},
    {Action::kCommitSync, "commit_sync"},
    {Action::kResync, "resync"},
    {Action::kUpgrade, "upgrade"},
    {Action::kInstallPolicy, "install_policy"},
    {Action::kDisableAcceleration, "disable_acceleration"},
    {Action::kStartUpgradeMode, "start_upgrade_mode"},
    {Action::kStopUpgradeMode, "stop_upgrade_mode"},
    {Action::kRun, "run"},
}};

}  // namespace

std::string_view ActionName(Action action) {
  for (const auto& [a, name] : kNames)
    if (a == action) return name;
  return "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (const auto& [a, n] : kNames)
    if (n == name) return a;
  return std::nullopt;
}

const std::vector<Action>& AllActions() {
  static const std::vector<Action> all = [] {
    std::vector<Action> v;
    for (const auto& [a, name] : kNames) v.push_back(a);
    return v;
  }();
  return all;
}

}  // namespace cutover
