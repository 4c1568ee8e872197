// Probe rounds shared by concurrent scrapes (single-flight). A round probes every member
// concurrently on a fixed worker pool within the deadline of the scrape that started it;
// a member that has not answered by then is down ("probe did not finish") and its late
// answer is dropped. While a round runs, no other starts: every member is held by at most
// one round, so one scrape never makes a member look busy, and so down, to another.
//
// A scrape arriving during a round joins it when the round's deadline falls within its
// own. Otherwise it waits for the round up to its own deadline and, if the round is still
// running then, publishes the last complete round instead (its age is published); before
// any round has completed, it publishes the members the running round has answered for.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "common/thread_pool.h"
#include "plugins/core/member_set.h"

namespace cutover {

struct ProbedMember {
  const MemberSet::Member* member = nullptr;
  MemberStatus status;
  double duration_seconds = 0;
};

// What a scrape publishes. Immutable once made; shared by the scrapes that publish it.
struct CompletedRound {
  std::chrono::steady_clock::time_point started;
  // In member order. Only when a round is served before it completed (none has yet) are
  // the members it has not answered for left out: no figure rather than a guessed one.
  std::vector<ProbedMember> members;
};

class ProbeRound {
 public:
  using Clock = std::chrono::steady_clock;

  ProbeRound(MemberSet& members, int concurrency);
  // Returns by `deadline` (the caller's own), with the round to publish.
  std::shared_ptr<const CompletedRound> Run(Clock::time_point deadline);

 private:
  struct InFlight;
  std::shared_ptr<InFlight> Start(Clock::time_point deadline);
  // With mutex_ held: makes the round's result, reporting unfinished members down, and
  // makes it the last complete round.
  void Finish(InFlight& round);

  MemberSet& members_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::shared_ptr<InFlight> in_flight_;
  std::shared_ptr<const CompletedRound> last_;
  // Last: destroyed first, so tasks still running find everything above.
  ThreadPool pool_;
};

}  // namespace cutover
