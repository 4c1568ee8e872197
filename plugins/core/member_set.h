// One driver per configured member, built from the loaded config through the registry,
// with calls serialised per member (drivers are single-threaded by contract). Shared by
// the exporter (probes) and the action daemon (probes and actions). Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/core/cluster_config.h"

namespace cutover {

class MemberSet {
 public:
  // Builds every member's driver. A driver whose factory throws is reported in *errors
  // against the member's file:line; the set is then unusable (callers refuse to start).
  MemberSet(const CutoverConfig& config, const DriverRegistry& registry,
            std::vector<ConfigError>* errors);

  struct Member {
    MemberConfig config;
    const DriverDescriptor* descriptor = nullptr;
    std::unique_ptr<Driver> driver;
    std::timed_mutex busy;
  };

  std::size_t size() const { return members_.size(); }
  const Member& at(std::size_t index) const { return *members_[index]; }
  // nullptr when the cluster or member is not configured.
  const Member* Find(const std::string& cluster, const std::string& member) const;

  // Probes member `index`. If another call holds the member past the deadline, returns a
  // down status saying so rather than queueing behind it.
  MemberStatus Probe(std::size_t index, const ProbeContext& context);
  // Refuses actions the driver does not declare, naming those it does.
  ActionResult Perform(std::size_t index, const ActionRequest& request, Duration lock_timeout);
  // What Perform(index, request, ...) would send, one line per command (Driver::Describe),
  // performing nothing. An action the driver does not declare gives one line saying so,
  // as Perform would refuse it. Takes no member lock: drivers describe from their
  // settings alone, so a rehearsal never waits behind a probe or an action.
  std::vector<std::string> Describe(std::size_t index, const ActionRequest& request) const;
  std::size_t IndexOf(const Member* member) const;

 private:
  SharedResources shared_;
  std::vector<std::unique_ptr<Member>> members_;
};

}  // namespace cutover
