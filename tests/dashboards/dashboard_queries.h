// The PromQL a Grafana Classic dashboard sends to Prometheus, read from its JSON: panel
// targets, annotation queries and query variables. Tests check these offline (promtool)
// and the lab's end-to-end run checks that each returns data.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_result.h"

namespace cutover::dashboards {

struct DashboardQuery {
  std::string location;  // for messages: `panel 3 "Versions per member" target A`
  std::string expr;      // as written, with Grafana's variables
};

// Every expression in the dashboard, in document order. For a query variable
// (`label_values(SELECTOR, label)`) the expression is its SELECTOR, or the metric
// expression of `query_result(EXPR)`. An error names what is malformed.
ParseResult<std::vector<DashboardQuery>> ExtractQueries(std::string_view dashboard_json);

// Names of the variables an expression uses ($name, ${name}, ${name:format}, [[name]]),
// Grafana's built-ins ($__rate_interval, ...) included.
std::set<std::string> ReferencedVariables(std::string_view expr);

// Grafana's built-in variables this file knows, with the value SubstituteVariables gives
// each: $__rate_interval=5m, $__interval=1m, $__range=1h and their _s/_ms forms.
const std::map<std::string, std::string>& BuiltInVariables();

// The expression as Prometheus would receive it, with every dashboard variable set to
// "all" (.*) and Grafana's built-ins set to the values above, which suit a lab run.
// Built-ins it does not know stay as they are, so the result fails to parse.
std::string SubstituteVariables(std::string_view expr);

}  // namespace cutover::dashboards
