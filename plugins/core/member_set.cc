#include "plugins/core/member_set.h"

#include <stdexcept>

#include "common/strings.h"

namespace cutover {
namespace {

// Why `member` refuses `action`, or "" when its driver declares it.
std::string Undeclared(const MemberSet::Member& member, Action action) {
  if (member.descriptor->Supports(action)) return "";
  std::string supported;
  for (Action a : member.descriptor->actions)
    supported += (supported.empty() ? "" : ", ") + std::string(ActionName(a));
  return "driver '" + member.descriptor->name + "' cannot " + std::string(ActionName(action)) +
         " (it supports: " + supported + ")";
}

}  // namespace

MemberSet::MemberSet(const CutoverConfig& config, const DriverRegistry& registry,
                     std::vector<ConfigError>* errors) {
  DriverContext context{shared_};
  for (const ClusterConfig& cluster : config.clusters) {
    for (const MemberConfig& member_config : cluster.members) {
      auto member = std::make_unique<Member>();
      member->config = member_config;
      member->descriptor = registry.Find(member_config.driver);
      if (member->descriptor == nullptr) {
        errors->push_back({config.file, 0,
                           "member \"" + member_config.name + "\": unknown driver '" +
                               member_config.driver + "'"});
        continue;
      }
      try {
        member->driver = member->descriptor->create(member->config, context);
      } catch (const std::exception& e) {
        // member.where is "file:line"; keep the message in the loader's shape.
        errors->push_back(
            {member_config.where, 0, "member \"" + member_config.name + "\": " + e.what()});
        continue;
      }
      members_.push_back(std::move(member));
    }
  }
}

const MemberSet::Member* MemberSet::Find(const std::string& cluster,
                                         const std::string& member) const {
  for (const auto& m : members_)
    if (m->config.cluster == cluster && m->config.name == member) return m.get();
  return nullptr;
}

std::size_t MemberSet::IndexOf(const Member* member) const {
  for (std::size_t i = 0; i < members_.size(); ++i)
    if (members_[i].get() == member) return i;
  throw std::logic_error("member not in this set");
}

MemberStatus MemberSet::Probe(std::size_t index, const ProbeContext& context) {
  Member& member = *members_.at(index);
  std::unique_lock lock(member.busy, std::defer_lock);
  if (!lock.try_lock_until(context.deadline))
    return MemberStatus::Down("member busy: an earlier probe or action is still running");
  try {
    return member.driver->Probe(context);
  } catch (const std::exception& e) {
    return MemberStatus::Down(std::string("driver error: ") + e.what());
  }
}

ActionResult MemberSet::Perform(std::size_t index, const ActionRequest& request,
                                Duration lock_timeout) {
  Member& member = *members_.at(index);
  if (std::string refusal = Undeclared(member, request.action); !refusal.empty())
    return ActionResult::Failure(refusal);
  std::unique_lock lock(member.busy, std::defer_lock);
  if (!lock.try_lock_for(lock_timeout))
    return ActionResult::Failure("member busy: a probe or action is still running after " +
                                 FormatDuration(lock_timeout));
  try {
    return member.driver->Perform(request);
  } catch (const std::exception& e) {
    return ActionResult::Failure(std::string("driver error: ") + e.what());
  }
}

std::vector<std::string> MemberSet::Describe(std::size_t index,
                                             const ActionRequest& request) const {
  const Member& member = *members_.at(index);
  if (std::string refusal = Undeclared(member, request.action); !refusal.empty())
    return DescribeRefusal(refusal);
  try {
    return member.driver->Describe(request);
  } catch (const std::exception& e) {
    return DescribeRefusal(std::string("driver error: ") + e.what());
  }
}

}  // namespace cutover
