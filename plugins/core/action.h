// The one action vocabulary every driver speaks. Plans name actions by these words.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace cutover {

enum class Action {
  kDisconnect,           // take the member out of the cluster's traffic (e.g. clusterXL_admin down)
  kConnect,              // put it back
  kSetPriority,          // param "priority": the member's election priority / weight
  kSetRole,              // param "role": "active" or "standby" where the platform decides directly
  kStartDrain,           // stop sending it new connections, keep existing ones
  kStopDrain,            // accept new connections again
  kCommitSync,           // install synced state into the data plane (conntrackd -c)
  kResync,               // ask the peer for a full state resync
  kUpgrade,              // param "version" (optional): install the new software
  kInstallPolicy,        // (re)load the security policy / ruleset
  kDisableAcceleration,  // e.g. fwaccel off -a, before an upgrade mode change
  kStartUpgradeMode,     // e.g. cphacu start: the platform's connectivity/optimal upgrade mode
  kStopUpgradeMode,      // e.g. cphacu stop
  kRun,                  // param "command": an operator-written command on the member
};

std::string_view ActionName(Action action);
std::optional<Action> ParseAction(std::string_view name);
const std::vector<Action>& AllActions();

}  // namespace cutover
