#include "lab/traffic/traffic_metrics.h"

#include <charconv>

#include "common/exposition.h"

namespace cutover::traffic {
namespace {

// "0.0005" as client libraries write it, not the shortest "5e-04": le values are matched
// as strings in queries and dashboards.
std::string FormatBound(double bound) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, bound, std::chars_format::fixed);
  return std::string(buffer, end);
}

}  // namespace

void LatencyHistogram::Observe(double seconds) {
  ++count_;
  sum_ += seconds;
  for (std::size_t i = 0; i < kBounds.size(); ++i) {
    if (seconds <= kBounds[i]) {
      ++buckets_[i];
      return;
    }
  }
}

std::uint64_t LatencyHistogram::CumulativeCount(std::size_t i) const {
  std::uint64_t total = 0;
  for (std::size_t b = 0; b <= i && b < buckets_.size(); ++b) total += buckets_[b];
  return total;
}

std::string RenderTrafficMetrics(const TrafficCounts& counts, const LatencyHistogram& latency) {
  ExpositionWriter w;
  auto one = [&w](std::string_view name, std::string_view help, std::string_view type,
                  double value) {
    w.Family(name, help, type);
    w.Sample(name, {}, value);
  };
  auto d = [](std::uint64_t value) { return static_cast<double>(value); };
  one("cutover_traffic_sessions_target", "Long-lived sessions the client keeps open.", "gauge",
      d(counts.sessions_target));
  one("cutover_traffic_sessions_open", "Long-lived sessions established now.", "gauge",
      d(counts.sessions_open));
  one("cutover_traffic_sessions_broken_total",
      "Sessions reset, closed by the peer, failed or echoed wrong mid-session.", "counter",
      d(counts.sessions_broken));
  one("cutover_traffic_sessions_stalled_total",
      "Sessions that waited longer than the stall timeout for an echo (once per session).",
      "counter", d(counts.sessions_stalled));
  one("cutover_traffic_sessions_ended_total",
      "Long-lived sessions closed normally at the end of their lifetime, then replaced.", "counter",
      d(counts.sessions_ended));
  one("cutover_traffic_connects_total", "Connect attempts that finished, successful or not.",
      "counter", d(counts.connects));
  one("cutover_traffic_connects_failed_total",
      "Connect attempts that timed out, were refused or failed.", "counter",
      d(counts.connects_failed));
  one("cutover_traffic_messages_total", "Messages whose echo came back complete and right.",
      "counter", d(counts.messages_echoed));

  constexpr std::string_view kLatency = "cutover_traffic_echo_latency_seconds";
  w.Family(kLatency, "Time from sending a message to receiving its whole echo.", "histogram");
  for (std::size_t i = 0; i < LatencyHistogram::kBounds.size(); ++i) {
    std::string bound = FormatBound(LatencyHistogram::kBounds[i]);
    w.Sample("cutover_traffic_echo_latency_seconds_bucket", {{"le", bound}},
             d(latency.CumulativeCount(i)));
  }
  w.Sample("cutover_traffic_echo_latency_seconds_bucket", {{"le", "+Inf"}}, d(latency.count()));
  w.Sample("cutover_traffic_echo_latency_seconds_sum", {}, latency.sum());
  w.Sample("cutover_traffic_echo_latency_seconds_count", {}, d(latency.count()));
  return std::move(w.text());
}

void TrafficMetrics::Publish(const TrafficCounts& counts, const LatencyHistogram& latency) {
  std::lock_guard<std::mutex> lock(mutex_);
  counts_ = counts;
  latency_ = latency;
}

std::string TrafficMetrics::Render() const {
  TrafficCounts counts;
  LatencyHistogram latency;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    counts = counts_;
    latency = latency_;
  }
  return RenderTrafficMetrics(counts, latency);
}

}  // namespace cutover::traffic
