// Placeholder descriptor until the driver lands.
#include "plugins/checkpoint/checkpoint_driver_config.h"

#include <stdexcept>

namespace cutover {

DriverDescriptor CheckpointDriverDescriptor() {
  DriverDescriptor d;
  d.name = "checkpoint";
  d.description = "not implemented yet";
  d.create = [](const MemberConfig&, DriverContext&) -> std::unique_ptr<Driver> {
    throw std::runtime_error("driver checkpoint is not implemented yet");
  };
  return d;
}

}  // namespace cutover
