// Placeholder descriptor until the driver lands.
#include "plugins/exec/exec_driver_config.h"

#include <stdexcept>

namespace cutover {

DriverDescriptor ExecDriverDescriptor() {
  DriverDescriptor d;
  d.name = "exec";
  d.description = "not implemented yet";
  d.create = [](const MemberConfig&, DriverContext&) -> std::unique_ptr<Driver> {
    throw std::runtime_error("driver exec is not implemented yet");
  };
  return d;
}

}  // namespace cutover
