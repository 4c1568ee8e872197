#include "actions/plan/plan_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>

#include "actions/plan/placeholders.h"
#include "common/strings.h"
#include "common/yaml_reader.h"
#include "plugins/transport/command_transport.h"

namespace cutover {
namespace {

constexpr std::string_view kOperatorList = "<, <=, ==, !=, >=, >";

// Alertmanager alertnames as Prometheus allows them in rule names.
bool IsValidAlertName(const std::string& name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    bool digit = c >= '0' && c <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text;
}

std::string ActionVocabulary() {
  std::vector<std::string> names;
  for (Action a : AllActions()) names.emplace_back(ActionName(a));
  return Join(names);
}

std::string Quoted(const std::string& name) { return "\"" + name + "\""; }

// A key of a mapping and its value. yaml-cpp marks a null value ("timeout:" with nothing
// after it) at the next token, so messages about a null value point at its key.
struct Field {
  YAML::Node key;
  YAML::Node value;
  bool present = false;
  explicit operator bool() const { return present; }
};

// Parameters each action cannot do without; others are passed to the driver as written.
const char* RequiredParam(Action action) {
  switch (action) {
    case Action::kSetPriority:
      return "priority";
    case Action::kRun:
      return "command";
    case Action::kSetRole:
      return "role";
    default:
      return nullptr;
  }
}

const char* RequiredParamExample(Action action) {
  switch (action) {
    case Action::kSetPriority:
      return "params: {priority: \"50\"}";
    case Action::kRun:
      return "params: {command: \"systemctl restart keepalived\"}";
    case Action::kSetRole:
      return "params: {role: standby}";
    default:
      return "";
  }
}

struct Defaults {
  Duration timeout{std::chrono::minutes(30)};
  Duration gate_interval{std::chrono::seconds(5)};
  int gate_samples = 1;
};

class PlanLoader {
 public:
  // `given`: the values of a start (every parameter must then have one); null when the
  // plan is read at start-up with its defaults only.
  PlanLoader(std::string file, const CutoverConfig& config, const DriverRegistry& registry,
             const ParamValues* given, PlanLoadResult& result)
      : file_(std::move(file)),
        config_(config),
        registry_(registry),
        given_(given),
        result_(result) {}

  void Load(const YAML::Node& root) {
    if (!root.IsMap()) {
      result_.errors.push_back(
          {file_, 0,
           "the plan must be a YAML mapping with 'plan:', 'cluster:' and 'steps:' (see "
           "actions/plan/README.md)"});
      return;
    }
    Plan& plan = result_.plan;
    CheckKeys(root, "plan",
              {"plan", "params", "cluster", "clusters", "description", "warning", "defaults",
               "rollback", "pause", "steps"});

    if (Field name = Get(root, "plan")) {
      if (ReadString(name, "plan", &plan.name) && !IsValidName(plan.name)) {
        Error(name, "plan name '" + plan.name +
                        "' is not valid; use 1 to 64 characters from A-Z a-z 0-9 _ . -");
      }
    } else {
      Error(root, "missing 'plan:'; name the plan, e.g. plan: bgp-pair-upgrade");
    }

    if (Field params = Get(root, "params")) LoadParamSpecs(params);
    LoadTargets(root);
    ResolveParamValues(root);

    if (Field description = Get(root, "description"))
      ReadText(description, "description", &plan.description);
    if (Field warning = Get(root, "warning")) ReadText(warning, "warning", &plan.warning);
    if (Field defaults = Get(root, "defaults")) LoadDefaults(defaults);
    if (Field rollback = Get(root, "rollback")) LoadRollbackPolicy(rollback);
    if (Field pause = Get(root, "pause")) LoadPausePolicy(pause);

    Field steps = Get(root, "steps");
    if (!steps) {
      Error(root, "missing 'steps:'; list the steps of the upgrade in order");
      return;
    }
    if (!steps.value.IsSequence() || steps.value.size() == 0) {
      Error(steps, "'steps' must be a non-empty list of steps (name, action, members, ...)");
      return;
    }
    std::set<std::string> names;
    int index = 0;
    for (const auto& node : steps.value) {
      ++index;
      StepSpec step;
      bool included = true;
      bool ok = LoadStep(node, index, &step, &included);
      // A step with other errors still claims its name, so a duplicate is reported too.
      if (IsValidName(step.name) && !names.insert(step.name).second) {
        Error(node, "step " + Quoted(step.name) + " is defined twice; give each step its own name");
        continue;
      }
      if (ok && included) plan.steps.push_back(std::move(step));
    }
  }

 private:
  int Line(const YAML::Node& node) const {
    if (!node.IsDefined() || node.Mark().line < 0) return 0;
    return node.Mark().line + 1;
  }
  int Line(const Field& field) const {
    return field.value.IsDefined() && !field.value.IsNull() ? Line(field.value) : Line(field.key);
  }
  std::string Where(const YAML::Node& node) const {
    return file_ + ":" + std::to_string(Line(node));
  }

  void Error(int line, std::string message) {
    result_.errors.push_back({file_, line, std::move(message)});
  }
  void Error(const YAML::Node& node, std::string message) { Error(Line(node), std::move(message)); }
  void Error(const Field& field, std::string message) { Error(Line(field), std::move(message)); }

  static Field Get(const YAML::Node& map, std::string_view key) {
    if (!map.IsMap()) return {};
    for (const auto& entry : map) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key)
        return {entry.first, entry.second, true};
    }
    return {};
  }

  void CheckKeys(const YAML::Node& map, const std::string& context,
                 std::initializer_list<const char*> known) {
    std::string list;
    for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    // Repeated keys are refused for the whole document by ParseYaml.
    for (const auto& entry : map) {
      std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
      bool found = false;
      for (const char* k : known) found |= key == k;
      if (!found)
        Error(entry.first, context + ": unknown key '" + key + "' (known keys: " + list + ")");
    }
  }

  bool ReadString(const Field& field, const std::string& what, std::string* out) {
    if (!field.value.IsScalar()) {
      Error(field, what + " must be a single value, not " +
                       (field.value.IsNull() ? "empty" : "a list or mapping"));
      return false;
    }
    *out = field.value.Scalar();
    return true;
  }

  bool ReadDuration(const Field& field, const std::string& what, Duration* out) {
    std::string text = field.value.IsScalar() ? field.value.Scalar() : "";
    bool ok = true;
    std::optional<std::string> expanded = Expand(field.value, text, what, Use::kDuration, &ok);
    if (!ok) return false;
    if (!expanded) return true;  // checked when a run gives the parameter
    ParseResult<Duration> d = ParseYamlDuration(*expanded, what, DurationMinimum::kAboveZero);
    if (!d.ok()) {
      Error(field, d.error());
      return false;
    }
    *out = d.value();
    return true;
  }

  // One rule for every whole number, in plans and in the configuration (ParseYamlInteger);
  // `meaning` says what the number is for.
  bool ReadInt(const Field& field, const std::string& what, int minimum, const std::string& meaning,
               int* out) {
    std::string text = field.value.IsScalar() ? field.value.Scalar() : "";
    bool ok = true;
    std::optional<std::string> expanded = Expand(field.value, text, what, Use::kInteger, &ok);
    if (!ok) return false;
    if (!expanded) return true;
    ParseResult<std::int64_t> value = ParseYamlInteger(*expanded, what, minimum);
    if (value.ok() && value.value() > std::numeric_limits<int>::max())
      value = ParseResult<std::int64_t>::Error(what + ": '" + *expanded + "' is too large");
    if (!value.ok()) {
      Error(field, value.error() + " (" + meaning + ")");
      return false;
    }
    *out = static_cast<int>(value.value());
    return true;
  }

  bool ReadBool(const Field& field, const std::string& what, bool* out) {
    ParseResult<bool> value = ReadYamlBool(field.value, what);
    if (!value.ok()) {
      Error(field, value.error());
      return false;
    }
    *out = value.value();
    return true;
  }

  void LoadDefaults(const Field& field) {
    if (!field.value.IsMap()) {
      Error(field, "'defaults' must be a mapping (timeout, gate_interval, gate_samples)");
      return;
    }
    CheckKeys(field.value, "defaults", {"timeout", "gate_interval", "gate_samples"});
    if (Field f = Get(field.value, "timeout"))
      ReadDuration(f, "defaults.timeout", &defaults_.timeout);
    if (Field f = Get(field.value, "gate_interval"))
      ReadDuration(f, "defaults.gate_interval", &defaults_.gate_interval);
    if (Field f = Get(field.value, "gate_samples"))
      ReadInt(f, "defaults.gate_samples", 1, "consecutive passing measurements",
              &defaults_.gate_samples);
  }

  void LoadRollbackPolicy(const Field& field) {
    RollbackPolicy& policy = result_.plan.rollback;
    if (!field.value.IsMap()) {
      Error(field, "'rollback' must be a mapping (on_gate_failure, on_timeout, alerts, note)");
      return;
    }
    CheckKeys(field.value, "rollback", {"on_gate_failure", "on_timeout", "alerts", "note"});
    if (Field f = Get(field.value, "on_gate_failure"))
      ReadBool(f, "rollback.on_gate_failure", &policy.on_gate_failure);
    if (Field f = Get(field.value, "on_timeout"))
      ReadBool(f, "rollback.on_timeout", &policy.on_timeout);
    if (Field alerts = Get(field.value, "alerts"))
      ReadAlertList(alerts, "rollback.alerts", "CutoverNewVersionUnhealthy", &policy.alerts);
    if (Field note = Get(field.value, "note")) ReadText(note, "rollback.note", &policy.note);
  }

  // pause: {alerts: [...]}: alerts that pause a run (after rollback: in the file order
  // either may come first, and an alert cannot do both).
  void LoadPausePolicy(const Field& field) {
    if (!field.value.IsMap()) {
      Error(field,
            "'pause' must be a mapping with alerts, e.g. pause: {alerts: "
            "[CutoverConfigChangedDuringUpgrade]}");
      return;
    }
    CheckKeys(field.value, "pause", {"alerts"});
    if (Field alerts = Get(field.value, "alerts"))
      ReadAlertList(alerts, "pause.alerts", "CutoverConfigChangedDuringUpgrade",
                    &result_.plan.pause_alerts);
  }

  // A list of alertnames, each at most once in the plan's policies (alert_lines_ says where
  // it was first named).
  void ReadAlertList(const Field& alerts, const std::string& key, const std::string& example,
                     std::vector<std::string>* out) {
    if (!alerts.value.IsSequence()) {
      Error(alerts, key + " must be a list of alertnames, e.g. [" + example + "]");
      return;
    }
    for (const auto& item : alerts.value) {
      std::string name = item.IsScalar() ? item.Scalar() : "";
      if (!IsValidAlertName(name)) {
        Error(item.IsScalar() ? YAML::Node(item) : alerts.value,
              key + ": '" + name +
                  "' is not an alertname (letters, digits and _, not starting with a digit)");
        continue;
      }
      if (alert_lines_.count(name)) {
        Error(item, key + ": '" + name + "' is already listed (line " +
                        std::to_string(alert_lines_[name]) +
                        "); an alert either rolls back or pauses a run, once");
        continue;
      }
      out->push_back(name);
      alert_lines_[name] = Line(item);
    }
  }

  // --- Parameters -----------------------------------------------------------------------

  // params: {name: {type: T, default: V, help: "...", target: T, values: [...]}, ...}
  void LoadParamSpecs(const Field& field) {
    if (!field.value.IsMap()) {
      Error(field,
            "'params' must be a mapping of parameter names to {type, default, help}, e.g. "
            "params: {new_version: {type: version, help: \"the version to install\"}}");
      return;
    }
    for (const auto& entry : field.value) {
      std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
      std::string context = "parameter '" + name + "'";
      if (!IsParamName(name)) {
        Error(entry.first, context +
                               ": a parameter name is 1 to 64 of A-Z a-z 0-9 _, not starting "
                               "with a digit");
        continue;
      }
      if (name == "cluster" || name == "member") {
        Error(entry.first, context +
                               ": {{cluster}} and {{member}} mean the step's cluster and member "
                               "in gate queries; give the parameter another name");
        continue;
      }
      if (!entry.second.IsMap()) {
        Error(entry.first, context + " must be a mapping with type, e.g. {type: version}");
        continue;
      }
      CheckKeys(entry.second, context, {"type", "default", "help", "target", "values"});
      ParamSpec spec;
      spec.name = name;
      spec.where = file_ + ":" + std::to_string(Line(entry.first));
      param_lines_[name] = Line(entry.first);
      Field type = Get(entry.second, "type");
      std::string type_name = type && type.value.IsScalar() ? type.value.Scalar() : "";
      std::optional<ParamType> parsed = ParseParamType(type_name);
      if (!parsed) {
        Error(type ? Line(type) : Line(entry.first),
              context + ": " + (type ? "unknown type '" + type_name + "'" : "missing 'type:'") +
                  " (use string, integer, number, duration, version, member, members or "
                  "cluster)");
        continue;
      }
      spec.type = *parsed;
      if (Field help = Get(entry.second, "help")) ReadString(help, context + ".help", &spec.help);
      if (Field target = Get(entry.second, "target")) {
        if (spec.type != ParamType::kMember && spec.type != ParamType::kMembers) {
          Error(target, context + ": 'target' is for member and members parameters");
          continue;
        }
        ReadString(target, context + ".target", &spec.target);
      }
      if (Field values = Get(entry.second, "values")) {
        if (spec.type != ParamType::kString || !values.value.IsSequence() ||
            values.value.size() == 0) {
          Error(values, context +
                            ": 'values' lists the values a string parameter accepts, e.g. "
                            "values: [wait, proceed, rollback]");
          continue;
        }
        for (const auto& v : values.value)
          if (v.IsScalar()) allowed_values_[name].push_back(v.Scalar());
      }
      if (Field def = Get(entry.second, "default")) {
        if (def.value.IsSequence() && spec.type == ParamType::kMembers) {
          std::string joined;
          for (const auto& v : def.value)
            joined += (joined.empty() ? "" : ",") + (v.IsScalar() ? v.Scalar() : std::string());
          spec.default_value = joined;
        } else if (def.value.IsScalar()) {
          spec.default_value = def.value.Scalar();
        } else {
          Error(def, context + ": 'default' must be a single value");
          continue;
        }
      }
      result_.plan.params.push_back(std::move(spec));
    }
  }

  // Parameter names follow the alertname rule (they appear in the same plans), at most 64.
  static bool IsParamName(const std::string& name) {
    return name.size() <= 64 && IsValidAlertName(name);
  }

  const ParamSpec* FindParam(const std::string& name) const {
    for (const ParamSpec& p : result_.plan.params)
      if (p.name == name) return &p;
    return nullptr;
  }

  std::string ParamNames() const {
    std::vector<std::string> names;
    for (const ParamSpec& p : result_.plan.params) names.push_back(p.name);
    return names.empty() ? "none" : Join(names);
  }

  // cluster: NAME, or clusters: {target: NAME, ...}; a NAME may be a cluster parameter.
  void LoadTargets(const YAML::Node& root) {
    Field single = Get(root, "cluster");
    Field several = Get(root, "clusters");
    if (single && several) {
      Error(several,
            "give either 'cluster:' (one cluster) or 'clusters:' (named targets), not both");
      return;
    }
    if (!single && !several) {
      Error(root, "missing 'cluster:'; name the cluster of " + config_.file +
                      " this plan upgrades (or 'clusters:' with a name for each cluster it "
                      "acts on, e.g. clusters: {firewalls: edge-fw, routers: edge-rtr})");
      return;
    }
    if (single) {
      AddTarget(single, "", "cluster");
      return;
    }
    if (!several.value.IsMap() || several.value.size() == 0) {
      Error(several, "'clusters' must map a name for each cluster to a cluster of " + config_.file +
                         ", e.g. clusters: {firewalls: edge-fw, routers: edge-rtr}");
      return;
    }
    for (const auto& entry : several.value) {
      std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
      if (!IsValidName(name)) {
        Error(entry.first, "clusters: target name '" + name +
                               "' is not valid; use 1 to 64 characters from A-Z a-z 0-9 _ . -");
        continue;
      }
      AddTarget({entry.first, entry.second, true}, name, "clusters." + name);
    }
  }

  void AddTarget(const Field& field, const std::string& name, const std::string& what) {
    std::string text;
    if (!ReadString(field, what, &text)) return;
    std::optional<std::string> cluster = Expand(field.value, text, what, Use::kCluster);
    Target target{name, cluster.value_or(""), nullptr, !cluster.has_value()};
    if (cluster) {
      target.config = config_.FindCluster(*cluster);
      if (!target.config) {
        std::vector<std::string> known;
        for (const auto& c : config_.clusters) known.push_back(c.name);
        Error(field, (name.empty() ? "" : what + ": ") + "cluster " + Quoted(*cluster) +
                         " is not in " + config_.file +
                         " (known clusters: " + (known.empty() ? "none" : Join(known)) + ")");
        return;
      }
      for (const Target& other : targets_) {
        if (other.cluster == *cluster) {
          Error(field, what + ": cluster " + Quoted(*cluster) + " is already the target " +
                           Quoted(other.name) + "; name each cluster once");
          return;
        }
      }
    }
    targets_.push_back(target);
    result_.plan.targets.push_back({name, target.cluster});
    if (result_.plan.cluster.empty()) result_.plan.cluster = target.cluster;
  }

  // Checks every parameter's value (given or default) by its type and keeps it in values_;
  // cluster parameters are resolved first (LoadTargets needs them), so this runs twice.
  void ResolveParamValues(const YAML::Node& root) {
    Plan& plan = result_.plan;
    int params_line = Get(root, "params") ? Line(Get(root, "params")) : 0;
    if (given_) {
      for (const auto& [name, value] : *given_) {
        if (!FindParam(name))
          Error(params_line, "parameter '" + name + "' is not a parameter of plan " +
                                 Quoted(plan.name) + " (it takes: " + ParamNames() + ")");
      }
    }
    for (const ParamSpec& spec : plan.params) ResolveParamValue(spec);
    for (const ParamSpec& spec : plan.params)
      if (values_.count(spec.name)) plan.param_values[spec.name] = values_[spec.name];
  }

  // The value of a parameter: given at start, else its default. nullopt (and the plan not
  // complete) when it has neither; an error when the value does not fit the type.
  std::optional<std::string> ResolveParamValue(const ParamSpec& spec) {
    if (auto it = values_.find(spec.name); it != values_.end()) return it->second;
    if (failed_params_.count(spec.name)) return std::nullopt;
    const std::string* raw = nullptr;
    bool from_default = false;
    if (given_) {
      if (auto it = given_->find(spec.name); it != given_->end()) raw = &it->second;
    }
    if (!raw && spec.default_value) {
      raw = &*spec.default_value;
      from_default = true;
    }
    int line = param_lines_[spec.name];
    std::string context =
        "parameter '" + spec.name + "' (" + std::string(ParamTypeName(spec.type)) + ")";
    if (!raw) {
      result_.plan.complete = false;
      if (given_) {
        Error(line, context + " has no default: give it, e.g. --param " + spec.name + "=" +
                        ValueExample(spec) + (spec.help.empty() ? "" : " (" + spec.help + ")"));
        failed_params_.insert(spec.name);
      }
      return std::nullopt;
    }
    std::string value = *raw;
    std::string why = CheckParamValue(spec, &value);
    if (!why.empty()) {
      Error(line, context + ": " + (from_default ? "default " : "") + QuoteForMessage(*raw, 80) +
                      " " + why);
      failed_params_.insert(spec.name);
      result_.plan.complete = false;
      return std::nullopt;
    }
    values_[spec.name] = value;
    return value;
  }

  static std::string ValueExample(const ParamSpec& spec) {
    switch (spec.type) {
      case ParamType::kInteger:
        return "10";
      case ParamType::kNumber:
        return "0.5";
      case ParamType::kDuration:
        return "10m";
      case ParamType::kVersion:
        return "2.4.1";
      case ParamType::kMember:
        return "fw1";
      case ParamType::kMembers:
        return "fw2,fw3";
      case ParamType::kCluster:
        return "edge-fw";
      case ParamType::kString:
        return "VALUE";
    }
    return "VALUE";
  }

  // "" when `*value` is a value of the parameter (then in its canonical form), else why not
  // and the fix.
  std::string CheckParamValue(const ParamSpec& spec, std::string* value) {
    const std::string& text = *value;
    switch (spec.type) {
      case ParamType::kString: {
        if (text.size() > 1024) return "is longer than 1024 bytes";
        if (!IsValidUtf8(text)) return "is not valid UTF-8";
        for (unsigned char c : text)
          if (c < 0x20 || c == 0x7f) return "holds a control character (a newline, a tab, ...)";
        if (auto it = allowed_values_.find(spec.name); it != allowed_values_.end()) {
          if (std::find(it->second.begin(), it->second.end(), text) == it->second.end())
            return "is not one of " + Join(it->second);
        }
        return {};
      }
      case ParamType::kInteger: {
        // The rule of every whole number in plans and configurations, in the words of a
        // parameter.
        if (!ParseYamlInteger(text, spec.name).ok())
          return "is not a whole number (write e.g. 10 or -1)";
        return {};
      }
      case ParamType::kNumber: {
        std::optional<double> d = ParseDouble(text);
        if (!d || !std::isfinite(*d)) return "is not a finite number (write e.g. 0.5, 10 or 1e6)";
        return {};
      }
      case ParamType::kDuration: {
        if (!ParseYamlDuration(text, spec.name, DurationMinimum::kAboveZero).ok())
          return "is not a duration above zero (write it like Prometheus: 30s, 10m, 1h30m)";
        return {};
      }
      case ParamType::kVersion: {
        bool ok =
            !text.empty() && text.size() <= 64 && std::isalnum(static_cast<unsigned char>(text[0]));
        for (char c : text)
          ok &= std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
                c == '+' || c == '~';
        if (!ok)
          return "is not a version (1 to 64 of A-Z a-z 0-9 . _ - + ~, starting with a letter or "
                 "digit, e.g. R81.20 or 2.4.1)";
        return {};
      }
      case ParamType::kCluster: {
        if (!config_.FindCluster(text)) {
          std::vector<std::string> known;
          for (const auto& c : config_.clusters) known.push_back(c.name);
          return "is not a cluster of " + config_.file +
                 " (known: " + (known.empty() ? "none" : Join(known)) + ")";
        }
        return {};
      }
      case ParamType::kMember:
      case ParamType::kMembers: {
        const Target* target = TargetNamed(spec.target);
        if (!target) {
          return spec.target.empty()
                     ? "cannot be checked: the plan acts on several clusters, so the "
                       "parameter needs 'target:' naming one of them"
                     : "cannot be checked: its target " + Quoted(spec.target) +
                           " is not under 'clusters:'";
        }
        if (!target->config) return {};  // the unknown cluster is reported at its target
        std::vector<std::string> names = SplitList(text);
        if (names.empty()) return "names no member (write e.g. " + ValueExample(spec) + ")";
        if (spec.type == ParamType::kMember && names.size() > 1)
          return "names more than one member; the parameter takes one";
        std::set<std::string> seen;
        for (const std::string& name : names) {
          if (!target->config->FindMember(name))
            return "names " + Quoted(name) + ", which is not a member of cluster " +
                   Quoted(target->cluster) + " (its members: " + MembersOf(*target->config) + ")";
          if (!seen.insert(name).second) return "names " + Quoted(name) + " twice";
        }
        std::string canonical;
        for (const std::string& name : names) canonical += (canonical.empty() ? "" : ",") + name;
        *value = canonical;
        return {};
      }
    }
    return {};
  }

  // "fw2, fw3" -> {fw2, fw3}: a members value as typed on a command line.
  static std::vector<std::string> SplitList(const std::string& text) {
    std::vector<std::string> out;
    for (std::string_view part : Split(text, ',')) {
      std::string_view item = Trim(part);
      if (!item.empty()) out.emplace_back(item);
    }
    return out;
  }

  static std::string MembersOf(const ClusterConfig& cluster) {
    std::vector<std::string> names;
    for (const auto& m : cluster.members) names.push_back(m.name);
    return Join(names);
  }

  // How a field uses the text a parameter puts into it.
  enum class Use {
    kText,       // free text (descriptions, driver parameters): any value as written
    kInteger,    // the whole field is one integer parameter
    kDuration,   // the whole field is one duration parameter
    kCondition,  // "< {{max}}": integer and number parameters
    kQuery,      // PromQL: numbers anywhere, names only inside a quoted string, escaped
    kCommand,    // a shell command: values quoted for the shell
    kCluster,    // the whole field is one cluster parameter
  };

  // `text` with its parameters replaced by their values. nullopt when a parameter has no
  // value yet (the field is checked when a run starts) or on an error (reported here;
  // `*ok`, when given, is cleared). {{cluster}} and {{member}} are left for gate queries.
  std::optional<std::string> Expand(const YAML::Node& at, const std::string& text,
                                    const std::string& context, Use use, bool* ok = nullptr) {
    std::string out;
    std::size_t copied = 0;
    bool unresolved = false;
    auto fail = [&](std::string message) -> std::optional<std::string> {
      Error(at, context + ": " + message);
      if (ok) *ok = false;
      return std::nullopt;
    };
    std::vector<Placeholder> found = FindPlaceholders(text);
    bool whole = found.size() == 1 && found[0].begin == 0 && found[0].end == text.size();
    for (const Placeholder& p : found) {
      if (p.end == std::string_view::npos) break;  // reported by the field's own checks
      if (p.name == "cluster" || p.name == "member") continue;
      const ParamSpec* spec = FindParam(p.name);
      if (!spec)
        return fail(
            "unknown placeholder '{{" + p.name + "}}'" +
            (use == Use::kQuery ? " in query (only {{cluster}}, {{member}} and " : " (only ") +
            "the plan's parameters are replaced; its parameters: " + ParamNames() + ")");
      ParamType type = spec->type;
      bool numeric = type == ParamType::kInteger || type == ParamType::kNumber;
      std::string expected;
      switch (use) {
        case Use::kInteger:
          if (!whole || type != ParamType::kInteger) expected = "one integer parameter, alone";
          break;
        case Use::kDuration:
          if (!whole || type != ParamType::kDuration) expected = "one duration parameter, alone";
          break;
        case Use::kCluster:
          if (!whole || type != ParamType::kCluster) expected = "one cluster parameter, alone";
          break;
        case Use::kCondition:
          if (!numeric) expected = "integer or number parameters";
          break;
        case Use::kQuery:
          if (type == ParamType::kMembers && !FillsRegexMatcher(text, p))
            expected =
                "parameters of one value; a members parameter only as a whole regex matcher "
                "value, e.g. member=~\"{{" +
                p.name + "}}\"";
          break;
        case Use::kCommand:
          if (type == ParamType::kMembers) expected = "parameters of one value";
          break;
        case Use::kText:
          break;
      }
      if (!expected.empty())
        return fail("'{{" + p.name + "}}' is a " + std::string(ParamTypeName(type)) +
                    " parameter; this field takes " + expected);
      char quote = 0;
      bool escaped = use == Use::kQuery && type != ParamType::kInteger &&
                     type != ParamType::kNumber && type != ParamType::kDuration;
      if (escaped) {
        quote = QuoteAt(text, p.begin);
        if (quote != '"' && quote != '\'')
          return fail("'{{" + p.name + "}}' (" + std::string(ParamTypeName(type)) +
                      ") must stand inside a quoted label value, e.g. version=\"{{" + p.name +
                      "}}\", where its value is escaped");
      }
      std::optional<std::string> value = ResolveParamValue(*spec);
      if (!value) {
        unresolved = true;
        continue;
      }
      std::string inserted = escaped ? EscapePromQlString(*value, quote) : *value;
      if (use == Use::kQuery && type == ParamType::kMembers)
        inserted = EscapePromQlString(MembersRegex(*value), quote);
      if (use == Use::kCommand) inserted = ShellWord(inserted);  // one word for the shell
      out.append(text, copied, p.begin - copied);
      out += inserted;
      copied = p.end;
    }
    if (unresolved) return std::nullopt;
    out.append(text, copied, std::string::npos);
    return out;
  }

  // Whether the placeholder is the whole value of a regex label matcher: member=~"{{p}}".
  static bool FillsRegexMatcher(const std::string& query, const Placeholder& p) {
    if (p.begin < 3 || p.end >= query.size()) return false;
    char quote = query[p.begin - 1];
    return (quote == '"' || quote == '\'') && query.compare(p.begin - 3, 2, "=~") == 0 &&
           query[p.end] == quote;
  }

  // A members value ("a,b.c") as an anchored alternation matching exactly those names
  // (PromQL anchors label regexes): "a|b\\.c". Names are [A-Za-z0-9_.-], so the dot is the
  // one character to escape.
  static std::string MembersRegex(const std::string& members) {
    std::string out;
    for (const std::string& name : SplitList(members)) {
      if (!out.empty()) out += '|';
      for (char c : name) {
        if (c == '.') out += '\\';
        out += c;
      }
    }
    return out;
  }

  // The quote character of the PromQL string literal that position `at` is inside, or 0.
  static char QuoteAt(const std::string& query, std::size_t at) {
    char quote = 0;
    for (std::size_t i = 0; i < at; ++i) {
      char c = query[i];
      if (quote == 0) {
        if (c == '"' || c == '\'' || c == '`') quote = c;
      } else if (c == '\\' && quote != '`') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    }
    return quote;
  }

  static std::string EscapePromQlString(const std::string& value, char quote) {
    std::string out;
    for (char c : value) {
      if (c == '\\' || c == quote) out += '\\';
      out += c;
    }
    return out;
  }

  // A scalar that may use parameters, as text (descriptions): kept as written while a
  // parameter has no value.
  bool ReadText(const Field& field, const std::string& what, std::string* out) {
    if (!ReadString(field, what, out)) return false;
    bool ok = true;
    if (auto expanded = Expand(field.value, *out, what, Use::kText, &ok)) *out = *expanded;
    return ok;
  }

  // --- Targets and members --------------------------------------------------------------

  struct Target {
    std::string name;
    std::string cluster;
    const ClusterConfig* config = nullptr;  // null while unknown
    bool unresolved = false;                // a cluster parameter without a value yet
  };

  const Target* TargetNamed(const std::string& name) const {
    if (name.empty()) return targets_.size() == 1 ? &targets_[0] : nullptr;
    for (const Target& t : targets_)
      if (t.name == name) return &t;
    return nullptr;
  }

  std::string TargetNames() const {
    std::vector<std::string> names;
    for (const Target& t : targets_) names.push_back(t.name);
    return Join(names);
  }

  // `*included` false: the step is valid but its `when` leaves it out of this run.
  bool LoadStep(const YAML::Node& node, int index, StepSpec* out, bool* included) {
    if (!node.IsMap()) {
      Error(node,
            "step #" + std::to_string(index) + " must be a mapping with name, action and members");
      return false;
    }
    StepSpec& step = *out;
    step.timeout = defaults_.timeout;
    step.where = Where(node);
    std::string context = "step #" + std::to_string(index);
    bool ok = true;
    if (Field name = Get(node, "name")) {
      if (ReadString(name, context + ".name", &step.name) && !IsValidName(step.name)) {
        Error(name, context + ": name '" + step.name +
                        "' is not valid; use 1 to 64 characters from A-Z a-z 0-9 _ . -");
        ok = false;
      }
      if (IsValidName(step.name)) context = "step " + Quoted(step.name);
    } else {
      Error(node, context + ": missing 'name:'; name the step, e.g. name: drain-fw1");
      ok = false;
    }
    CheckKeys(node, context,
              {"name", "when", "action", "members", "params", "trigger", "timeout", "deadline",
               "gates", "rollback", "rollback_gates", "rollback_boundary", "at_once"});
    ok &= LoadWhen(node, context, included);

    ok &= LoadAction(node, context, nullptr, &step.action, &step_members_unresolved_);
    if (Field boundary = Get(node, "rollback_boundary"))
      ok &= ReadBool(boundary, context + ".rollback_boundary", &step.rollback_boundary);
    if (Field trigger = Get(node, "trigger")) ok &= LoadTrigger(trigger, context, &step.trigger);
    if (Field timeout = Get(node, "timeout"))
      ok &= ReadDuration(timeout, context + ".timeout", &step.timeout);
    if (Field deadline = Get(node, "deadline")) ok &= LoadDeadline(deadline, context, &step);

    std::set<std::string> gate_names;
    bool has_members = !step.action.members.empty() || step_members_unresolved_;
    if (Field gates = Get(node, "gates"))
      ok &= LoadGates(gates, context, false, has_members, &gate_names, &step.gates);
    if (Field rollback = Get(node, "rollback")) {
      if (!rollback.value.IsSequence()) {
        Error(rollback, context +
                            ": 'rollback' must be a list of compensations, e.g. "
                            "[{action: stop_drain}]");
        ok = false;
      } else {
        int n = 0;
        for (const auto& item : rollback.value) {
          std::string item_context = context + ": rollback #" + std::to_string(++n);
          if (!item.IsMap()) {
            Error(item.IsNull() ? rollback.value : YAML::Node(item),
                  item_context + " must be a mapping with action, members and params");
            ok = false;
            continue;
          }
          CheckKeys(item, item_context, {"when", "action", "members", "params", "at_once"});
          ActionSpec compensation;
          compensation.where = Where(item);
          bool unresolved = false;
          bool compensation_included = true;
          bool when_ok = LoadWhen(item, item_context, &compensation_included);
          if (LoadAction(item, item_context, &step.action, &compensation, &unresolved) && when_ok) {
            if (compensation_included) step.rollback.push_back(std::move(compensation));
          } else {
            ok = false;
          }
        }
      }
    }
    if (Field gates = Get(node, "rollback_gates"))
      ok &= LoadGates(gates, context, true, has_members, &gate_names, &step.rollback_gates);
    return ok && !step.name.empty();
  }

  // `when: {PARAM: VALUE}` on a step or a compensation: it belongs to the run only when
  // the string parameter PARAM (one with `values:`) is VALUE, so one plan carries the
  // variants of a runbook (how the traffic leaves a member, say) and a start picks one.
  // Read as shipped (no parameters given) the step stays, checked like any other, even
  // when PARAM has a default. VALUE must be one of PARAM's values: a slip never drops a
  // step silently.
  bool LoadWhen(const YAML::Node& map, const std::string& context, bool* included) {
    Field when = Get(map, "when");
    if (!when) return true;
    const std::string usage =
        ": 'when' names one string parameter with values and the value this belongs to, "
        "e.g. when: {primary_move: interfaces}";
    if (!when.value.IsMap() || when.value.size() != 1) {
      Error(when, context + usage);
      return false;
    }
    const auto& entry = *when.value.begin();
    std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
    std::string value = entry.second.IsScalar() ? entry.second.Scalar() : "";
    auto allowed = allowed_values_.find(name);
    if (!FindParam(name) || allowed == allowed_values_.end()) {
      Error(when, context + ": 'when' names " + Quoted(name) +
                      ", which is not a string parameter with values (" +
                      (FindParam(name) ? "add values: [...] to it" : "it takes: " + ParamNames()) +
                      ")");
      return false;
    }
    if (std::find(allowed->second.begin(), allowed->second.end(), value) == allowed->second.end()) {
      Error(when, context + ": 'when' gives " + Quoted(value) + " for parameter '" + name +
                      "', which takes one of " + Join(allowed->second));
      return false;
    }
    // Read as shipped (no start's values), every variant is checked; a start (or a check
    // with parameters) keeps the one its value, given or defaulted, names.
    if (!given_) return true;
    if (auto known = values_.find(name); known != values_.end()) *included = known->second == value;
    return true;
  }

  // The action, members and params keys of `map` (a step or a compensation). A
  // compensation without members acts on its step's (`step_action`).
  bool LoadAction(const YAML::Node& map, const std::string& context, const ActionSpec* step_action,
                  ActionSpec* out, bool* members_unresolved) {
    bool ok = true;
    if (Field at_once = Get(map, "at_once"))
      ok &= ReadBool(at_once, context + ".at_once", &out->at_once);
    std::optional<Action> action;
    Field action_field = Get(map, "action");
    if (!action_field) {
      Error(map, context + ": missing 'action:' (one of " + ActionVocabulary() + ")");
      ok = false;
    } else {
      std::string name;
      if (ReadString(action_field, context + ".action", &name)) {
        action = ParseAction(name);
        if (!action) {
          Error(action_field,
                context + ": unknown action '" + name + "' (known: " + ActionVocabulary() + ")");
        }
      }
      ok &= action.has_value();
      if (out->where.empty()) out->where = file_ + ":" + std::to_string(Line(action_field));
    }
    if (action) out->action = *action;

    ok &= LoadMembers(map, context, step_action, action, out, members_unresolved);
    ok &= LoadParams(map, context, action, out);
    return ok;
  }

  // One entry of a members list, resolved: the target it belongs to and its member names
  // (all of the target's for "*"). `unresolved` when a parameter has no value yet.
  struct MemberEntry {
    const Target* target = nullptr;
    std::vector<std::string> names;
    bool unresolved = false;
    int line = 0;
  };

  // name, target/name, *, target/*, or {{p}} (a member or members parameter).
  bool ReadMemberEntry(const YAML::Node& at, const std::string& text, const std::string& context,
                       MemberEntry* entry) {
    entry->line = Line(at);
    std::vector<Placeholder> found = FindPlaceholders(text);
    if (!found.empty()) {
      const Placeholder& p = found[0];
      const ParamSpec* spec = FindParam(p.name);
      bool whole = found.size() == 1 && p.begin == 0 && p.end == text.size();
      if (!whole || !spec ||
          (spec->type != ParamType::kMember && spec->type != ParamType::kMembers)) {
        Error(at, context + ": members entry '" + text +
                      "' is not a member: use a name, target/name, *, target/* or one member "
                      "or members parameter alone, e.g. \"{{old}}\" (parameters: " +
                      ParamNames() + ")");
        return false;
      }
      if (targets_.empty()) return false;  // the cluster's error is reported at 'cluster:'
      entry->target = TargetNamed(spec->target);
      if (!entry->target) {
        Error(at, context + ": parameter '" + spec->name +
                      "' needs 'target:' naming one of the plan's clusters (" + TargetNames() +
                      ")");
        return false;
      }
      std::optional<std::string> value = ResolveParamValue(*spec);
      if (!value) {
        entry->unresolved = true;
        return !failed_params_.count(spec->name);
      }
      entry->names = SplitList(*value);
      return true;
    }
    std::string target_name, member = text;
    if (std::size_t slash = text.find('/'); slash != std::string::npos) {
      target_name = text.substr(0, slash);
      member = text.substr(slash + 1);
      entry->target = nullptr;
      for (const Target& t : targets_)
        if (!t.name.empty() && t.name == target_name) entry->target = &t;
      if (!entry->target) {
        Error(at, context + ": '" + target_name + "' in " + Quoted(text) +
                      " is not one of the plan's clusters (" +
                      (targets_.size() == 1 && targets_[0].name.empty()
                           ? "this plan names one cluster: write the member alone"
                           : "clusters: " + TargetNames()) +
                      ")");
        return false;
      }
    } else {
      if (targets_.empty()) return false;  // the cluster's error is reported at 'cluster:'
      entry->target = TargetNamed("");
      if (!entry->target) {
        Error(at, context + ": member " + Quoted(text) +
                      " needs its cluster: the plan acts on several, write e.g. " +
                      (targets_.empty() ? "target" : targets_[0].name) + "/" + text);
        return false;
      }
    }
    if (member.empty()) {
      Error(at, context + ": each entry of 'members' must be a member name");
      return false;
    }
    if (member == "*") {
      if (entry->target->config)
        for (const auto& m : entry->target->config->members) entry->names.push_back(m.name);
      entry->unresolved = entry->target->unresolved;
      return true;
    }
    entry->names.push_back(member);
    return true;
  }

  bool ReadMemberEntries(const YAML::Node& list, const std::string& context,
                         std::vector<MemberEntry>* entries) {
    if (list.IsScalar()) {
      MemberEntry entry;
      if (!ReadMemberEntry(list, list.Scalar(), context, &entry)) return false;
      entries->push_back(std::move(entry));
      return true;
    }
    if (!list.IsSequence() || list.size() == 0) return false;
    bool ok = true;
    for (const auto& item : list) {
      MemberEntry entry;
      if (!item.IsScalar() || item.Scalar().empty()) {
        Error(item.IsScalar() ? YAML::Node(item) : list,
              context + ": each entry of 'members' must be a member name");
        ok = false;
        continue;
      }
      if (ReadMemberEntry(item, item.Scalar(), context, &entry))
        entries->push_back(std::move(entry));
      else
        ok = false;
    }
    return ok;
  }

  bool LoadMembers(const YAML::Node& map, const std::string& context, const ActionSpec* step_action,
                   std::optional<Action> action, ActionSpec* out, bool* unresolved) {
    *unresolved = false;
    Field members = Get(map, "members");
    const std::string example =
        targets_.size() > 1 ? "members: [" + targets_[0].name + "/fw1]" : "members: [fw1]";
    if (!members) {
      if (step_action) {
        out->cluster = step_action->cluster;
        out->members = step_action->members;
        *unresolved = step_members_unresolved_;
        return CheckMembersSupport(Line(map), {}, context, action, out, TargetOf(out->cluster));
      }
      const Target* only = TargetNamed("");
      Error(map, context + ": missing 'members:'; list the members to act on" +
                     (only && only->config ? " (members of " + Quoted(only->cluster) + ": " +
                                                 MembersOf(*only->config) + ")"
                                           : std::string()));
      return false;
    }
    std::vector<MemberEntry> entries;
    std::vector<MemberEntry> excluded;
    bool ok = true;
    const std::string shape_fix = ": 'members' must be a non-empty list (e.g. " + example +
                                  ", [\"*\"] for all, or [\"{{param}}\"]) or {all_except: [...]}";
    if (members.value.IsMap()) {
      CheckKeys(members.value, context + ".members", {"all_except"});
      Field except = Get(members.value, "all_except");
      if (!except || !ReadMemberEntries(except.value, context, &excluded) || excluded.empty()) {
        if (except && excluded.empty() && !except.value.IsSequence())
          Error(except, context + ": all_except must be a non-empty list of members");
        else if (!except)
          Error(members, context + shape_fix);
        return false;
      }
      MemberEntry all;
      all.target = excluded[0].target;
      if (all.target->config)
        for (const auto& m : all.target->config->members) all.names.push_back(m.name);
      all.unresolved = all.target->unresolved;
      entries.push_back(all);
    } else if (members.value.IsNull() ||
               (members.value.IsSequence() && members.value.size() == 0)) {
      Error(members, context + shape_fix);
      return false;
    } else if (!ReadMemberEntries(members.value, context, &entries)) {
      return false;
    }
    const Target* target = nullptr;
    std::map<std::string, int> lines;
    for (const MemberEntry& e : entries) {
      *unresolved |= e.unresolved;
      for (const std::string& name : e.names) lines.emplace(name, e.line);
      if (target && e.target != target) {
        Error(members, context + ": a step acts on the members of one cluster; " +
                           Quoted(target->cluster.empty() ? target->name : target->cluster) +
                           " and " +
                           Quoted(e.target->cluster.empty() ? e.target->name : e.target->cluster) +
                           " are two (split the step)");
        return false;
      }
      target = e.target;
      for (const std::string& name : e.names) {
        if (std::find(out->members.begin(), out->members.end(), name) != out->members.end()) {
          Error(members, context + ": member " + Quoted(name) + " is listed twice");
          ok = false;
          continue;
        }
        out->members.push_back(name);
      }
    }
    for (const MemberEntry& e : excluded) {
      *unresolved |= e.unresolved;
      if (e.target != target) {
        Error(members, context + ": all_except names members of two clusters");
        return false;
      }
      for (const std::string& name : e.names) std::erase(out->members, name);
    }
    if (!target) return false;
    out->cluster = target->cluster;
    if (!*unresolved && out->members.empty()) {
      Error(members, context + ": 'members' leaves no member to act on");
      return false;
    }
    return CheckMembersSupport(Line(members), lines, context, action, out, target) && ok;
  }

  const Target* TargetOf(const std::string& cluster) const {
    for (const Target& t : targets_)
      if (t.cluster == cluster) return &t;
    return nullptr;
  }

  // Every member is in its cluster and its driver declares the action.
  bool CheckMembersSupport(int line, const std::map<std::string, int>& lines,
                           const std::string& context, std::optional<Action> action,
                           const ActionSpec* spec, const Target* target) {
    if (!target || !target->config) return true;  // reported at the target
    bool ok = true;
    for (const std::string& name : spec->members) {
      auto found = lines.find(name);
      int at = found != lines.end() && found->second > 0 ? found->second : line;
      const MemberConfig* member = target->config->FindMember(name);
      if (!member) {
        Error(at, context + ": member " + Quoted(name) + " is not in cluster " +
                      Quoted(target->cluster) + " (its members: " + MembersOf(*target->config) +
                      ")");
        ok = false;
        continue;
      }
      if (!action) continue;
      const DriverDescriptor* descriptor = registry_.Find(member->driver);
      if (!descriptor) {
        Error(at, context + ": member " + Quoted(name) + " uses driver '" + member->driver +
                      "', which this program does not know (known: " + registry_.Names() + ")");
        ok = false;
        continue;
      }
      if (!descriptor->Supports(*action)) {
        std::vector<std::string> supported;
        for (Action a : descriptor->actions) supported.emplace_back(ActionName(a));
        Error(at, context + ": member " + Quoted(name) + " (driver '" + descriptor->name +
                      "') cannot " + std::string(ActionName(*action)) + "; its driver supports " +
                      (supported.empty() ? "no actions" : Join(supported)));
        ok = false;
      }
    }
    return ok;
  }

  bool LoadParams(const YAML::Node& map, const std::string& context, std::optional<Action> action,
                  ActionSpec* out) {
    bool ok = true;
    unresolved_params_.clear();
    Field params = Get(map, "params");
    if (params && !params.value.IsNull()) {
      if (!params.value.IsMap()) {
        Error(params, context +
                          ": 'params' must be a mapping of names to values, e.g. "
                          "{priority: \"50\"}");
        return false;
      }
      for (const auto& entry : params.value) {
        std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
        if (key.empty()) {
          Error(entry.first, context + ": a parameter needs a name");
          ok = false;
          continue;
        }
        if (!entry.second.IsScalar()) {
          Error(entry.second.IsNull() ? entry.first : entry.second,
                context + ": parameter '" + key +
                    "' must be a single value (a string or a number), not " +
                    (entry.second.IsNull() ? "empty" : "a list or mapping"));
          ok = false;
          continue;
        }
        std::string value = entry.second.Scalar();
        bool command = action == Action::kRun && key == "command";
        bool expanded_ok = true;
        std::optional<std::string> expanded =
            Expand(entry.second, value, context + ": parameter '" + key + "'",
                   command ? Use::kCommand : Use::kText, &expanded_ok);
        if (!expanded_ok) {
          ok = false;
          continue;
        }
        if (expanded) {
          value = *expanded;
        } else {
          unresolved_params_.insert(key);
        }
        if (!out->params.emplace(key, value).second) {
          Error(entry.first, context + ": parameter '" + key + "' is given twice");
          ok = false;
        }
      }
    }
    if (!action) return ok;
    const char* required = RequiredParam(*action);
    if (required && !out->params.count(required)) {
      Error(params ? Line(params) : Line(map),
            context + ": action " + std::string(ActionName(*action)) + " needs parameter '" +
                required + "' (write " + RequiredParamExample(*action) + ")");
      return false;
    }
    if (*action == Action::kSetRole && !unresolved_params_.count("role")) {
      const std::string& role = out->params["role"];
      if (role != "active" && role != "standby") {
        Error(Get(params.value, "role"),
              context + ": role '" + role +
                  "' is not a role set_role can set (use active or standby)");
        return false;
      }
    }
    return ok;
  }

  bool LoadTrigger(const Field& field, const std::string& context, Trigger* out) {
    const std::string fix =
        " (write trigger: auto, trigger: manual or trigger: {alert: AlertName})";
    if (field.value.IsScalar()) {
      const std::string& text = field.value.Scalar();
      if (text == "auto") {
        out->kind = TriggerKind::kAuto;
        return true;
      }
      if (text == "manual") {
        out->kind = TriggerKind::kManual;
        return true;
      }
      Error(field, context + ": unknown trigger '" + text + "'" + fix);
      return false;
    }
    if (!field.value.IsMap()) {
      Error(field, context + ": trigger is empty" + fix);
      return false;
    }
    CheckKeys(field.value, context + ".trigger", {"alert"});
    Field alert = Get(field.value, "alert");
    if (!alert) {
      Error(field, context + ": trigger names no alert" + fix);
      return false;
    }
    std::string name = alert.value.IsScalar() ? alert.value.Scalar() : "";
    if (!IsValidAlertName(name)) {
      Error(alert, context + ": trigger alert '" + name +
                       "' is not an alertname (letters, digits and _, not starting with a digit)");
      return false;
    }
    if (alert_lines_.count(name)) {
      Error(alert, context + ": alert '" + name +
                       "' both starts this step and rolls back or pauses the plan (line " +
                       std::to_string(alert_lines_[name]) + "); use different alerts");
      return false;
    }
    out->kind = TriggerKind::kAlert;
    out->alertname = name;
    return true;
  }

  // deadline: {after: 20m, then: wait|proceed|rollback}
  bool LoadDeadline(const Field& field, const std::string& context, StepSpec* step) {
    const std::string fix = ", e.g. deadline: {after: 20m, then: proceed}";
    if (!field.value.IsMap()) {
      Error(field, context + ": 'deadline' must be a mapping with after and then" + fix);
      return false;
    }
    CheckKeys(field.value, context + ".deadline", {"after", "then"});
    Deadline deadline;
    bool ok = true;
    if (Field after = Get(field.value, "after")) {
      ok &= ReadDuration(after, context + ".deadline.after", &deadline.after);
    } else {
      Error(field, context + ": deadline has no 'after'" + fix);
      ok = false;
    }
    Field then = Get(field.value, "then");
    std::string text = then && then.value.IsScalar() ? then.value.Scalar() : "";
    std::optional<std::string> expanded =
        then ? Expand(then.value, text, context + ".deadline.then", Use::kText, &ok) : text;
    if (!ok) return false;
    if (!expanded) return true;  // checked when a run gives the parameter
    text = *expanded;
    if (text == "wait") {
      deadline.then = DeadlinePolicy::kWait;
    } else if (text == "proceed") {
      deadline.then = DeadlinePolicy::kProceed;
    } else if (text == "rollback") {
      deadline.then = DeadlinePolicy::kRollback;
    } else {
      Error(then ? then.value : field.value,
            context + ": deadline.then '" + text +
                "' is not a policy; use wait (keep waiting), proceed (perform the action anyway) "
                "or rollback");
      ok = false;
    }
    if (ok) step->deadline = deadline;
    return ok;
  }

  bool LoadGates(const Field& field, const std::string& step_context, bool rollback_gates,
                 bool step_has_members, std::set<std::string>* names, std::vector<GateSpec>* out) {
    const char* key = rollback_gates ? "rollback_gates" : "gates";
    if (!field.value.IsSequence()) {
      Error(field,
            step_context + ": '" + key + "' must be a list of gates (name, query, condition, ...)");
      return false;
    }
    bool ok = true;
    int index = 0;
    for (const auto& node : field.value) {
      ++index;
      GateSpec gate;
      if (!LoadGate(node, step_context, index, rollback_gates, step_has_members, &gate)) {
        ok = false;
        continue;
      }
      if (!names->insert(gate.name).second) {
        Error(node, step_context + ": gate " + Quoted(gate.name) +
                        " is defined twice in this step; give each gate its own name");
        ok = false;
        continue;
      }
      out->push_back(std::move(gate));
    }
    return ok;
  }

  bool LoadGate(const YAML::Node& node, const std::string& step_context, int index,
                bool rollback_gate, bool step_has_members, GateSpec* gate) {
    std::string context = step_context + ": gate #" + std::to_string(index);
    if (!node.IsMap()) {
      Error(node, context + " must be a mapping with name, query and condition");
      return false;
    }
    gate->where = Where(node);
    gate->samples = defaults_.gate_samples;
    gate->interval = defaults_.gate_interval;
    bool ok = true;
    if (Field name = Get(node, "name")) {
      if (ReadString(name, context + ".name", &gate->name) && !IsValidName(gate->name)) {
        Error(name, context + ": name '" + gate->name +
                        "' is not valid; use 1 to 64 characters from A-Z a-z 0-9 _ . -");
        ok = false;
      }
      if (IsValidName(gate->name)) context = "gate " + Quoted(gate->name);
    } else {
      Error(node, context + ": missing 'name:'; name the gate, e.g. name: drained");
      ok = false;
    }
    CheckKeys(node, context,
              {"name", "query", "condition", "stage", "samples", "interval", "no_data",
               "failure_limit", "inconclusive_limit", "consecutive_error_limit"});

    if (Field query = Get(node, "query")) {
      if (ReadString(query, context + ".query", &gate->query)) {
        bool expanded_ok = true;
        std::optional<std::string> expanded =
            Expand(query.value, gate->query, context, Use::kQuery, &expanded_ok);
        ok &= expanded_ok;
        if (expanded) {
          gate->query = *expanded;
          ok &= CheckQuery(query, context, step_has_members, gate->query);
        }
      } else {
        ok = false;
      }
    } else {
      Error(node,
            context +
                ": missing 'query:' (the PromQL to measure, e.g. "
                "cutover_member_connections{ha_cluster=\"{{cluster}}\",member=\"{{member}}\"})");
      ok = false;
    }

    if (Field condition = Get(node, "condition")) {
      std::string text;
      std::string error;
      bool expanded_ok = true;
      std::optional<std::string> expanded;
      if (ReadString(condition, context + ".condition", &text))
        expanded =
            Expand(condition.value, text, context + ".condition", Use::kCondition, &expanded_ok);
      else
        expanded_ok = false;
      if (!expanded_ok) {
        ok = false;
      } else if (!expanded) {
        // checked when a run gives the parameter
      } else if (auto parsed = ParseCondition(*expanded, &error)) {
        gate->condition = *parsed;
      } else {
        Error(condition, context + ": " + error);
        ok = false;
      }
    } else {
      Error(node, context + ": missing 'condition:' (e.g. condition: \"< 10\"; operators " +
                      std::string(kOperatorList) + ")");
      ok = false;
    }

    if (Field stage = Get(node, "stage")) {
      std::string text = stage.value.IsScalar() ? stage.value.Scalar() : "";
      if (text == "before") {
        gate->stage = GateStage::kBefore;
      } else if (text == "after" && !rollback_gate) {
        gate->stage = GateStage::kAfter;
      } else if (text == "after") {
        Error(stage, context +
                         ": rollback gates are measured before the compensations run; remove "
                         "'stage: after'");
        ok = false;
      } else {
        Error(stage, context + ": unknown stage '" + text + "' (use before or after)");
        ok = false;
      }
    }
    if (Field samples = Get(node, "samples"))
      ok &= ReadInt(samples, context + ".samples", 1, "consecutive passing measurements",
                    &gate->samples);
    if (Field interval = Get(node, "interval"))
      ok &= ReadDuration(interval, context + ".interval", &gate->interval);
    if (Field no_data = Get(node, "no_data")) {
      std::string text = no_data.value.IsScalar() ? no_data.value.Scalar() : "";
      if (text == "fail") {
        gate->no_data = NoDataPolicy::kFail;
      } else if (text == "wait") {
        gate->no_data = NoDataPolicy::kWait;
      } else if (text == "pass") {
        Error(no_data, context +
                           ": no_data: pass is refused: an empty result means nothing was "
                           "measured (a member not scraped, a typo in the query), and cutover "
                           "acts only on evidence (use fail or wait)");
        ok = false;
      } else {
        Error(no_data, context + ": unknown no_data policy '" + text + "' (use fail or wait)");
        ok = false;
      }
    }
    const std::string limit_fix = "-1 for no limit";
    if (Field f = Get(node, "failure_limit"))
      ok &= ReadInt(f, context + ".failure_limit", -1, limit_fix, &gate->failure_limit);
    if (Field f = Get(node, "inconclusive_limit"))
      ok &= ReadInt(f, context + ".inconclusive_limit", -1, limit_fix, &gate->inconclusive_limit);
    if (Field f = Get(node, "consecutive_error_limit"))
      ok &= ReadInt(f, context + ".consecutive_error_limit", -1, limit_fix,
                    &gate->consecutive_error_limit);
    return ok && !gate->name.empty();
  }

  bool CheckQuery(const Field& field, const std::string& context, bool step_has_members,
                  const std::string& query) {
    if (Trim(query).empty()) {
      Error(field, context + ": query is empty; write the PromQL to measure");
      return false;
    }
    bool ok = true;
    for (const Placeholder& p : FindPlaceholders(query)) {
      if (p.end == std::string_view::npos) {
        Error(field, context +
                         ": query has '{{' without '}}'; close the placeholder, e.g. "
                         "{{member}}");
        return false;
      }
      if (p.name != "cluster" && p.name != "member") {
        Error(field, context + ": unknown placeholder '" + query.substr(p.begin, p.end - p.begin) +
                         "' in query (only {{cluster}} and {{member}} are replaced)");
        ok = false;
      } else if (p.name == "member" && !step_has_members) {
        Error(field, context +
                         ": query uses {{member}} but its step has no members to measure; "
                         "list the step's members or measure the cluster with {{cluster}}");
        ok = false;
      }
    }
    return ok;
  }

  std::string file_;
  const CutoverConfig& config_;
  const DriverRegistry& registry_;
  const ParamValues* given_;
  PlanLoadResult& result_;
  std::vector<Target> targets_;
  std::map<std::string, std::string> values_;  // checked parameter values
  std::set<std::string> failed_params_;        // reported once
  std::map<std::string, int> param_lines_;
  std::map<std::string, std::vector<std::string>> allowed_values_;
  Defaults defaults_;
  std::map<std::string, int> alert_lines_;   // rollback.alerts and their lines
  bool step_members_unresolved_ = false;     // of the step being read
  std::set<std::string> unresolved_params_;  // of the action being read
};

}  // namespace

std::optional<Condition> ParseCondition(const std::string& text, std::string* error) {
  static constexpr std::pair<std::string_view, Comparison> kOperators[] = {
      {"<", Comparison::kLess},
      {"<=", Comparison::kLessOrEqual},
      {"==", Comparison::kEqual},
      {"!=", Comparison::kNotEqual},
      {">=", Comparison::kGreaterOrEqual},
      {">", Comparison::kGreater},
  };
  auto fail = [&](std::string message) -> std::optional<Condition> {
    if (error) *error = std::move(message);
    return std::nullopt;
  };
  std::string_view rest = Trim(text);
  std::size_t op_length = rest.find_first_not_of("<>=!");
  if (op_length == std::string_view::npos) op_length = rest.size();
  std::string op_text(rest.substr(0, op_length));
  std::string_view number = Trim(rest.substr(op_length));
  Condition condition;
  bool known = false;
  for (const auto& [name, op] : kOperators) {
    if (name == op_text) {
      condition.op = op;
      known = true;
    }
  }
  if (op_text.empty())
    return fail("condition '" + text +
                "' does not start with an operator (write e.g. \"< 10\"; use " +
                std::string(kOperatorList) + ")");
  if (!known)
    return fail("unknown operator '" + op_text + "' (use " + std::string(kOperatorList) + ")");
  if (number.empty())
    return fail("condition '" + text + "' has no number after '" + op_text + "' (write e.g. \"" +
                op_text + " 10\")");
  std::optional<double> value = ParseDouble(number);
  if (!value)
    return fail("'" + std::string(number) + "' in condition '" + text +
                "' is not a number (write e.g. 10, 0.99 or 1e6)");
  if (std::isnan(*value))
    return fail("condition '" + text +
                "' compares with NaN, which no value equals or orders against; write a number");
  if (std::isinf(*value))
    return fail("condition '" + text + "' compares with an infinity; write a finite number");
  condition.threshold = *value;
  return condition;
}

std::string PlanLoadResult::ErrorText() const {
  std::string text;
  for (const auto& e : errors) text += e.ToString() + "\n";
  return text;
}

namespace {

PlanLoadResult ReadPlan(const std::string& yaml, const std::string& name,
                        const CutoverConfig& config, const DriverRegistry& registry,
                        const ParamValues* given) {
  PlanLoadResult result;
  result.plan.file = name;
  result.plan.digest = Fnv1aHex(yaml);
  result.plan.source = yaml;
  YamlDocument document = ParseYaml(yaml);
  for (YamlProblem& problem : document.problems)
    result.errors.push_back({name, problem.line, std::move(problem.message)});
  if (!document.syntax_ok) return result;
  PlanLoader loader(name, config, registry, given, result);
  loader.Load(document.root);
  if (!result.ok()) result.plan.steps.clear();
  return result;
}

}  // namespace

PlanLoadResult LoadPlanString(const std::string& yaml, const std::string& name,
                              const CutoverConfig& config, const DriverRegistry& registry) {
  return ReadPlan(yaml, name, config, registry, nullptr);
}

PlanLoadResult InstantiatePlan(const Plan& loaded, const ParamValues& given,
                               const CutoverConfig& config, const DriverRegistry& registry) {
  return ReadPlan(loaded.source, loaded.file, config, registry, &given);
}

PlanLoadResult LoadPlanFile(const std::string& path, const CutoverConfig& config,
                            const DriverRegistry& registry) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    PlanLoadResult result;
    result.plan.file = path;
    result.errors.push_back({path, 0, "cannot read the plan; check the path and permissions"});
    return result;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadPlanString(buffer.str(), path, config, registry);
}

}  // namespace cutover
