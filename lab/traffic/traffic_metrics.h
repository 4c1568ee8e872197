// The traffic generator's figures for Prometheus. Nothing is labelled by session, so the
// series count stays fixed however many sessions run.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>

#include "lab/traffic/traffic_report.h"

namespace cutover::traffic {

// Echo round-trip times as a Prometheus histogram (cumulative buckets). Not thread-safe.
class LatencyHistogram {
 public:
  static constexpr std::array<double, 14> kBounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                  0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  void Observe(double seconds);
  // Observations <= kBounds[i]; the +Inf bucket is count().
  std::uint64_t CumulativeCount(std::size_t i) const;
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::array<std::uint64_t, kBounds.size()> buckets_{};  // not cumulative
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// The text exposition of every cutover_traffic_* series.
std::string RenderTrafficMetrics(const TrafficCounts& counts, const LatencyHistogram& latency);

// The latest figures, published by the client's loop and read by the HTTP server's threads.
// Thread-safe.
class TrafficMetrics {
 public:
  void Publish(const TrafficCounts& counts, const LatencyHistogram& latency);
  std::string Render() const;

 private:
  mutable std::mutex mutex_;
  TrafficCounts counts_;
  LatencyHistogram latency_;
};

}  // namespace cutover::traffic
