// The checkpoint driver's descriptor: its settings table, actions, roles and the factory
// that connects a member over SSH. The logic lives in checkpoint_driver.h.
#pragma once

#include "plugins/checkpoint/checkpoint_driver.h"
#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor CheckpointDriverDescriptor();

// Typed settings from validated member settings; keys absent from `settings` keep their
// defaults (the same defaults the descriptor's table shows).
CheckpointSettings CheckpointSettingsFrom(const Settings& settings);

}  // namespace cutover
