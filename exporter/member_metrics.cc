#include "exporter/member_metrics.h"

#include <map>

#include "common/build_info.h"

namespace cutover {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily family;
  family.name = std::move(name);
  family.help = std::move(help);
  family.type = type;
  return family;
}

ClientMetric Sample(const ProbedMember& probed, double value,
                    std::vector<ClientMetric::Label> extra = {}, bool counter = false) {
  ClientMetric metric;
  metric.label.reserve(2 + extra.size());
  metric.label.push_back({"ha_cluster", probed.member->config.cluster});
  metric.label.push_back({"member", probed.member->config.name});
  for (auto& label : extra) metric.label.push_back(std::move(label));
  if (counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

}  // namespace

std::vector<MetricFamily> MemberMetricFamilies(const std::vector<ProbedMember>& round) {
  MetricFamily up = Family("cutover_member_up",
                           "1 if the member's last probe succeeded, 0 if it was unreachable, "
                           "slow or printed something the driver could not read.",
                           MetricType::Gauge);
  MetricFamily connections =
      Family("cutover_member_connections",
             "Connections the member carries now, as its platform counts them.",
             MetricType::Gauge);
  MetricFamily info = Family("cutover_member_info",
                             "Software version and driver of the member; always 1.",
                             MetricType::Gauge);
  MetricFamily role = Family("cutover_member_role",
                             "1 for the member's current role, 0 for the other roles its driver "
                             "knows.",
                             MetricType::Gauge);
  MetricFamily sync_ok = Family("cutover_member_sync_ok",
                                "1 if the member's state sync is healthy, 0 if not; absent for "
                                "platforms without state sync.",
                                MetricType::Gauge);
  MetricFamily accepting =
      Family("cutover_member_accepting_new_connections",
             "1 if the member takes new connections now, 0 if it only keeps existing ones or "
             "none.",
             MetricType::Gauge);
  MetricFamily config_info = Family("cutover_member_config_info",
                                    "Digest of the member's configuration; a new digest means "
                                    "its configuration changed. Always 1.",
                                    MetricType::Gauge);
  MetricFamily duration = Family("cutover_probe_duration_seconds",
                                 "How long the member's probe took in this scrape.",
                                 MetricType::Gauge);
  std::map<SyncMetric, MetricFamily> sync_families;
  for (const SyncMetricInfo& s : AllSyncMetrics()) {
    sync_families.emplace(s.metric,
                          Family(std::string(s.name), std::string(s.help),
                                 s.is_counter ? MetricType::Counter : MetricType::Gauge));
  }

  for (const ProbedMember& probed : round) {
    const MemberStatus& status = probed.status;
    up.metric.push_back(Sample(probed, status.up ? 1 : 0));
    duration.metric.push_back(Sample(probed, probed.duration_seconds));
    if (!status.up) continue;
    if (status.connections) connections.metric.push_back(Sample(probed, *status.connections));
    info.metric.push_back(Sample(probed, 1,
                                 {{"version", status.version},
                                  {"driver", probed.member->descriptor->name}}));
    for (const std::string& known : probed.member->descriptor->roles)
      role.metric.push_back(Sample(probed, known == status.role ? 1 : 0, {{"role", known}}));
    if (status.sync.ok) sync_ok.metric.push_back(Sample(probed, *status.sync.ok ? 1 : 0));
    for (const auto& [metric, value] : status.sync.values) {
      bool counter = sync_families.at(metric).type == MetricType::Counter;
      sync_families.at(metric).metric.push_back(Sample(probed, value, {}, counter));
    }
    if (status.accepting_new_connections)
      accepting.metric.push_back(Sample(probed, *status.accepting_new_connections ? 1 : 0));
    if (!status.config_digest.empty())
      config_info.metric.push_back(Sample(probed, 1, {{"digest", status.config_digest}}));
  }

  std::vector<MetricFamily> families;
  families.reserve(8 + sync_families.size());
  for (MetricFamily* f : {&up, &connections, &info, &role, &sync_ok, &accepting, &config_info,
                          &duration})
    families.push_back(std::move(*f));
  for (auto& [metric, family] : sync_families) families.push_back(std::move(family));
  return families;
}

MetricFamily BuildInfoFamily() {
  MetricFamily family = Family("cutover_build_info",
                               "Version, revision and compiler cutover was built from; always 1.",
                               MetricType::Gauge);
  ClientMetric metric;
  metric.label = {{"version", build_info::kVersion},
                  {"revision", build_info::kRevision},
                  {"compiler", build_info::kCompiler}};
  metric.gauge.value = 1;
  family.metric.push_back(metric);
  return family;
}

}  // namespace cutover
