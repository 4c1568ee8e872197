// One round of probes, as run for each scrape: every member is probed concurrently on a
// fixed worker pool, each within the round's deadline. A member that has not answered by
// then is reported down ("probe did not finish") and the round returns on time; its late
// answer is dropped. Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "common/thread_pool.h"
#include "plugins/core/member_set.h"

namespace cutover {

struct ProbedMember {
  const MemberSet::Member* member = nullptr;
  MemberStatus status;
  double duration_seconds = 0;
};

class ProbeRound {
 public:
  ProbeRound(MemberSet& members, int concurrency);
  std::vector<ProbedMember> Run(Duration timeout);

 private:
  MemberSet& members_;
  ThreadPool pool_;
};

}  // namespace cutover
