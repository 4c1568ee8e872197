#pragma once

#include "plugins/core/registry.h"

namespace cutover {

// Adds every driver built into cutover. The one place the list of drivers is written.
void RegisterBuiltinDrivers(DriverRegistry& registry);

}  // namespace cutover
