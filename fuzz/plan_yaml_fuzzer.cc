// An upgrade plan as an operator writes it, validated against the example clusters
// (examples/cutover.yml and examples/lab/*.yml) and the built-in drivers.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "actions/plan/plan_loader.h"
#include "fuzz/fuzz_credentials.h"
#include "plugins/builtin_drivers.h"

namespace {

struct Clusters {
  cutover::DriverRegistry registry;
  cutover::CutoverConfig config;
};

const Clusters& ExampleClusters() {
  static const Clusters* clusters = [] {
    auto* c = new Clusters;
    cutover::RegisterBuiltinDrivers(c->registry);
    cutover::fuzz::WriteFuzzCredentials();
    for (const char* file : {"examples/cutover.yml", "examples/lab/cutover.yml",
                             "examples/lab/cutover-loadshare.yml"}) {
      std::ifstream in(std::string(CUTOVER_SOURCE_DIR) + "/" + file);
      std::stringstream text;
      text << in.rdbuf();
      auto loaded = cutover::LoadConfigString(cutover::fuzz::WithFuzzCredentials(text.str()), file,
                                              c->registry);
      if (!loaded.ok()) {
        std::fprintf(stderr, "plan_yaml_fuzzer: %s\n", loaded.ErrorText().c_str());
        std::abort();  // the examples changed: the plans would be checked against nothing
      }
      for (auto& cluster : loaded.config.clusters) c->config.clusters.push_back(cluster);
    }
    return c;
  }();
  return *clusters;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Clusters& clusters = ExampleClusters();
  std::string yaml(reinterpret_cast<const char*>(data), size);
  auto loaded = cutover::LoadPlanString(yaml, "plan.yaml", clusters.config, clusters.registry);
  loaded.ErrorText();
  if (!loaded.ok() || loaded.plan.params.empty()) return 0;
  // A start with values an operator might type, hostile ones included: every parameter
  // gets the same value, so PromQL escaping and shell quoting see each of them.
  for (const char* value :
       {"fw1", "10", "10m", "fw1,fw2", "a\"} or vector(1) or up{x=\"\\", "'; rm -rf / #", ""}) {
    cutover::ParamValues params;
    for (const auto& p : loaded.plan.params) params[p.name] = value;
    cutover::InstantiatePlan(loaded.plan, params, clusters.config, clusters.registry).ErrorText();
  }
  return 0;
}
