#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor CheckpointDriverDescriptor();

}  // namespace cutover
