// cutover-dashboard-queries DASHBOARD.json...: prints every PromQL query of the
// dashboards, one per line, as `location<TAB>expression`, with Grafana's variables
// substituted so that Prometheus accepts the expression as it is (every cluster and
// member, $__rate_interval=5m). The lab's end-to-end run queries each one.
#include <fstream>
#include <iostream>
#include <sstream>

#include "tests/dashboards/dashboard_queries.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: cutover-dashboard-queries DASHBOARD.json...\n";
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i]);
    if (!in) {
      std::cerr << argv[i] << ": cannot read the dashboard\n";
      return 1;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto queries = cutover::dashboards::ExtractQueries(text.str());
    if (!queries.ok()) {
      std::cerr << argv[i] << ": " << queries.error() << "\n";
      return 1;
    }
    for (const auto& query : queries.value()) {
      std::string expr = cutover::dashboards::SubstituteVariables(query.expr);
      for (char& c : expr)
        if (c == '\n' || c == '\t') c = ' ';
      std::cout << query.location << '\t' << expr << '\n';
    }
  }
  return 0;
}
