// What the traffic generator saw: counts, and every broken session, failed connect and
// stalled session with its time. Written as JSON for the lab's callers (at exit and on
// SIGUSR1) and as a one-line summary for people.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace cutover::traffic {

struct TrafficCounts {
  std::uint64_t sessions_target = 0;  // long-lived sessions the client keeps open
  std::uint64_t sessions_open = 0;    // long-lived sessions established right now
  std::uint64_t sessions_broken = 0;  // reset, closed by the peer, failed or wrong echo
  std::uint64_t sessions_stalled = 0;
  std::uint64_t sessions_ended = 0;  // closed normally at the end of their lifetime
  std::uint64_t connects = 0;        // connect attempts that finished, failed or not
  std::uint64_t connects_failed = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_echoed = 0;  // echoes that came back complete and right
  double echo_latency_max_seconds = 0;
  double echo_latency_sum_seconds = 0;
};

enum class EventKind { kBroken, kConnectFailed, kStalled };
const char* EventKindName(EventKind kind);  // "broken", "connect_failed", "stalled"

struct TrafficEvent {
  EventKind kind;
  std::chrono::system_clock::time_point time;
  double seconds_since_start = 0;
  std::uint64_t session = 0;
  bool long_session = true;
  std::string reason;
};

// Keeps the first max_events events and counts the rest, so a long outage (every
// reconnect refused) cannot grow the client without bound.
class EventLog {
 public:
  explicit EventLog(std::size_t max_events = 100000) : max_events_(max_events) {}
  void Add(TrafficEvent event);
  const std::vector<TrafficEvent>& events() const { return events_; }
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t max_events_;
  std::vector<TrafficEvent> events_;
  std::uint64_t dropped_ = 0;
};

struct ReportContext {
  std::string target;
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point written;
  bool final = false;  // false for a report written on SIGUSR1 while still running
};

std::string ReportJson(const ReportContext& context, const TrafficCounts& counts,
                       const EventLog& log);

// "sessions kept 1000/1000, broken 0, connects 2400 ok / 0 failed, stalled 0"
std::string SummaryLine(const TrafficCounts& counts);

// "2024-05-01T12:00:03.250Z"
std::string FormatTimestamp(std::chrono::system_clock::time_point time);

// Writes through a temporary file and rename, so a reader never sees half a report.
bool WriteFileAtomically(const std::string& path, const std::string& content, std::string* error);

}  // namespace cutover::traffic
