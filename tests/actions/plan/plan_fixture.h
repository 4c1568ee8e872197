// What the plan tests load plans against: driver "fake" (connect, disconnect,
// set_priority only), driver "versatile" (every action) and the clusters a test gives.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "actions/plan/plan_loader.h"
#include "tests/support/fake_driver.h"

namespace cutover::testing {

class PlanFixture : public ::testing::Test {
 protected:
  explicit PlanFixture(const char* clusters) {
    auto state = [](const std::string&) { return std::make_shared<FakeMemberState>(); };
    registry_.Add(FakeDriverDescriptor(state));
    DriverDescriptor versatile = FakeDriverDescriptor(state);
    versatile.name = "versatile";
    versatile.actions = AllActions();
    registry_.Add(versatile);
    ConfigLoadResult loaded = LoadConfigString(clusters, "cutover.yml", registry_);
    EXPECT_TRUE(loaded.ok()) << loaded.ErrorText();
    config_ = loaded.config;
  }

  PlanLoadResult Load(const std::string& yaml) {
    return LoadPlanString(yaml, "plan.yaml", config_, registry_);
  }

  DriverRegistry registry_;
  CutoverConfig config_;
};

}  // namespace cutover::testing
