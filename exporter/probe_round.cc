#include "exporter/probe_round.h"

#include <condition_variable>
#include <mutex>

namespace cutover {
namespace {

// Outlives Run() when a probe finishes after the deadline: late tasks write here.
struct RoundState {
  std::mutex mutex;
  std::condition_variable done;
  std::vector<ProbedMember> results;
  std::vector<bool> finished;
  std::size_t remaining = 0;
};

}  // namespace

ProbeRound::ProbeRound(MemberSet& members, int concurrency)
    : members_(members), pool_(concurrency) {}

std::vector<ProbedMember> ProbeRound::Run(Duration timeout) {
  auto state = std::make_shared<RoundState>();
  const std::size_t n = members_.size();
  state->results.resize(n);
  state->finished.assign(n, false);
  state->remaining = n;
  auto start = std::chrono::steady_clock::now();
  ProbeContext context{start + timeout, start};

  for (std::size_t i = 0; i < n; ++i) {
    state->results[i].member = &members_.at(i);
    pool_.Submit([this, state, context, i] {
      auto began = std::chrono::steady_clock::now();
      MemberStatus status =
          began >= context.deadline
              ? MemberStatus::Down("not probed: the scrape deadline passed while waiting")
              : members_.Probe(i, context);
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::lock_guard lock(state->mutex);
      state->results[i].status = std::move(status);
      state->results[i].duration_seconds = seconds;
      state->finished[i] = true;
      if (--state->remaining == 0) state->done.notify_all();
    });
  }

  std::unique_lock lock(state->mutex);
  state->done.wait_until(lock, context.deadline, [&] { return state->remaining == 0; });
  std::vector<ProbedMember> results = state->results;
  for (std::size_t i = 0; i < n; ++i) {
    if (state->finished[i]) continue;
    results[i].status =
        MemberStatus::Down("probe did not finish within " + FormatDuration(timeout));
    results[i].duration_seconds = std::chrono::duration<double>(timeout).count();
  }
  return results;
}

}  // namespace cutover
