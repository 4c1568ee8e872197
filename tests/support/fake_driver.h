// A scripted driver for unit tests of code that uses drivers (exporter, engine): the test
// sets the status the next probes return and reads back the actions performed.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/core/descriptor.h"

namespace cutover::testing {

// State shared between a test and the FakeDriver instances built from it.
struct FakeMemberState {
  std::mutex mutex;
  MemberStatus status;
  std::chrono::milliseconds probe_delay{0};
  std::vector<ActionRequest> performed;
  // When set, Perform records the request and then returns what this returns, called
  // without the mutex held: a test can hold an action in flight and choose its outcome.
  std::function<ActionResult(const ActionRequest&)> perform;
  std::atomic<int> probes{0};
  // Describe never performs: it counts here and answers "fake fw1: set_priority
  // priority=50", or what `describe` returns when set.
  std::function<std::vector<std::string>(const ActionRequest&)> describe;
  std::atomic<int> describes{0};
};

// The descriptor of driver "fake": settings `label` (string) and `weight` (integer,
// default 1), roles active/standby/down, actions connect/disconnect/set_priority.
// `state_for(member name)` returns the state its driver reads.
DriverDescriptor FakeDriverDescriptor(
    std::function<std::shared_ptr<FakeMemberState>(const std::string& member)> state_for);

}  // namespace cutover::testing
