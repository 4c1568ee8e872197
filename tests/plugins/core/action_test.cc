#include "plugins/core/action.h"

#include <gtest/gtest.h>

namespace cutover {
namespace {

TEST(Action, EveryActionNameRoundTrips) {
  for (Action a : AllActions()) EXPECT_EQ(ParseAction(ActionName(a)), a);
}

TEST(Action, TheRunbookVocabularyIsComplete) {
  for (const char* name :
       {"disconnect", "connect", "set_priority", "set_role", "start_drain", "stop_drain",
        "commit_sync", "resync", "upgrade", "install_policy", "run", "disable_acceleration",
        "start_upgrade_mode", "stop_upgrade_mode"})
    EXPECT_TRUE(ParseAction(name).has_value()) << name;
  EXPECT_FALSE(ParseAction("reboot").has_value());
}

}  // namespace
}  // namespace cutover
