#include "actions/engine/alert_router.h"

#include <algorithm>

namespace cutover {

void AlertStates::Set(const std::string& cluster, const std::string& alertname,
                      const std::string& member, bool firing) {
  firing_[{cluster, alertname, member}] = firing;
}

bool AlertStates::Fires(const std::string& cluster, const std::string& alertname,
                        const std::string& member) const {
  auto it = firing_.find({cluster, alertname, member});
  return it != firing_.end() && it->second;
}

bool AlertStates::TriggersStep(const std::string& cluster, const std::string& alertname,
                               const std::vector<std::string>& members) const {
  if (Fires(cluster, alertname, "")) return true;
  return !members.empty() &&
         std::all_of(members.begin(), members.end(),
                     [&](const std::string& member) { return Fires(cluster, alertname, member); });
}

std::string AlertStates::MembersNotFiring(const std::string& cluster, const std::string& alertname,
                                          const std::vector<std::string>& members) const {
  std::string waiting;
  for (const std::string& member : members)
    if (!Fires(cluster, alertname, member)) waiting += (waiting.empty() ? "" : ", ") + member;
  return waiting;
}

AlertStates::Firing AlertStates::FirstFiring(const std::vector<std::string>& clusters,
                                             const std::vector<std::string>& alertnames) const {
  for (const std::string& alertname : alertnames) {
    for (const std::string& cluster : clusters) {
      for (auto it = firing_.lower_bound({cluster, alertname, ""});
           it != firing_.end() && std::get<0>(it->first) == cluster &&
           std::get<1>(it->first) == alertname;
           ++it) {
        if (!it->second) continue;
        const std::string& member = std::get<2>(it->first);
        return {alertname, alertname + " for ha_cluster=" + cluster +
                               (member.empty() ? std::string() : " member=" + member)};
      }
    }
  }
  return {};
}

std::string ClusterOf(const AlertmanagerAlert& alert) {
  std::string cluster = alert.Label("ha_cluster");
  return cluster.empty() ? alert.Label("cluster") : cluster;
}

}  // namespace cutover
