#include "plugins/core/member_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <thread>

#include "tests/support/fake_driver.h"

namespace cutover {
namespace {

class MemberSetTest : public ::testing::Test {
 protected:
  MemberSetTest() {
    registry_.Add(testing::FakeDriverDescriptor([this](const std::string&) { return state_; }));
    auto loaded = LoadConfigString(
        "clusters:\n- name: c\n  driver: fake\n  members: [{name: fw1}]\n", "t.yml", registry_);
    EXPECT_TRUE(loaded.ok()) << loaded.ErrorText();
    config_ = loaded.config;
    set_ = std::make_unique<MemberSet>(config_, registry_, &errors_);
    state_->status.up = true;
  }
  std::shared_ptr<testing::FakeMemberState> state_ = std::make_shared<testing::FakeMemberState>();
  DriverRegistry registry_;
  CutoverConfig config_;
  std::vector<ConfigError> errors_;
  std::unique_ptr<MemberSet> set_;
};

TEST_F(MemberSetTest, RefusesAnActionTheDriverDoesNotDeclare) {
  auto result = set_->Perform(0, {Action::kUpgrade, {}}, std::chrono::seconds(1));
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.error,
            "driver 'fake' cannot upgrade (it supports: connect, disconnect, set_priority)");
  EXPECT_TRUE(state_->performed.empty());
}

TEST_F(MemberSetTest, ABusyMemberIsReportedDownInsteadOfQueueing) {
  state_->probe_delay = std::chrono::milliseconds(500);
  std::thread slow([&] {
    auto now = std::chrono::steady_clock::now();
    set_->Probe(0, {now + std::chrono::seconds(5), now});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto now = std::chrono::steady_clock::now();
  MemberStatus status = set_->Probe(0, {now + std::chrono::milliseconds(50), now});
  slow.join();
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, ::testing::HasSubstr("member busy"));
}

TEST_F(MemberSetTest, DescribeAsksTheDriverAndPerformsNothing) {
  EXPECT_THAT(set_->Describe(0, {Action::kSetPriority, {{"priority", "50"}}}),
              ::testing::ElementsAre("fake fw1: set_priority priority=50"));
  EXPECT_EQ(state_->describes, 1);
  EXPECT_TRUE(state_->performed.empty()) << "a rehearsal must not perform the action";
}

TEST_F(MemberSetTest, DescribeOfAnActionTheDriverDoesNotDeclareSaysSoAsPerformWould) {
  EXPECT_THAT(set_->Describe(0, {Action::kUpgrade, {}}),
              ::testing::ElementsAre("nothing would be sent: driver 'fake' cannot upgrade (it "
                                     "supports: connect, disconnect, set_priority)"));
  EXPECT_EQ(state_->describes, 0) << "an undeclared action is refused before the driver";
}

TEST_F(MemberSetTest, DescribeDoesNotWaitForAnActionInFlight) {
  std::mutex held;
  std::unique_lock hold(held);
  state_->perform = [&](const ActionRequest&) {
    std::lock_guard wait(held);
    return ActionResult::Success("done");
  };
  std::thread slow([&] { set_->Perform(0, {Action::kDisconnect, {}}, std::chrono::seconds(5)); });
  while (true) {
    std::lock_guard lock(state_->mutex);
    if (!state_->performed.empty()) break;
  }
  auto described = std::async(std::launch::async, [&] {
    return set_->Describe(0, {Action::kConnect, {}});
  });
  bool answered = described.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
  hold.unlock();
  slow.join();
  EXPECT_TRUE(answered) << "a rehearsal waited behind the action in flight";
  EXPECT_THAT(described.get(), ::testing::ElementsAre("fake fw1: connect"));
}

TEST_F(MemberSetTest, FindsMembersByClusterAndName) {
  EXPECT_NE(set_->Find("c", "fw1"), nullptr);
  EXPECT_EQ(set_->Find("c", "fw2"), nullptr);
  EXPECT_EQ(set_->Find("other", "fw1"), nullptr);
}

}  // namespace
}  // namespace cutover
