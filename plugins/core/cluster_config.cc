#include "plugins/core/cluster_config.h"

#include <unistd.h>

#include <fstream>
#include <optional>
#include <set>

#include "common/yaml_reader.h"

namespace cutover {
namespace {

class Loader {
 public:
  Loader(std::string file, const DriverRegistry& registry, const ConfigLoadOptions& options,
         ConfigLoadResult& result)
      : file_(std::move(file)), registry_(registry), options_(options), result_(result) {}

  void Load(const YAML::Node& root) {
    if (!root.IsMap()) {
      Error(root, "the file must be a YAML mapping with 'clusters:' (see examples/cutover.yml)");
      return;
    }
    CheckKeys(root, "top level", {"global", "credentials", "clusters"});
    if (YamlEntry global = FindYamlEntry(root, "global")) LoadGlobal(global);
    if (YamlEntry credentials = FindYamlEntry(root, "credentials")) LoadCredentials(credentials);
    YamlEntry clusters = FindYamlEntry(root, "clusters");
    if (!clusters || !clusters.value.IsSequence() || clusters.value.size() == 0) {
      Error(clusters ? YamlLine(clusters) : YamlLine(root),
            "'clusters' must be a non-empty list; add at least one cluster with its members");
      return;
    }
    std::set<std::string> names;
    for (const auto& node : clusters.value) {
      ClusterConfig cluster = LoadCluster(node);
      if (cluster.name.empty()) continue;
      if (!names.insert(cluster.name).second) {
        Error(node,
              "cluster \"" + cluster.name + "\" is defined twice; give each cluster its own name");
        continue;
      }
      result_.config.clusters.push_back(std::move(cluster));
    }
  }

  void Error(int line, std::string message) {
    result_.errors.push_back({file_, line, std::move(message)});
  }
  void Error(const YAML::Node& node, std::string message) {
    Error(YamlLine(node), std::move(message));
  }
  void Error(const YamlEntry& entry, std::string message) {
    Error(YamlLine(entry), std::move(message));
  }

 private:
  std::string Where(const YAML::Node& node) const {
    return file_ + ":" + std::to_string(YamlLine(node));
  }

  void CheckKeys(const YAML::Node& map, const std::string& context,
                 std::initializer_list<const char*> known) {
    if (!map.IsMap()) return;
    for (const auto& entry : map) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
      bool found = false;
      std::string list;
      for (const char* k : known) {
        if (key == k) found = true;
        list += (list.empty() ? "" : ", ") + std::string(k);
      }
      if (!found)
        Error(entry.first, context + ": unknown key '" + key + "' (known keys: " + list + ")");
    }
  }

  // Reports the error of a read at the entry's line; the value when there is none.
  template <typename T>
  std::optional<T> Take(const YamlEntry& entry, ParseResult<T> read) {
    if (!read.ok()) {
      Error(entry, read.error());
      return std::nullopt;
    }
    return std::move(read.value());
  }

  bool ReadString(const YamlEntry& entry, const std::string& what, std::string* out) {
    std::optional<std::string> text = Take(entry, ReadYamlString(entry.value, what));
    if (text) *out = std::move(*text);
    return text.has_value();
  }

  void LoadGlobal(const YamlEntry& global) {
    if (!global.value.IsMap()) {
      Error(global, "'global' must be a mapping (probe_timeout, probe_concurrency)");
      return;
    }
    CheckKeys(global.value, "global", {"probe_timeout", "probe_concurrency"});
    if (YamlEntry entry = FindYamlEntry(global.value, "probe_timeout")) {
      if (auto d = Take(entry, ReadYamlDuration(entry.value, "global.probe_timeout",
                                                DurationMinimum::kAboveZero)))
        result_.config.global.probe_timeout = *d;
    }
    if (YamlEntry entry = FindYamlEntry(global.value, "probe_concurrency")) {
      if (auto n = Take(entry, ReadYamlInteger(entry.value, "global.probe_concurrency", 1, 1024)))
        result_.config.global.probe_concurrency = static_cast<int>(*n);
    }
  }

  void LoadCredentials(const YamlEntry& credentials) {
    if (!credentials.value.IsMap()) {
      Error(credentials, "'credentials' must be a mapping of names to credentials");
      return;
    }
    for (const auto& entry : credentials.value) {
      Credentials c;
      c.name = entry.first.IsScalar() ? entry.first.Scalar() : "";
      const YAML::Node& body = entry.second;
      if (!body.IsMap()) {
        Error(YamlEntry{entry.first, body, true},
              "credentials \"" + c.name + "\" must be a mapping (user, identity_file, ...)");
        continue;
      }
      std::string context = "credentials \"" + c.name + "\"";
      for (const char* inline_secret : {"password", "token", "identity", "private_key"}) {
        if (YamlEntry secret = FindYamlEntry(body, inline_secret)) {
          Error(secret, context +
                            ": secrets are given only by file reference; "
                            "put the secret in a file readable by cutover only and "
                            "write '" +
                            std::string(inline_secret) + "_file: /path/to/file' instead");
        }
      }
      CheckKeys(body, context,
                {"user", "identity_file", "known_hosts_file", "password_file", "token_file",
                 "password", "token", "identity", "private_key"});
      struct Field {
        const char* key;
        std::string* target;
        bool must_be_readable;
      } fields[] = {{"user", &c.user, false},
                    {"identity_file", &c.identity_file, true},
                    {"known_hosts_file", &c.known_hosts_file, false},
                    {"password_file", &c.password_file, true},
                    {"token_file", &c.token_file, true}};
      for (const Field& f : fields) {
        YamlEntry field = FindYamlEntry(body, f.key);
        if (!field) continue;
        if (!ReadString(field, context + "." + f.key, f.target)) continue;
        if (f.must_be_readable && options_.check_credential_files &&
            access(f.target->c_str(), R_OK) != 0)
          Error(field, context + "." + f.key + ": cannot read '" + *f.target +
                           "'; check the path and that cutover may read it");
      }
      result_.config.credentials[c.name] = c;
    }
  }

  ClusterConfig LoadCluster(const YAML::Node& node) {
    ClusterConfig cluster;
    if (!node.IsMap()) {
      Error(node, "each cluster must be a mapping with name and members");
      return cluster;
    }
    CheckKeys(node, "cluster", {"name", "driver", "settings", "credentials", "members"});
    YamlEntry name_entry = FindYamlEntry(node, "name");
    std::string name;
    if (!name_entry) {
      Error(node, "cluster needs a 'name' of 1 to 64 characters from A-Z a-z 0-9 _ . -");
      return cluster;
    }
    if (!ReadString(name_entry, "cluster name", &name)) return cluster;
    if (!IsValidName(name)) {
      Error(name_entry, "cluster needs a 'name' of 1 to 64 characters from A-Z a-z 0-9 _ . -");
      return cluster;
    }
    cluster.name = name;
    cluster.where = Where(node);
    std::string context = "cluster \"" + name + "\"";
    std::string default_driver;
    if (YamlEntry driver = FindYamlEntry(node, "driver"))
      ReadString(driver, context + ".driver", &default_driver);
    std::string default_credentials;
    if (YamlEntry credentials = FindYamlEntry(node, "credentials"))
      ReadString(credentials, context + ".credentials", &default_credentials);
    YamlEntry default_settings = FindYamlEntry(node, "settings");
    if (default_settings && !default_settings.value.IsMap()) {
      Error(default_settings, context + ".settings must be a mapping of driver settings");
      default_settings = YamlEntry();
    }
    YamlEntry members = FindYamlEntry(node, "members");
    if (!members || !members.value.IsSequence() || members.value.size() == 0) {
      Error(members ? YamlLine(members) : YamlLine(node),
            context + ": 'members' must be a non-empty list");
      return cluster;
    }
    std::set<std::string> member_names;
    for (const auto& m : members.value) {
      MemberConfig member;
      if (!LoadMember(m, cluster.name, default_driver, default_credentials, default_settings,
                      &member))
        continue;
      if (!member_names.insert(member.name).second) {
        Error(m, context + ": member \"" + member.name + "\" is listed twice");
        continue;
      }
      cluster.members.push_back(std::move(member));
    }
    return cluster;
  }

  bool LoadMember(const YAML::Node& node, const std::string& cluster,
                  const std::string& default_driver, const std::string& default_credentials,
                  const YamlEntry& default_settings, MemberConfig* member) {
    if (!node.IsMap()) {
      Error(node,
            "cluster \"" + cluster + "\": each member must be a mapping (name, address, ...)");
      return false;
    }
    CheckKeys(node, "member", {"name", "address", "driver", "credentials", "settings"});
    member->cluster = cluster;
    member->where = Where(node);
    const std::string name_fix =
        "cluster \"" + cluster +
        "\": member needs a 'name' of 1 to 64 characters from A-Z a-z 0-9 _ . -";
    YamlEntry name = FindYamlEntry(node, "name");
    if (!name) {
      Error(node, name_fix);
      return false;
    }
    if (!ReadString(name, "cluster \"" + cluster + "\": member name", &member->name)) return false;
    if (!IsValidName(member->name)) {
      Error(name, name_fix);
      return false;
    }
    std::string context = "member \"" + member->name + "\"";
    bool ok = true;
    if (YamlEntry address = FindYamlEntry(node, "address"))
      ok &= ReadString(address, context + ".address", &member->address);
    member->driver = default_driver;
    YamlEntry driver = FindYamlEntry(node, "driver");
    if (driver) ok &= ReadString(driver, context + ".driver", &member->driver);
    const DriverDescriptor* descriptor = nullptr;
    if (member->driver.empty()) {
      Error(node, context + ": no driver; set 'driver:' on the member or its cluster (one of " +
                      registry_.Names() + ")");
      ok = false;
    } else if (!(descriptor = registry_.Find(member->driver))) {
      Error(
          driver ? YamlLine(driver) : YamlLine(node),
          context + ": unknown driver '" + member->driver + "' (known: " + registry_.Names() + ")");
      ok = false;
    }

    std::string credentials_name = default_credentials;
    YamlEntry credentials = FindYamlEntry(node, "credentials");
    if (credentials) ok &= ReadString(credentials, context + ".credentials", &credentials_name);
    if (!credentials_name.empty()) {
      auto it = result_.config.credentials.find(credentials_name);
      if (it == result_.config.credentials.end()) {
        Error(credentials ? YamlLine(credentials) : YamlLine(node),
              context + ": credentials \"" + credentials_name +
                  "\" are not defined; add them under 'credentials:'");
        ok = false;
      } else {
        member->credentials = it->second;
      }
    } else if (descriptor && descriptor->needs_credentials) {
      Error(node, context + ": driver '" + descriptor->name +
                      "' needs 'credentials:' (user, identity_file, known_hosts_file)");
      ok = false;
    }

    YamlEntry settings = FindYamlEntry(node, "settings");
    if (settings && !settings.value.IsMap()) {
      Error(settings, context + ".settings must be a mapping of driver settings");
      return false;
    }
    if (descriptor) {
      // A missing setting is the member's to add: at its settings, or at the member.
      int missing_line = settings ? YamlLine(settings.key) : YamlLine(node);
      ok &= LoadSettings(*descriptor, context, default_settings, settings, missing_line, member);
    }
    return ok;
  }

  bool LoadSettings(const DriverDescriptor& descriptor, const std::string& context,
                    const YamlEntry& defaults, const YamlEntry& own, int missing_line,
                    MemberConfig* member) {
    bool ok = true;
    std::string known;
    for (const ConfigKey& key : descriptor.config) known += (known.empty() ? "" : ", ") + key.name;
    // Member settings override the cluster's; both are checked against the driver's table.
    std::map<std::string, YamlEntry> merged;
    for (const YamlEntry* source : {&defaults, &own}) {
      if (!*source || !source->value.IsMap()) continue;
      for (const auto& entry : source->value) {
        std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
        if (!descriptor.FindKey(key)) {
          Error(entry.first, context + ": driver '" + descriptor.name + "' has no setting '" + key +
                                 "' (known: " + (known.empty() ? "none" : known) + ")");
          ok = false;
          continue;
        }
        merged[key] = YamlEntry{entry.first, entry.second, true};
      }
    }
    for (const ConfigKey& key : descriptor.config) {
      auto it = merged.find(key.name);
      std::string where = context + ".settings." + key.name;
      if (it != merged.end()) {
        ok &= Convert(key, it->second.value, YamlLine(it->second), where, member);
        continue;
      }
      if (key.required) {
        Error(missing_line, context + ": driver '" + descriptor.name + "' needs setting '" +
                                key.name + "' (" + key.help + ")");
        ok = false;
        continue;
      }
      // Unset optional keys: strings read as "" and lists as empty, so drivers need no
      // Has() checks; other types without a default stay absent.
      if (key.default_value.empty()) {
        if (key.type == ValueType::kString) member->settings.Set(key.name, std::string());
        if (key.type == ValueType::kStringList)
          member->settings.Set(key.name, std::vector<std::string>());
        continue;
      }
      // Defaults are read by the same rules as the file; one that fails them is a bug of the
      // driver, reported at the member that needed it.
      YAML::Node default_node = YAML::Node(key.default_value);
      if (key.type == ValueType::kStringList) default_node = ParseYaml(key.default_value).root;
      ok &= Convert(
          key, default_node, missing_line,
          context + ": driver '" + descriptor.name + "' has a bad default: settings." + key.name,
          member);
    }
    return ok;
  }

  // One setting's value, read by the rules of every YAML value cutover reads.
  bool Convert(const ConfigKey& key, const YAML::Node& node, int line, const std::string& where,
               MemberConfig* member) {
    auto set = [&](auto read) {
      if (!read.ok()) {
        Error(line, read.error() + " (" + key.help + ")");
        return false;
      }
      member->settings.Set(key.name, std::move(read.value()));
      return true;
    };
    switch (key.type) {
      case ValueType::kString: {
        ParseResult<std::string> text = ReadYamlString(node, where);
        if (text.ok() && key.secret && access(text.value().c_str(), R_OK) != 0) {
          Error(line, where + ": secrets are given only by file reference and '" + text.value() +
                          "' is not a readable file; write the secret to a file and name it here");
          return false;
        }
        return set(std::move(text));
      }
      case ValueType::kInteger:
        return set(ReadYamlInteger(node, where));
      case ValueType::kBoolean:
        return set(ReadYamlBool(node, where));
      case ValueType::kDuration:
        return set(ReadYamlDuration(node, where));
      case ValueType::kStringList:
        return set(ReadYamlStringList(node, where));
    }
    return false;
  }

  std::string file_;
  const DriverRegistry& registry_;
  const ConfigLoadOptions& options_;
  ConfigLoadResult& result_;
};

}  // namespace

const MemberConfig* ClusterConfig::FindMember(const std::string& member) const {
  for (const auto& m : members)
    if (m.name == member) return &m;
  return nullptr;
}

const ClusterConfig* CutoverConfig::FindCluster(const std::string& cluster) const {
  for (const auto& c : clusters)
    if (c.name == cluster) return &c;
  return nullptr;
}

std::string ConfigError::ToString() const {
  return line > 0 ? file + ":" + std::to_string(line) + ": " + message : file + ": " + message;
}

std::string ConfigLoadResult::ErrorText() const {
  std::string text;
  for (const auto& e : errors) text += e.ToString() + "\n";
  return text;
}

bool IsValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

ConfigLoadResult LoadConfigString(const std::string& yaml, const std::string& name,
                                  const DriverRegistry& registry,
                                  const ConfigLoadOptions& options) {
  ConfigLoadResult result;
  result.config.file = name;
  YamlDocument document = ParseYaml(yaml);
  for (YamlProblem& problem : document.problems)
    result.errors.push_back({name, problem.line, std::move(problem.message)});
  if (!document.syntax_ok) return result;
  Loader loader(name, registry, options, result);
  loader.Load(document.root);
  if (!result.ok()) result.config.clusters.clear();
  return result;
}

ConfigLoadResult LoadConfigFile(const std::string& path, const DriverRegistry& registry,
                                const ConfigLoadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ConfigLoadResult result;
    result.errors.push_back({path, 0, "cannot read the file; check --config.file and permissions"});
    return result;
  }
  // A configuration of 1,000 members is ~100 KB; reading stops past the limit, so a
  // wrong path such as /dev/zero fails instead of filling memory.
  constexpr std::size_t kMaxConfigBytes = 16 * 1024 * 1024;
  std::string text(kMaxConfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigBytes) {
    ConfigLoadResult result;
    result.errors.push_back({path, 0,
                             "larger than " + std::to_string(kMaxConfigBytes) +
                                 " bytes, more than any cluster configuration; check "
                                 "--config.file"});
    return result;
  }
  return LoadConfigString(text, path, registry, options);
}

}  // namespace cutover
