#include "exporter/probe_round.h"

#include "common/log.h"
#include "exporter/member_metrics.h"

namespace cutover {

struct ProbeRound::InFlight {
  Clock::time_point started;
  Clock::time_point deadline;
  std::vector<ProbedMember> results;
  std::vector<bool> finished;
  std::size_t remaining = 0;
  std::shared_ptr<const CompletedRound> result;  // set once, by Finish
};

ProbeRound::ProbeRound(MemberSet& members, int concurrency)
    : members_(members), pool_(concurrency) {}

std::shared_ptr<const CompletedRound> ProbeRound::Run(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  if (in_flight_ && Clock::now() >= in_flight_->deadline) Finish(*in_flight_);
  std::shared_ptr<InFlight> round = in_flight_ ? in_flight_ : Start(deadline);
  auto done = [&] { return round->result != nullptr; };
  if (round->deadline <= deadline) {
    finished_.wait_until(lock, round->deadline, done);
    if (!round->result) Finish(*round);
    return round->result;
  }
  // The round in flight may run past this caller's deadline.
  if (finished_.wait_until(lock, deadline, done)) return round->result;
  if (last_) return last_;
  auto partial = std::make_shared<CompletedRound>();
  partial->started = round->started;
  for (std::size_t i = 0; i < round->results.size(); ++i)
    if (round->finished[i]) partial->members.push_back(round->results[i]);
  return partial;
}

std::shared_ptr<ProbeRound::InFlight> ProbeRound::Start(Clock::time_point deadline) {
  auto round = std::make_shared<InFlight>();
  const std::size_t n = members_.size();
  round->started = Clock::now();
  round->deadline = deadline;
  round->results.resize(n);
  round->finished.assign(n, false);
  round->remaining = n;
  in_flight_ = round;
  if (n == 0) {
    Finish(*round);
    return round;
  }
  ProbeContext context{deadline, round->started};
  for (std::size_t i = 0; i < n; ++i) {
    round->results[i].member = &members_.at(i);
    pool_.Submit([this, round, context, i] {
      auto began = Clock::now();
      MemberStatus status =
          began >= context.deadline
              ? MemberStatus::Down("not probed: the scrape deadline passed while waiting")
              : members_.Probe(i, context);
      double seconds = std::chrono::duration<double>(Clock::now() - began).count();
      ReplaceInvalidUtf8InLabelValues(status);
      std::lock_guard lock(mutex_);
      if (round->result) return;  // too late: the round was published without it
      round->results[i].status = std::move(status);
      round->results[i].duration_seconds = seconds;
      round->finished[i] = true;
      if (--round->remaining == 0) Finish(*round);
    });
  }
  return round;
}

void ProbeRound::Finish(InFlight& round) {
  if (round.result) return;
  auto result = std::make_shared<CompletedRound>();
  result->started = round.started;
  result->members = std::move(round.results);
  const auto timeout = std::chrono::duration_cast<Duration>(round.deadline - round.started);
  for (std::size_t i = 0; i < result->members.size(); ++i) {
    if (round.finished[i]) continue;
    result->members[i].status =
        MemberStatus::Down("probe did not finish within " + FormatDuration(timeout));
    result->members[i].duration_seconds = std::chrono::duration<double>(timeout).count();
  }
  // Once per round, however many scrapes publish it.
  for (const ProbedMember& probed : result->members) {
    if (probed.status.error.empty()) continue;
    log::Warn(probed.status.up ? "member answered with a problem" : "member probe failed",
              {{"ha_cluster", probed.member->config.cluster},
               {"member", probed.member->config.name},
               {"err", probed.status.error}});
  }
  round.result = result;
  if (in_flight_.get() == &round) in_flight_.reset();
  if (!last_ || last_->started <= result->started) last_ = result;
  finished_.notify_all();
}

}  // namespace cutover
