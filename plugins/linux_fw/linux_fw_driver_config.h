#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor LinuxFwDriverDescriptor();

}  // namespace cutover
