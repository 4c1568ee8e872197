#include "actions/plan/plan.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "actions/plan/placeholders.h"
#include "common/strings.h"

namespace cutover {
namespace {

std::string_view OperatorText(Comparison op) {
  switch (op) {
    case Comparison::kLess:
      return "<";
    case Comparison::kLessOrEqual:
      return "<=";
    case Comparison::kEqual:
      return "==";
    case Comparison::kNotEqual:
      return "!=";
    case Comparison::kGreaterOrEqual:
      return ">=";
    case Comparison::kGreater:
      return ">";
  }
  return "?";
}

// Shortest text that reads back as the same double: 10 -> "10", 0.99 -> "0.99".
std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (ec != std::errc()) return std::to_string(value);
  return std::string(buffer, end);
}

}  // namespace

std::vector<Placeholder> FindPlaceholders(std::string_view query) {
  std::vector<Placeholder> found;
  std::size_t pos = 0;
  while ((pos = query.find("{{", pos)) != std::string_view::npos) {
    std::size_t close = query.find("}}", pos + 2);
    if (close == std::string_view::npos) {
      found.push_back({pos, std::string_view::npos, std::string(Trim(query.substr(pos + 2)))});
      break;
    }
    found.push_back({pos, close + 2, std::string(Trim(query.substr(pos + 2, close - pos - 2)))});
    pos = close + 2;
  }
  return found;
}

bool Condition::Holds(double value) const {
  // A NaN measurement (e.g. 0/0 in a ratio) says nothing; every comparison refuses it,
  // including "!=", which IEEE would call true.
  if (std::isnan(value)) return false;
  switch (op) {
    case Comparison::kLess:
      return value < threshold;
    case Comparison::kLessOrEqual:
      return value <= threshold;
    case Comparison::kEqual:
      return value == threshold;
    case Comparison::kNotEqual:
      return value != threshold;
    case Comparison::kGreaterOrEqual:
      return value >= threshold;
    case Comparison::kGreater:
      return value > threshold;
  }
  return false;
}

std::string Condition::ToString() const {
  return std::string(OperatorText(op)) + " " + FormatNumber(threshold);
}

bool GateSpec::PerMember() const {
  for (const Placeholder& p : FindPlaceholders(query))
    if (p.name == "member") return true;
  return false;
}

std::string_view DeadlinePolicyName(DeadlinePolicy policy) {
  switch (policy) {
    case DeadlinePolicy::kWait:
      return "wait";
    case DeadlinePolicy::kProceed:
      return "proceed";
    case DeadlinePolicy::kRollback:
      return "rollback";
  }
  return "wait";
}

std::string_view ParamTypeName(ParamType type) {
  switch (type) {
    case ParamType::kString:
      return "string";
    case ParamType::kInteger:
      return "integer";
    case ParamType::kNumber:
      return "number";
    case ParamType::kDuration:
      return "duration";
    case ParamType::kVersion:
      return "version";
    case ParamType::kMember:
      return "member";
    case ParamType::kMembers:
      return "members";
    case ParamType::kCluster:
      return "cluster";
  }
  return "string";
}

std::optional<ParamType> ParseParamType(std::string_view name) {
  for (ParamType t :
       {ParamType::kString, ParamType::kInteger, ParamType::kNumber, ParamType::kDuration,
        ParamType::kVersion, ParamType::kMember, ParamType::kMembers, ParamType::kCluster})
    if (ParamTypeName(t) == name) return t;
  return std::nullopt;
}

std::vector<std::string> Plan::Clusters() const {
  std::vector<std::string> out;
  for (const PlanTarget& t : targets)
    if (std::find(out.begin(), out.end(), t.cluster) == out.end()) out.push_back(t.cluster);
  return out;
}

const StepSpec* Plan::FindStep(const std::string& step) const {
  for (const StepSpec& s : steps)
    if (s.name == step) return &s;
  return nullptr;
}

std::string ResolveQuery(const GateSpec& gate, const std::string& cluster,
                         const std::string& member) {
  std::string resolved;
  std::size_t copied = 0;
  for (const Placeholder& p : FindPlaceholders(gate.query)) {
    if (p.end == std::string_view::npos) break;
    const std::string* value = p.name == "cluster"  ? &cluster
                               : p.name == "member" ? &member
                                                    : nullptr;
    if (!value) continue;  // the loader refuses other placeholders; leave them visible
    resolved.append(gate.query, copied, p.begin - copied);
    resolved += *value;
    copied = p.end;
  }
  resolved.append(gate.query, copied, std::string::npos);
  return resolved;
}

}  // namespace cutover
