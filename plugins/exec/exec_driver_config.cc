#include "plugins/exec/exec_driver_config.h"

#include <unistd.h>

#include <stdexcept>

#include "plugins/exec/exec_driver.h"

namespace cutover {

DriverDescriptor ExecDriverDescriptor() {
  DriverDescriptor d;
  d.name = "exec";
  d.description =
      "Runs an operator-supplied program for every probe and action, JSON on stdin and "
      "stdout (see plugins/exec/README.md); adds a platform without recompiling.";
  d.actions = AllActions();  // the program answers ok:false for what it cannot do
  d.roles = {"active", "standby", "backup", "draining", "maintenance", "down"};
  d.config = {
      {"program", ValueType::kString, "", true, false,
       "absolute path of the program that speaks the exec protocol"},
      {"args", ValueType::kStringList, "", false, false,
       "extra arguments given to the program before the JSON arrives on stdin"},
      {"timeout", ValueType::kDuration, "5s", false, false,
       "how long one call may take before the program is killed"},
  };
  d.create = [roles = d.roles](const MemberConfig& member, DriverContext&) {
    ExecDriverSettings settings;
    settings.program = member.settings.String("program");
    settings.args = member.settings.StringList("args");
    settings.timeout = member.settings.DurationValue("timeout");
    if (access(settings.program.c_str(), X_OK) != 0)
      throw std::runtime_error("exec driver: program '" + settings.program +
                               "' is not an executable file; check settings.program");
    return std::unique_ptr<Driver>(new ExecDriver(member, settings, roles));
  };
  return d;
}

}  // namespace cutover
