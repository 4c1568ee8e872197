#include "tests/dashboards/dashboard_queries.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <map>
#include <regex>

namespace cutover::dashboards {
namespace {

using Json = rapidjson::Value;

std::string Member(const Json& object, const char* key) {
  if (!object.IsObject()) return "";
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) return "";
  return it->value.GetString();
}

// label_values(cutover_member_up{ha_cluster=~"$ha_cluster"}, member) -> the selector;
// label_values(member) has none; query_result(EXPR) -> EXPR.
std::string VariableExpression(const std::string& query) {
  static const std::regex label_values(R"(^\s*label_values\s*\((.*),\s*\w+\s*\)\s*$)");
  static const std::regex query_result(R"(^\s*query_result\s*\((.*)\)\s*$)");
  std::smatch match;
  if (std::regex_match(query, match, label_values)) return match[1];
  if (std::regex_match(query, match, query_result)) return match[1];
  return "";
}

const Json* ArrayAt(const Json& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsArray()) return nullptr;
  return &it->value;
}

// $name, ${name}, ${name:format} and the deprecated [[name]]; the name is in group 1, 2
// or 3.
const std::regex& VariablePattern() {
  static const std::regex pattern(R"(\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)\]\])");
  return pattern;
}

void AddPanel(const Json& panel, std::vector<DashboardQuery>& out) {
  if (!panel.IsObject()) return;
  std::string where =
      "panel " +
      (panel.HasMember("id") && panel["id"].IsInt() ? std::to_string(panel["id"].GetInt())
                                                    : std::string("?")) +
      " \"" + Member(panel, "title") + "\"";
  if (const Json* targets = ArrayAt(panel, "targets"))
    for (const Json& target : targets->GetArray())
      if (!Member(target, "expr").empty())
        out.push_back({where + " target " + Member(target, "refId"), Member(target, "expr")});
  if (const Json* inner = ArrayAt(panel, "panels"))  // a collapsed row
    for (const Json& p : inner->GetArray()) AddPanel(p, out);
}

}  // namespace

ParseResult<std::vector<DashboardQuery>> ExtractQueries(std::string_view dashboard_json) {
  rapidjson::Document doc;
  doc.Parse(dashboard_json.data(), dashboard_json.size());
  if (doc.HasParseError())
    return ParseResult<std::vector<DashboardQuery>>::Error(
        std::string("dashboard is not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
        " at offset " + std::to_string(doc.GetErrorOffset()));
  const Json* panels = ArrayAt(doc, "panels");
  if (panels == nullptr)
    return ParseResult<std::vector<DashboardQuery>>::Error(
        "dashboard has no \"panels\" array: not a Grafana Classic dashboard model");

  std::vector<DashboardQuery> queries;
  const Json* variables =
      doc.HasMember("templating") ? ArrayAt(doc["templating"], "list") : nullptr;
  if (variables != nullptr)
    for (const Json& variable : variables->GetArray()) {
      if (Member(variable, "type") != "query") continue;
      std::string query = Member(variable, "definition");
      if (query.empty()) query = Member(variable, "query");
      if (query.empty() && variable.HasMember("query") && variable["query"].IsObject())
        query = Member(variable["query"], "query");
      std::string expr = VariableExpression(query);
      if (!expr.empty()) queries.push_back({"variable " + Member(variable, "name"), expr});
    }
  const Json* annotations =
      doc.HasMember("annotations") ? ArrayAt(doc["annotations"], "list") : nullptr;
  if (annotations != nullptr)
    for (const Json& annotation : annotations->GetArray())
      if (!Member(annotation, "expr").empty())
        queries.push_back(
            {"annotation \"" + Member(annotation, "name") + "\"", Member(annotation, "expr")});
  for (const Json& panel : panels->GetArray()) AddPanel(panel, queries);
  return queries;
}

std::set<std::string> ReferencedVariables(std::string_view expr) {
  const std::regex& variable = VariablePattern();
  std::set<std::string> names;
  std::string text(expr);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), variable);
       it != std::sregex_iterator(); ++it)
    for (int group = 1; group <= 3; ++group)
      if ((*it)[group].matched) names.insert((*it)[group]);
  return names;
}

const std::map<std::string, std::string>& BuiltInVariables() {
  static const std::map<std::string, std::string> builtins = {
      {"__rate_interval", "5m"}, {"__interval", "1m"},       {"__range", "1h"},
      {"__range_s", "3600"},     {"__interval_ms", "60000"}, {"__range_ms", "3600000"}};
  return builtins;
}

std::string SubstituteVariables(std::string_view expr) {
  const auto& builtins = BuiltInVariables();
  const std::regex& variable = VariablePattern();
  std::string text(expr);
  std::string result;
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), variable);
       it != std::sregex_iterator(); ++it) {
    std::string name;
    for (int group = 1; group <= 3; ++group)
      if ((*it)[group].matched) name = (*it)[group];
    result.append(text, last, static_cast<std::size_t>(it->position()) - last);
    auto builtin = builtins.find(name);
    if (builtin != builtins.end())
      result += builtin->second;
    else if (name.starts_with("__"))
      result += it->str();  // a built-in this function does not know: leave it visible
    else
      result += ".*";
    last = static_cast<std::size_t>(it->position() + it->length());
  }
  result.append(text, last);
  return result;
}

}  // namespace cutover::dashboards
