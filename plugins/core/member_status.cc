#include "plugins/core/member_status.h"

namespace cutover {

const std::vector<SyncMetricInfo>& AllSyncMetrics() {
  static const std::vector<SyncMetricInfo> all = {
      {SyncMetric::kLostMessages, "cutover_member_sync_lost_messages_total",
       "State-sync messages or updates the member reports lost.", true},
      {SyncMetric::kMalformedMessages, "cutover_member_sync_malformed_messages_total",
       "State-sync messages the member rejected as malformed.", true},
      {SyncMetric::kSentMessages, "cutover_member_sync_sent_messages_total",
       "State-sync messages the member sent.", true},
      {SyncMetric::kReceivedMessages, "cutover_member_sync_received_messages_total",
       "State-sync messages the member received.", true},
      {SyncMetric::kRetransmissions, "cutover_member_sync_retransmissions_total",
       "State-sync retransmission requests the member sent or answered.", true},
      {SyncMetric::kInternalCacheEntries, "cutover_member_sync_internal_cache_entries",
       "Connection states the member holds for its own traffic (conntrackd internal cache).",
       false},
      {SyncMetric::kExternalCacheEntries, "cutover_member_sync_external_cache_entries",
       "Connection states the member holds on behalf of its peers, ready to take over "
       "(conntrackd external cache).",
       false},
  };
  return all;
}

}  // namespace cutover
