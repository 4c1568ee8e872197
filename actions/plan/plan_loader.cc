#include "actions/plan/plan_loader.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include "actions/plan/placeholders.h"
#include "common/strings.h"
#include "common/yaml_reader.h"

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
  PlanLoader(std::string file, const CutoverConfig& config, const DriverRegistry& registry,
             PlanLoadResult& result)
      : file_(std::move(file)), config_(config), registry_(registry), result_(result) {}

  void Load(const YAML::Node& root) {
    if (!root.IsMap()) {
      result_.errors.push_back(
          {file_, 0,
           "the plan must be a YAML mapping with 'plan:', 'cluster:' and 'steps:' (see "
           "actions/plan/README.md)"});
      return;
    }
    Plan& plan = result_.plan;
    CheckKeys(
        root, "plan",
        {"plan", "cluster", "description", "warning", "defaults", "rollback", "pause", "steps"});

    if (Field name = Get(root, "plan")) {
      if (ReadString(name, "plan", &plan.name) && !IsValidName(plan.name)) {
        Error(name, "plan name '" + plan.name +
                        "' is not valid; use 1 to 64 characters from A-Z a-z 0-9 _ . -");
      }
    } else {
      Error(root, "missing 'plan:'; name the plan, e.g. plan: bgp-pair-upgrade");
    }

    if (Field cluster = Get(root, "cluster")) {
      if (ReadString(cluster, "cluster", &plan.cluster)) {
        cluster_ = config_.FindCluster(plan.cluster);
        if (!cluster_) {
          std::vector<std::string> known;
          for (const auto& c : config_.clusters) known.push_back(c.name);
          Error(cluster, "cluster " + Quoted(plan.cluster) + " is not in " + config_.file +
                             " (known clusters: " + (known.empty() ? "none" : Join(known)) + ")");
        }
      }
    } else {
      Error(root,
            "missing 'cluster:'; name the cluster of " + config_.file + " this plan upgrades");
    }

    if (Field description = Get(root, "description"))
      ReadString(description, "description", &plan.description);
    if (Field warning = Get(root, "warning")) ReadString(warning, "warning", &plan.warning);
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
      bool ok = LoadStep(node, index, &step);
      // A step with other errors still claims its name, so a duplicate is reported too.
      if (IsValidName(step.name) && !names.insert(step.name).second) {
        Error(node, "step " + Quoted(step.name) + " is defined twice; give each step its own name");
        continue;
      }
      if (ok) plan.steps.push_back(std::move(step));
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
    auto d = ParseDuration(text);
    if (!d || d->count() <= 0) {
      Error(field, what + ": '" + text +
                       "' is not a duration above zero (write it like Prometheus: 30s, 10m, "
                       "1h30m, 500ms)");
      return false;
    }
    *out = *d;
    return true;
  }

  bool ReadInt(const Field& field, const std::string& what, int minimum, const std::string& fix,
               int* out) {
    std::string text = field.value.IsScalar() ? field.value.Scalar() : "";
    int value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < minimum) {
      Error(field, what + ": '" + text + "' " + fix);
      return false;
    }
    *out = value;
    return true;
  }

  bool ReadBool(const Field& field, const std::string& what, bool* out) {
    std::string text = field.value.IsScalar() ? field.value.Scalar() : "";
    if (text != "true" && text != "false") {
      Error(field, what + ": '" + text + "' must be true or false");
      return false;
    }
    *out = text == "true";
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
      ReadInt(f, "defaults.gate_samples", 1, "must be a whole number of 1 or more",
              &defaults_.gate_samples);
  }

  void LoadRollbackPolicy(const Field& field) {
    RollbackPolicy& policy = result_.plan.rollback;
    if (!field.value.IsMap()) {
      Error(field, "'rollback' must be a mapping (on_gate_failure, on_timeout, alerts)");
      return;
    }
    CheckKeys(field.value, "rollback", {"on_gate_failure", "on_timeout", "alerts"});
    if (Field f = Get(field.value, "on_gate_failure"))
      ReadBool(f, "rollback.on_gate_failure", &policy.on_gate_failure);
    if (Field f = Get(field.value, "on_timeout"))
      ReadBool(f, "rollback.on_timeout", &policy.on_timeout);
    if (Field alerts = Get(field.value, "alerts"))
      ReadAlertList(alerts, "rollback.alerts", "CutoverNewVersionUnhealthy", &policy.alerts);
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

  bool LoadStep(const YAML::Node& node, int index, StepSpec* out) {
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
              {"name", "action", "members", "params", "trigger", "timeout", "deadline", "gates",
               "rollback", "rollback_gates"});

    ok &= LoadAction(node, context, nullptr, &step.action);
    if (Field trigger = Get(node, "trigger")) ok &= LoadTrigger(trigger, context, &step.trigger);
    if (Field timeout = Get(node, "timeout"))
      ok &= ReadDuration(timeout, context + ".timeout", &step.timeout);
    if (Field deadline = Get(node, "deadline")) ok &= LoadDeadline(deadline, context, &step);

    std::set<std::string> gate_names;
    bool has_members = !step.action.members.empty();
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
          CheckKeys(item, item_context, {"action", "members", "params"});
          ActionSpec compensation;
          compensation.where = Where(item);
          if (LoadAction(item, item_context, &step.action.members, &compensation)) {
            step.rollback.push_back(std::move(compensation));
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

  // The action, members and params keys of `map` (a step or a compensation). Members
  // default to `default_members` when given (a compensation acts on its step's members).
  bool LoadAction(const YAML::Node& map, const std::string& context,
                  const std::vector<std::string>* default_members, ActionSpec* out) {
    bool ok = true;
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

    ok &= LoadMembers(map, context, default_members, action, out);
    ok &= LoadParams(map, context, action, out);
    return ok;
  }

  std::string ClusterMembers() const {
    std::vector<std::string> names;
    for (const auto& m : cluster_->members) names.push_back(m.name);
    return Join(names);
  }

  bool LoadMembers(const YAML::Node& map, const std::string& context,
                   const std::vector<std::string>* default_members, std::optional<Action> action,
                   ActionSpec* out) {
    Field members = Get(map, "members");
    if (!members) {
      if (default_members) {
        out->members = *default_members;
        return true;
      }
      Error(map,
            context + ": missing 'members:'; list the members to act on" +
                (cluster_ ? " (members of " + Quoted(cluster_->name) + ": " + ClusterMembers() + ")"
                          : std::string()));
      return false;
    }
    if (!members.value.IsSequence() || members.value.size() == 0) {
      Error(members, context + ": 'members' must be a non-empty list, e.g. members: [fw1]");
      return false;
    }
    bool ok = true;
    for (const auto& item : members.value) {
      std::string name = item.IsScalar() ? item.Scalar() : "";
      YAML::Node at = item.IsScalar() ? YAML::Node(item) : members.value;
      if (name.empty()) {
        Error(at, context + ": each entry of 'members' must be a member name");
        ok = false;
        continue;
      }
      if (std::find(out->members.begin(), out->members.end(), name) != out->members.end()) {
        Error(at, context + ": member " + Quoted(name) + " is listed twice");
        ok = false;
        continue;
      }
      out->members.push_back(name);
      if (!cluster_) continue;  // the unknown cluster is reported once, at 'cluster:'
      const MemberConfig* member = cluster_->FindMember(name);
      if (!member) {
        Error(at, context + ": member " + Quoted(name) + " is not in cluster " +
                      Quoted(cluster_->name) + " (its members: " + ClusterMembers() + ")");
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
        if (!out->params.emplace(key, entry.second.Scalar()).second) {
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
    if (*action == Action::kSetRole) {
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
      if (ReadString(query, context + ".query", &gate->query))
        ok &= CheckQuery(query, context, step_has_members, gate->query);
      else
        ok = false;
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
      if (!ReadString(condition, context + ".condition", &text)) {
        ok = false;
      } else if (auto parsed = ParseCondition(text, &error)) {
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
      ok &= ReadInt(samples, context + ".samples", 1,
                    "must be a whole number of 1 or more (consecutive passing measurements)",
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
    const std::string limit_fix = "must be a whole number, -1 for no limit";
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
  PlanLoadResult& result_;
  const ClusterConfig* cluster_ = nullptr;
  Defaults defaults_;
  std::map<std::string, int> alert_lines_;  // rollback.alerts and their lines
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

PlanLoadResult LoadPlanString(const std::string& yaml, const std::string& name,
                              const CutoverConfig& config, const DriverRegistry& registry) {
  PlanLoadResult result;
  result.plan.file = name;
  result.plan.digest = Fnv1aHex(yaml);
  YamlDocument document = ParseYaml(yaml);
  for (YamlProblem& problem : document.problems)
    result.errors.push_back({name, problem.line, std::move(problem.message)});
  if (!document.syntax_ok) return result;
  PlanLoader loader(name, config, registry, result);
  loader.Load(document.root);
  if (!result.ok()) result.plan.steps.clear();
  return result;
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
