#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor HaproxyDriverDescriptor();

}  // namespace cutover
