// Turns one probe round into the exporter's exposition. Pure: written fresh for every
// scrape so members that vanish leave no stale series, and no timestamps are set.
#pragma once

#include <vector>

#include "common/exposition.h"
#include "exporter/probe_round.h"

namespace cutover {

// A member that is down gets only cutover_member_up 0 and its probe duration: publishing
// zeros for its connections would let a drain gate pass on a member nobody could read.
// Families without samples are left out.
void WriteMemberMetrics(const std::vector<ProbedMember>& round, ExpositionWriter& out);

}  // namespace cutover
