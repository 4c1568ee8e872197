#include "exporter/member_metrics.h"

#include <functional>
#include <optional>

#include "common/strings.h"

namespace cutover {
namespace {

// One family of per-member series. `value` returns nullopt where the member has no
// sample; it is asked only for members that are up unless `for_down_members` is set.
struct MemberFamily {
  std::string_view name;
  std::string_view help;
  std::string_view type;
  bool for_down_members;
  std::function<std::optional<double>(const ProbedMember&)> value;
};

void WriteFamily(const std::vector<ProbedMember>& round, const MemberFamily& family,
                 ExpositionWriter& out) {
  bool started = false;
  for (const ProbedMember& probed : round) {
    if (!probed.status.up && !family.for_down_members) continue;
    std::optional<double> value = family.value(probed);
    if (!value) continue;
    if (!started) out.Family(family.name, family.help, family.type);
    started = true;
    out.MemberSample(family.name, probed.member->config.cluster, probed.member->config.name,
                     *value);
  }
}

std::optional<double> Flag(const std::optional<bool>& flag) {
  if (!flag) return std::nullopt;
  return *flag ? 1.0 : 0.0;
}

}  // namespace

void ReplaceInvalidUtf8InLabelValues(MemberStatus& status) {
  for (auto [name, value] : {std::pair{"version", &status.version}, std::pair{"role", &status.role},
                             std::pair{"config_digest", &status.config_digest}}) {
    if (IsValidUtf8(*value)) continue;
    *value = ReplaceInvalidUtf8(*value);
    status.error += std::string(status.error.empty() ? "" : "; ") + name +
                    " is not valid UTF-8: published as '" + *value +
                    "' with U+FFFD for the invalid bytes";
  }
}

void WriteMemberMetrics(const std::vector<ProbedMember>& round, ExpositionWriter& out) {
  const MemberFamily simple[] = {
      {"cutover_member_up",
       "1 if the member's last probe succeeded, 0 if it was unreachable, slow or printed "
       "something the driver could not read.",
       "gauge", true, [](const ProbedMember& p) { return std::optional(p.status.up ? 1.0 : 0.0); }},
      {"cutover_member_connections",
       "Connections the member carries now, as its platform counts them.", "gauge", false,
       [](const ProbedMember& p) { return p.status.connections; }},
      {"cutover_member_sync_ok",
       "1 if the member's state sync is healthy, 0 if not; absent for platforms without state "
       "sync.",
       "gauge", false, [](const ProbedMember& p) { return Flag(p.status.sync.ok); }},
      {"cutover_member_accepting_new_connections",
       "1 if the member takes new connections now, 0 if it only keeps existing ones or none.",
       "gauge", false,
       [](const ProbedMember& p) { return Flag(p.status.accepting_new_connections); }},
      {"cutover_member_forwarded_packets_total",
       "Packets the member forwarded, from its own counter (linux-fw: the nftables counter "
       "forwarded_counter names); absent where the driver reads none.",
       "counter", false, [](const ProbedMember& p) { return p.status.forwarded_packets; }},
      {"cutover_member_forwarded_bytes_total",
       "Bytes the member forwarded, from the same counter as "
       "cutover_member_forwarded_packets_total.",
       "counter", false, [](const ProbedMember& p) { return p.status.forwarded_bytes; }},
      {"cutover_member_invalid_state_drops_total",
       "Packets the member dropped because they matched no connection state (linux-fw: the "
       "nftables counter invalid_counter names, on ct state invalid drops): a rise during a "
       "role move counts packets of sessions the move broke.",
       "counter", false, [](const ProbedMember& p) { return p.status.invalid_state_drops; }},
      {"cutover_probe_duration_seconds", "How long the member's probe took in this scrape.",
       "gauge", true, [](const ProbedMember& p) { return std::optional(p.duration_seconds); }},
  };
  for (const MemberFamily& family : simple) WriteFamily(round, family, out);

  // Families whose series carry a label beyond ha_cluster and member.
  bool started = false;
  for (const ProbedMember& p : round) {
    if (!p.status.up) continue;
    if (!started)
      out.Family("cutover_member_info", "Software version and driver of the member; always 1.",
                 "gauge");
    started = true;
    out.MemberSample("cutover_member_info", p.member->config.cluster, p.member->config.name, 1,
                     {"version", p.status.version}, {"driver", p.member->descriptor->name});
  }
  started = false;
  for (const ProbedMember& p : round) {
    if (!p.status.up) continue;
    for (const std::string& role : p.member->descriptor->roles) {
      if (!started)
        out.Family("cutover_member_role",
                   "1 for the member's current role, 0 for the other roles its driver knows.",
                   "gauge");
      started = true;
      out.MemberSample("cutover_member_role", p.member->config.cluster, p.member->config.name,
                       role == p.status.role ? 1 : 0, {"role", role});
    }
  }
  started = false;
  for (const ProbedMember& p : round) {
    if (!p.status.up || p.status.config_digest.empty()) continue;
    if (!started)
      out.Family("cutover_member_config_info",
                 "Digest of the member's configuration; a new digest means its configuration "
                 "changed. Always 1.",
                 "gauge");
    started = true;
    out.MemberSample("cutover_member_config_info", p.member->config.cluster, p.member->config.name,
                     1, {"digest", p.status.config_digest});
  }

  for (const SyncMetricInfo& info : AllSyncMetrics()) {
    SyncMetric metric = info.metric;
    WriteFamily(round,
                {info.name, info.help, info.is_counter ? "counter" : "gauge", false,
                 [metric](const ProbedMember& p) -> std::optional<double> {
                   auto it = p.status.sync.values.find(metric);
                   if (it == p.status.sync.values.end()) return std::nullopt;
                   return it->second;
                 }},
                out);
  }
}

}  // namespace cutover
