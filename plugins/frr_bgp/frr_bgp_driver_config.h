// The frr-bgp driver's descriptor: actions, roles, settings table and the factory that
// builds an SSH-backed FrrBgpDriver for one member.
#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

DriverDescriptor FrrBgpDriverDescriptor();

}  // namespace cutover
