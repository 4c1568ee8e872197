#include "plugins/builtin_drivers.h"

#include "plugins/checkpoint/checkpoint_driver_config.h"
#include "plugins/exec/exec_driver_config.h"
#include "plugins/frr_bgp/frr_bgp_driver_config.h"
#include "plugins/haproxy/haproxy_driver_config.h"
#include "plugins/linux_fw/linux_fw_driver_config.h"

namespace cutover {

void RegisterBuiltinDrivers(DriverRegistry& registry) {
  registry.Add(CheckpointDriverDescriptor());
  registry.Add(ExecDriverDescriptor());
  registry.Add(FrrBgpDriverDescriptor());
  registry.Add(HaproxyDriverDescriptor());
  registry.Add(LinuxFwDriverDescriptor());
}

}  // namespace cutover
