#include "plugins/core/cluster_config.h"

#include <unistd.h>

#include <fstream>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "common/yaml_reader.h"

namespace cutover {
namespace {

class Loader {
 public:
  Loader(std::string file, const DriverRegistry& registry, ConfigLoadResult& result)
      : file_(std::move(file)), registry_(registry), result_(result) {}

  void Load(const YAML::Node& root) {
    if (!root.IsMap()) {
      Error(root, "the file must be a YAML mapping with 'clusters:' (see examples/cutover.yml)");
      return;
    }
    CheckKeys(root, "top level", {"global", "credentials", "clusters"});
    if (root["global"]) LoadGlobal(root["global"]);
    if (root["credentials"]) LoadCredentials(root["credentials"]);
    const YAML::Node clusters = root["clusters"];
    if (!clusters || !clusters.IsSequence() || clusters.size() == 0) {
      Error(clusters ? clusters : root,
            "'clusters' must be a non-empty list; add at least one cluster with its members");
      return;
    }
    std::set<std::string> names;
    for (const auto& node : clusters) {
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

  void Error(const YAML::Node& node, std::string message) {
    int line = node.IsDefined() && node.Mark().line >= 0 ? node.Mark().line + 1 : 0;
    result_.errors.push_back({file_, line, std::move(message)});
  }

 private:
  std::string Where(const YAML::Node& node) const {
    return file_ + ":" + std::to_string(node.Mark().line + 1);
  }

  void CheckKeys(const YAML::Node& map, const std::string& context,
                 std::initializer_list<const char*> known) {
    if (!map.IsMap()) return;
    for (const auto& entry : map) {
      std::string key = entry.first.Scalar();
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

  bool ReadString(const YAML::Node& node, const std::string& what, std::string* out) {
    if (!node.IsScalar()) {
      Error(node, what + " must be a string");
      return false;
    }
    *out = node.Scalar();
    return true;
  }

  void LoadGlobal(const YAML::Node& global) {
    if (!global.IsMap()) {
      Error(global, "'global' must be a mapping (probe_timeout, probe_concurrency)");
      return;
    }
    CheckKeys(global, "global", {"probe_timeout", "probe_concurrency"});
    if (const auto node = global["probe_timeout"]) {
      auto d = node.IsScalar() ? ParseDuration(node.Scalar()) : std::nullopt;
      if (!d || d->count() <= 0) {
        Error(node, "global.probe_timeout: '" + (node.IsScalar() ? node.Scalar() : "") +
                        "' is not a duration (write e.g. 8s or 500ms)");
      } else {
        result_.config.global.probe_timeout = *d;
      }
    }
    if (const auto node = global["probe_concurrency"]) {
      auto n = node.IsScalar() ? ParseUint(node.Scalar()) : std::nullopt;
      if (!n || *n < 1 || *n > 1024) {
        Error(node, "global.probe_concurrency must be a whole number from 1 to 1024");
      } else {
        result_.config.global.probe_concurrency = static_cast<int>(*n);
      }
    }
  }

  void LoadCredentials(const YAML::Node& credentials) {
    if (!credentials.IsMap()) {
      Error(credentials, "'credentials' must be a mapping of names to credentials");
      return;
    }
    for (const auto& entry : credentials) {
      Credentials c;
      c.name = entry.first.Scalar();
      const YAML::Node& body = entry.second;
      if (!body.IsMap()) {
        Error(body, "credentials \"" + c.name + "\" must be a mapping (user, identity_file, ...)");
        continue;
      }
      std::string context = "credentials \"" + c.name + "\"";
      for (const char* inline_secret : {"password", "token", "identity", "private_key"}) {
        if (body[inline_secret]) {
          Error(body[inline_secret], context +
                                         ": secrets are given only by file reference; "
                                         "put the secret in a file readable by cutover only and "
                                         "write '" +
                                         std::string(inline_secret) +
                                         "_file: /path/to/file' instead");
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
        const YAML::Node node = body[f.key];
        if (!node) continue;
        if (!ReadString(node, context + "." + f.key, f.target)) continue;
        if (f.must_be_readable && access(f.target->c_str(), R_OK) != 0)
          Error(node, context + "." + f.key + ": cannot read '" + *f.target +
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
    std::string name;
    if (!node["name"] || !ReadString(node["name"], "cluster name", &name) || !IsValidName(name)) {
      Error(node["name"] ? node["name"] : node,
            "cluster needs a 'name' of 1 to 64 characters from A-Z a-z 0-9 _ . -");
      return cluster;
    }
    cluster.name = name;
    cluster.where = Where(node);
    std::string context = "cluster \"" + name + "\"";
    std::string default_driver;
    if (node["driver"]) ReadString(node["driver"], context + ".driver", &default_driver);
    std::string default_credentials;
    if (node["credentials"])
      ReadString(node["credentials"], context + ".credentials", &default_credentials);
    YAML::Node default_settings = node["settings"];
    if (default_settings && !default_settings.IsMap()) {
      Error(default_settings, context + ".settings must be a mapping of driver settings");
      default_settings = YAML::Node();
    }
    const YAML::Node members = node["members"];
    if (!members || !members.IsSequence() || members.size() == 0) {
      Error(members ? members : node, context + ": 'members' must be a non-empty list");
      return cluster;
    }
    std::set<std::string> member_names;
    for (const auto& m : members) {
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
                  const YAML::Node& default_settings, MemberConfig* member) {
    if (!node.IsMap()) {
      Error(node,
            "cluster \"" + cluster + "\": each member must be a mapping (name, address, ...)");
      return false;
    }
    CheckKeys(node, "member", {"name", "address", "driver", "credentials", "settings"});
    member->cluster = cluster;
    member->where = Where(node);
    if (!node["name"] || !ReadString(node["name"], "member name", &member->name) ||
        !IsValidName(member->name)) {
      Error(node["name"] ? node["name"] : node,
            "cluster \"" + cluster +
                "\": member needs a 'name' of 1 to 64 characters from A-Z a-z 0-9 _ . -");
      return false;
    }
    std::string context = "member \"" + member->name + "\"";
    bool ok = true;
    if (node["address"]) {
      ok &= ReadString(node["address"], context + ".address", &member->address);
    }
    member->driver = default_driver;
    if (node["driver"]) ok &= ReadString(node["driver"], context + ".driver", &member->driver);
    const DriverDescriptor* descriptor = nullptr;
    if (member->driver.empty()) {
      Error(node, context + ": no driver; set 'driver:' on the member or its cluster (one of " +
                      registry_.Names() + ")");
      ok = false;
    } else if (!(descriptor = registry_.Find(member->driver))) {
      Error(
          node["driver"] ? node["driver"] : node,
          context + ": unknown driver '" + member->driver + "' (known: " + registry_.Names() + ")");
      ok = false;
    }

    std::string credentials_name = default_credentials;
    if (node["credentials"])
      ok &= ReadString(node["credentials"], context + ".credentials", &credentials_name);
    if (!credentials_name.empty()) {
      auto it = result_.config.credentials.find(credentials_name);
      if (it == result_.config.credentials.end()) {
        Error(node["credentials"] ? node["credentials"] : node,
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

    YAML::Node settings = node["settings"];
    if (settings && !settings.IsMap()) {
      Error(settings, context + ".settings must be a mapping of driver settings");
      return false;
    }
    if (descriptor) ok &= LoadSettings(*descriptor, context, default_settings, settings, member);
    return ok;
  }

  bool LoadSettings(const DriverDescriptor& descriptor, const std::string& context,
                    const YAML::Node& defaults, const YAML::Node& own, MemberConfig* member) {
    bool ok = true;
    std::string known;
    for (const ConfigKey& key : descriptor.config) known += (known.empty() ? "" : ", ") + key.name;
    // Member settings override the cluster's; both are checked against the driver's table.
    std::map<std::string, YAML::Node> merged;
    for (const YAML::Node* source : {&defaults, &own}) {
      if (!source->IsDefined() || !source->IsMap()) continue;
      for (const auto& entry : *source) {
        std::string key = entry.first.Scalar();
        if (!descriptor.FindKey(key)) {
          Error(entry.first, context + ": driver '" + descriptor.name + "' has no setting '" + key +
                                 "' (known: " + (known.empty() ? "none" : known) + ")");
          ok = false;
          continue;
        }
        merged[key] = entry.second;
      }
    }
    for (const ConfigKey& key : descriptor.config) {
      auto it = merged.find(key.name);
      std::string where = context + ".settings." + key.name;
      if (it == merged.end()) {
        if (key.required) {
          Error(own.IsDefined()        ? own
                : defaults.IsDefined() ? defaults
                                       : YAML::Node(),
                context + ": driver '" + descriptor.name + "' needs setting '" + key.name + "' (" +
                    key.help + ")");
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
        YAML::Node default_node = key.type == ValueType::kStringList
                                      ? YAML::Load(key.default_value)
                                      : YAML::Node(key.default_value);
        ok &= Convert(key, default_node, where, member);
        continue;
      }
      ok &= Convert(key, it->second, where, member);
    }
    return ok;
  }

  bool Convert(const ConfigKey& key, const YAML::Node& node, const std::string& where,
               MemberConfig* member) {
    auto fail = [&](const std::string& expected) {
      Error(node, where + ": expected " + expected + " (" + key.help + ")");
      return false;
    };
    if (key.type == ValueType::kStringList) {
      if (!node.IsSequence()) return fail("a list of strings, e.g. [eth1, eth2]");
      std::vector<std::string> items;
      for (const auto& item : node) {
        if (!item.IsScalar()) return fail("a list of strings");
        items.push_back(item.Scalar());
      }
      member->settings.Set(key.name, items);
      return true;
    }
    if (!node.IsScalar()) return fail(std::string("a ") + std::string(ValueTypeName(key.type)));
    const std::string& text = node.Scalar();
    switch (key.type) {
      case ValueType::kString:
        if (key.secret && access(text.c_str(), R_OK) != 0) {
          Error(node, where + ": secrets are given only by file reference and '" + text +
                          "' is not a readable file; write the secret to a file and name it here");
          return false;
        }
        member->settings.Set(key.name, text);
        return true;
      case ValueType::kInteger: {
        std::int64_t value = 0;
        std::istringstream in(text);
        if (!(in >> value) || !in.eof()) return fail("a whole number");
        member->settings.Set(key.name, value);
        return true;
      }
      case ValueType::kBoolean:
        if (text == "true" || text == "false") {
          member->settings.Set(key.name, text == "true");
          return true;
        }
        return fail("true or false");
      case ValueType::kDuration: {
        auto d = ParseDuration(text);
        if (!d) return fail("a duration such as 5s, 250ms or 1m30s");
        member->settings.Set(key.name, *d);
        return true;
      }
      case ValueType::kStringList:
        break;
    }
    return false;
  }

  std::string file_;
  const DriverRegistry& registry_;
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
                                  const DriverRegistry& registry) {
  ConfigLoadResult result;
  result.config.file = name;
  YamlDocument document = ParseYaml(yaml);
  for (YamlProblem& problem : document.problems)
    result.errors.push_back({name, problem.line, std::move(problem.message)});
  if (!document.syntax_ok) return result;
  Loader loader(name, registry, result);
  loader.Load(document.root);
  if (!result.ok()) result.config.clusters.clear();
  return result;
}

ConfigLoadResult LoadConfigFile(const std::string& path, const DriverRegistry& registry) {
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
  return LoadConfigString(text, path, registry);
}

}  // namespace cutover
