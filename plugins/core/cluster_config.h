// The one format and the one loader for clusters and their members, shared by
// cutover-exporter and cutover-actions. Validation is complete before anything is used:
// every error carries file:line and says how to fix it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/duration.h"
#include "plugins/core/descriptor.h"
#include "plugins/core/registry.h"

namespace cutover {

struct ClusterConfig {
  std::string name;
  std::vector<MemberConfig> members;
  std::string where;

  const MemberConfig* FindMember(const std::string& member) const;
};

struct GlobalConfig {
  // Each member's probe must finish within this; keep it below the scrape timeout.
  Duration probe_timeout{std::chrono::seconds(8)};
  int probe_concurrency = 16;
};

struct CutoverConfig {
  std::string file;
  GlobalConfig global;
  std::map<std::string, Credentials> credentials;
  std::vector<ClusterConfig> clusters;

  const ClusterConfig* FindCluster(const std::string& cluster) const;
};

struct ConfigError {
  std::string file;
  int line = 0;  // 1-based; 0 when the error concerns the whole file
  std::string message;
  std::string ToString() const;  // "cutover.yml:14: member \"fw1\": ..."
};

struct ConfigLoadResult {
  CutoverConfig config;
  std::vector<ConfigError> errors;
  bool ok() const { return errors.empty(); }
  std::string ErrorText() const;  // all errors, one per line
};

struct ConfigLoadOptions {
  // The daemons read their credential files: one they cannot read stops them at start.
  // An offline plan check (`cutoverctl check`) reads only the clusters, so it runs where
  // the keys are not, e.g. on an operator's machine or before a lab is up.
  bool check_credential_files = true;
};

ConfigLoadResult LoadConfigFile(const std::string& path, const DriverRegistry& registry,
                                const ConfigLoadOptions& options = {});
// `name` stands for the file in messages.
ConfigLoadResult LoadConfigString(const std::string& yaml, const std::string& name,
                                  const DriverRegistry& registry,
                                  const ConfigLoadOptions& options = {});

// Names of clusters and members become label values and are templated into PromQL
// label matchers, so they are restricted to [A-Za-z0-9_.-], 1 to 64 characters.
bool IsValidName(const std::string& name);

}  // namespace cutover
