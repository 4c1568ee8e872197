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

// Prometheus refuses a whole scrape over one label value that is not UTF-8, so the values
// a member reports for labels (version, role, digest) are made valid: bad bytes become
// U+FFFD and status.error says which value it was, for the log.
void ReplaceInvalidUtf8InLabelValues(MemberStatus& status);

}  // namespace cutover
