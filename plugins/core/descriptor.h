// A driver describes itself with one descriptor: its name, the actions it supports, the
// roles it reports and a declarative table of configuration keys. The same table drives
// config validation, `cutover-exporter --drivers` and the generated driver docs.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <vector>

#include "plugins/core/action.h"
#include "plugins/core/driver.h"
#include "plugins/core/settings.h"

namespace cutover {

struct ConfigKey {
  std::string name;
  ValueType type = ValueType::kString;
  std::string default_value;  // as written in YAML; empty with required=false means unset
  bool required = false;
  // Secret values are never inline: the key names a file holding the secret, and the
  // loader refuses a value that is not a readable file path.
  bool secret = false;
  std::string help;
};

// Where and as whom to reach a member. Secrets are paths to files, never values.
struct Credentials {
  std::string name;
  std::string user;
  std::string identity_file;     // SSH private key
  std::string known_hosts_file;  // SSH host keys the operator enrolled
  std::string password_file;
  std::string token_file;
};

struct MemberConfig {
  std::string cluster;
  std::string name;
  std::string address;  // host or host:port, as the driver understands it
  std::string driver;
  Credentials credentials;  // empty when the member names none
  Settings settings;        // validated against the driver's ConfigKeys
  std::string where;        // "cutover.yml:14", for messages about this member
};

// Objects drivers of several members share, e.g. one HAProxy runtime-API reader for all
// servers of an HAProxy. Thread-safe.
class SharedResources {
 public:
  template <typename T, typename Factory>
  std::shared_ptr<T> GetOrCreate(const std::string& key, Factory&& make) {
    std::lock_guard lock(mutex_);
    for (auto& entry : entries_) {
      if (entry.key == key && entry.type == std::type_index(typeid(T)))
        return std::static_pointer_cast<T>(entry.value);
    }
    std::shared_ptr<T> created = make();
    entries_.push_back({key, std::type_index(typeid(T)), created});
    return created;
  }

 private:
  struct Entry {
    std::string key;
    std::type_index type;
    std::shared_ptr<void> value;
  };
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

struct DriverContext {
  SharedResources& shared;
};

struct DriverDescriptor {
  std::string name;
  std::string description;
  std::vector<Action> actions;
  // Roles the driver reports, lower case; the exporter publishes one series per role.
  std::vector<std::string> roles;
  std::vector<ConfigKey> config;
  // Whether members need `credentials:` (SSH drivers do).
  bool needs_credentials = false;
  // Builds the driver for one member. May throw std::runtime_error with a message for
  // the operator (e.g. an unreadable key file); the loader reports it against the member.
  std::function<std::unique_ptr<Driver>(const MemberConfig&, DriverContext&)> create;

  bool Supports(Action action) const;
  const ConfigKey* FindKey(const std::string& key) const;
};

}  // namespace cutover
