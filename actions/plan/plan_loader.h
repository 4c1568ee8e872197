// Loads and validates plans against the cluster configuration and the drivers: every
// error has file:line and the fix, all errors are reported at once, and a plan with
// errors is never used.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "actions/plan/plan.h"
#include "plugins/core/cluster_config.h"

namespace cutover {

struct PlanLoadResult {
  Plan plan;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
  std::string ErrorText() const;
};

// Parameter values as given at a start, by name, as text ("fw2", "10m", "fw2,fw3").
using ParamValues = std::map<std::string, std::string>;

// Reads a plan with its parameters' defaults. Fields that use a parameter without a
// default are checked for their type only; the plan is then not `complete` and runs only
// through InstantiatePlan.
PlanLoadResult LoadPlanFile(const std::string& path, const CutoverConfig& config,
                            const DriverRegistry& registry);
PlanLoadResult LoadPlanString(const std::string& yaml, const std::string& name,
                              const CutoverConfig& config, const DriverRegistry& registry);

// The plan `loaded` read again with the values given at a start: each is checked by its
// type (a member must be in its cluster, a duration must read as one, ...), defaults fill
// in the rest, and the whole plan is validated with them. A missing, unknown or ill-typed
// parameter is an error naming it and the fix.
PlanLoadResult InstantiatePlan(const Plan& loaded, const ParamValues& given,
                               const CutoverConfig& config, const DriverRegistry& registry);

// Parses "< 10", "<=0.5", "== 1" ...; nullopt with *error set otherwise.
std::optional<Condition> ParseCondition(const std::string& text, std::string* error);

}  // namespace cutover
