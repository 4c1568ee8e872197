#include "lab/traffic/traffic_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cutover::traffic {
namespace {

using ::testing::HasSubstr;

TEST(TrafficMetrics, EveryFigureIsOneUnlabelledSeries) {
  TrafficCounts counts;
  counts.sessions_target = 1000;
  counts.sessions_open = 998;
  counts.sessions_broken = 2;
  counts.sessions_stalled = 1;
  counts.sessions_ended = 5;
  counts.connects = 2403;
  counts.connects_failed = 3;
  counts.messages_echoed = 4990;
  std::string text = RenderTrafficMetrics(counts, LatencyHistogram{});
  EXPECT_THAT(text, HasSubstr("# TYPE cutover_traffic_sessions_open gauge\n"
                              "cutover_traffic_sessions_open 998\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover_traffic_sessions_target 1000\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE cutover_traffic_sessions_broken_total counter\n"
                              "cutover_traffic_sessions_broken_total 2\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover_traffic_sessions_stalled_total 1\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover_traffic_sessions_ended_total 5\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover_traffic_connects_total 2403\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover_traffic_connects_failed_total 3\n"));
  EXPECT_THAT(text, HasSubstr("\ncutover_traffic_messages_total 4990\n"));
  EXPECT_THAT(text, Not(HasSubstr("session=\""))) << "one series per session would explode";
}

TEST(TrafficMetrics, LatencyIsACumulativeHistogram) {
  LatencyHistogram latency;
  latency.Observe(0.25);  // on a bound: counted in it (le means <=)
  latency.Observe(2);
  latency.Observe(2);
  latency.Observe(30);  // beyond the last bound: only +Inf
  std::string text = RenderTrafficMetrics(TrafficCounts{}, latency);
  EXPECT_THAT(text, HasSubstr("# TYPE cutover_traffic_echo_latency_seconds histogram\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"0.0005\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"0.25\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"2.5\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"10\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"+Inf\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_sum 34.25\n"));
  EXPECT_THAT(text, HasSubstr("cutover_traffic_echo_latency_seconds_count 4\n"));
}

TEST(TrafficMetrics, ScrapesSeeTheLastPublishedFigures) {
  TrafficMetrics metrics;
  TrafficCounts counts;
  counts.sessions_open = 200;
  metrics.Publish(counts, LatencyHistogram{});
  EXPECT_THAT(metrics.Render(), HasSubstr("\ncutover_traffic_sessions_open 200\n"));
}

}  // namespace
}  // namespace cutover::traffic
