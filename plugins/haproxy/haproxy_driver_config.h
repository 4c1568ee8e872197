#pragma once

#include "plugins/core/descriptor.h"

namespace cutover {

// The haproxy driver's descriptor: settings table, actions, roles and the factory that
// validates a member's settings and attaches it to the reader shared per runtime API.
DriverDescriptor HaproxyDriverDescriptor();

}  // namespace cutover
