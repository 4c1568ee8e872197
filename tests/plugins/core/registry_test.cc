#include "plugins/core/registry.h"

#include <gtest/gtest.h>

#include "plugins/builtin_drivers.h"
#include "plugins/core/driver_docs.h"
#include "tests/support/fake_driver.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

TEST(DriverRegistry, RefusesADuplicateName) {
  DriverRegistry registry;
  auto state = [](const std::string&) { return std::make_shared<testing::FakeMemberState>(); };
  registry.Add(testing::FakeDriverDescriptor(state));
  EXPECT_THROW(registry.Add(testing::FakeDriverDescriptor(state)), std::logic_error);
}

TEST(DriverRegistry, BuiltinsAreThePlatformDrivers) {
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  EXPECT_EQ(registry.Names(), "checkpoint, exec, frr-bgp, haproxy, linux-fw");
  for (const auto& d : registry.All()) {
    EXPECT_FALSE(d.actions.empty()) << d.name << " declares no actions";
    EXPECT_FALSE(d.roles.empty()) << d.name << " declares no roles";
    for (const auto& key : d.config) EXPECT_FALSE(key.help.empty()) << d.name << "." << key.name;
  }
}

// The README's driver reference is generated from the descriptors; regenerate it with
// `cutover-exporter --drivers` when a driver changes.
TEST(DriverRegistry, ReadmeDriverReferenceMatchesTheDescriptors) {
  DriverRegistry registry;
  RegisterBuiltinDrivers(registry);
  std::string readme = testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/README.md");
  const std::string begin = "<!-- drivers:begin -->\n", end = "<!-- drivers:end -->";
  auto from = readme.find(begin), to = readme.find(end);
  ASSERT_NE(from, std::string::npos) << "README.md lacks the drivers:begin marker";
  ASSERT_NE(to, std::string::npos);
  EXPECT_EQ(readme.substr(from + begin.size(), to - from - begin.size()),
            DriverReferenceMarkdown(registry))
      << "README driver reference is stale: run cutover-exporter --drivers and paste it";
}

}  // namespace
}  // namespace cutover
