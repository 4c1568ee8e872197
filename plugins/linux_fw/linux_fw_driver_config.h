// The linux-fw driver's descriptor: actions, roles, settings table and the factory that
// builds an SSH-backed LinuxFwDriver for one member.
#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor LinuxFwDriverDescriptor();

}  // namespace cutover
