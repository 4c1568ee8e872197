#include "tests/support/fake_driver.h"

#include <thread>

namespace cutover::testing {
namespace {

class FakeDriver : public Driver {
 public:
  FakeDriver(std::string member, std::shared_ptr<FakeMemberState> state)
      : member_(std::move(member)), state_(std::move(state)) {}

  MemberStatus Probe(const ProbeContext&) override {
    ++state_->probes;
    std::chrono::milliseconds delay;
    {
      std::lock_guard lock(state_->mutex);
      delay = state_->probe_delay;
    }
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    std::lock_guard lock(state_->mutex);
    return state_->status;
  }

  ActionResult Perform(const ActionRequest& request) override {
    std::function<ActionResult(const ActionRequest&)> perform;
    {
      std::lock_guard lock(state_->mutex);
      state_->performed.push_back(request);
      perform = state_->perform;
    }
    return perform ? perform(request) : ActionResult::Success("done");
  }

  std::vector<std::string> Describe(const ActionRequest& request) const override {
    ++state_->describes;
    std::function<std::vector<std::string>(const ActionRequest&)> describe;
    {
      std::lock_guard lock(state_->mutex);
      describe = state_->describe;
    }
    if (describe) return describe(request);
    std::string line = "fake " + member_ + ": " + std::string(ActionName(request.action));
    for (const auto& [key, value] : request.params) line += " " + key + "=" + value;
    return {line};
  }

 private:
  std::string member_;
  std::shared_ptr<FakeMemberState> state_;
};

}  // namespace

DriverDescriptor FakeDriverDescriptor(
    std::function<std::shared_ptr<FakeMemberState>(const std::string& member)> state_for) {
  DriverDescriptor d;
  d.name = "fake";
  d.description = "scripted driver for tests";
  d.actions = {Action::kConnect, Action::kDisconnect, Action::kSetPriority};
  d.roles = {"active", "standby", "down"};
  d.config = {{"label", ValueType::kString, "", false, false, "free text"},
              {"weight", ValueType::kInteger, "1", false, false, "a number"},
              {"interval", ValueType::kDuration, "1s", false, false, "a duration"},
              {"interfaces", ValueType::kStringList, "", false, false, "a list"},
              {"key_file", ValueType::kString, "", false, true, "a secret"}};
  d.create = [state_for](const MemberConfig& member, DriverContext&) -> std::unique_ptr<Driver> {
    return std::make_unique<FakeDriver>(member.name, state_for(member.name));
  };
  return d;
}

}  // namespace cutover::testing
