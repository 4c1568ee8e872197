// Turns one probe round into the exporter's metric families. Pure: built fresh for every
// scrape so members that vanish leave no stale series, and no timestamps are set.
#pragma once

#include <prometheus/metric_family.h>

#include <vector>

#include "exporter/probe_round.h"

namespace cutover {

// A member that is down gets only cutover_member_up 0 and its probe duration: publishing
// zeros for its connections would let a drain gate pass on a member nobody could read.
std::vector<prometheus::MetricFamily> MemberMetricFamilies(const std::vector<ProbedMember>& round);

// cutover_build_info{version,revision,compiler} 1
prometheus::MetricFamily BuildInfoFamily();

}  // namespace cutover
