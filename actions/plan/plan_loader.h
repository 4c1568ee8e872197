// Loads and validates plans against the cluster configuration and the drivers: every
// error has file:line and the fix, all errors are reported at once, and a plan with
// errors is never used.
#pragma once

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

PlanLoadResult LoadPlanFile(const std::string& path, const CutoverConfig& config,
                            const DriverRegistry& registry);
PlanLoadResult LoadPlanString(const std::string& yaml, const std::string& name,
                              const CutoverConfig& config, const DriverRegistry& registry);

// Parses "< 10", "<=0.5", "== 1" ...; nullopt with *error set otherwise.
std::optional<Condition> ParseCondition(const std::string& text, std::string* error);

}  // namespace cutover
