#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor ExecDriverDescriptor();

}  // namespace cutover
