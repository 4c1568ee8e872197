// Placeholder descriptor until the driver lands.
#include "plugins/haproxy/haproxy_driver_config.h"

#include <stdexcept>

namespace cutover {

DriverDescriptor HaproxyDriverDescriptor() {
  DriverDescriptor d;
  d.name = "haproxy";
  d.description = "not implemented yet";
  d.create = [](const MemberConfig&, DriverContext&) -> std::unique_ptr<Driver> {
    throw std::runtime_error("driver haproxy is not implemented yet");
  };
  return d;
}

}  // namespace cutover
