// Placeholder descriptor until the driver lands.
#include "plugins/linux_fw/linux_fw_driver_config.h"

#include <stdexcept>

namespace cutover {

DriverDescriptor LinuxFwDriverDescriptor() {
  DriverDescriptor d;
  d.name = "linux-fw";
  d.description = "not implemented yet";
  d.create = [](const MemberConfig&, DriverContext&) -> std::unique_ptr<Driver> {
    throw std::runtime_error("driver linux-fw is not implemented yet");
  };
  return d;
}

}  // namespace cutover
