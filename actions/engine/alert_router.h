// Which alert instances fire now, and what that means for steps and runs. Alerts are
// routed per cluster (label ha_cluster, else cluster) and per member (label member): a
// step waits for its own members' instances, and an instance without a member label
// speaks for the whole cluster. Plain data and pure functions; not thread-safe on its
// own (the engine holds its lock).
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "actions/intake/alertmanager_webhook.h"

namespace cutover {

class AlertStates {
 public:
  // The latest state Alertmanager sent for one instance; member "" when it has no label.
  void Set(const std::string& cluster, const std::string& alertname, const std::string& member,
           bool firing);
  bool Fires(const std::string& cluster, const std::string& alertname,
             const std::string& member) const;

  // An alert-triggered step acting on `members` of `cluster` is triggered by the
  // cluster-wide instance, or by an instance for each of its members; another member's
  // instance neither triggers it nor clears it.
  bool TriggersStep(const std::string& cluster, const std::string& alertname,
                    const std::vector<std::string>& members) const;
  // Those of `members` whose instance does not fire yet ("" for none).
  std::string MembersNotFiring(const std::string& cluster, const std::string& alertname,
                               const std::vector<std::string>& members) const;

  // The first of `alertnames` with an instance firing for one of `clusters` (any
  // member); empty when none fires.
  struct Firing {
    std::string alertname;
    std::string description;  // "Alertname for ha_cluster=C member=M"
    bool empty() const { return alertname.empty(); }
  };
  Firing FirstFiring(const std::vector<std::string>& clusters,
                     const std::vector<std::string>& alertnames) const;

 private:
  std::map<std::tuple<std::string, std::string, std::string>, bool> firing_;
};

// The cluster an alert is for: its ha_cluster label, else its cluster label.
std::string ClusterOf(const AlertmanagerAlert& alert);

}  // namespace cutover
