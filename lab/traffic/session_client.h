// The traffic generator's client: keeps N long-lived TCP sessions to the echo server, each
// sending a message every interval and checking its echo, and opens short sessions (connect,
// a message or a few, close) at a steady rate. Every broken session, failed connect and
// stalled session becomes a timestamped event. One epoll thread; not thread-safe except
// through TrafficMetrics, which it publishes to.
#pragma once

#include <chrono>
#include <cstdint>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/duration.h"
#include "lab/traffic/echo_message.h"
#include "lab/traffic/session_lifetime.h"
#include "lab/traffic/socket_address.h"
#include "lab/traffic/traffic_metrics.h"
#include "lab/traffic/traffic_report.h"

namespace cutover::traffic {

struct ClientOptions {
  std::string target_text;  // as given, for the report
  SocketAddress target;
  std::uint64_t sessions = 1000;
  // Long sessions opened per second, at the start and when replacing ended or broken ones,
  // so the SYN burst does not overflow the server's (or a firewall's) backlog.
  double open_rate = 200;
  double short_rate = 20;  // short sessions per second; 0 for none
  std::uint64_t short_messages = 1;
  Duration message_interval{1000};
  Duration stall_timeout{3000};
  Duration connect_timeout{2000};
  // TCP_USER_TIMEOUT: the kernel aborts a session whose sent data stays unacknowledged this
  // long, so a session a firewall silently drops is reported broken, not only stalled.
  // 0 keeps the kernel's retransmission limit (minutes).
  Duration tcp_user_timeout{0};
  SessionLifetime lifetime = SessionLifetime::Forever();
  Duration summary_interval{10000};  // 0: only at exit
  Duration duration{0};              // 0: until SIGTERM or SIGINT
  std::string report_file;           // "" for none
};

class SessionClient {
 public:
  // metrics may be null (no --metrics-listen).
  SessionClient(ClientOptions options, TrafficMetrics* metrics);
  ~SessionClient();
  SessionClient(const SessionClient&) = delete;
  SessionClient& operator=(const SessionClient&) = delete;

  // Runs until the duration is over or signal_fd (a signalfd) delivers SIGTERM or SIGINT;
  // SIGUSR1 writes the report and carries on. Writes the final report and prints the
  // summary before returning, also after a failure. False when it could not run (*error says
  // why).
  bool Run(int signal_fd, std::string* error);

 private:
  using Clock = std::chrono::steady_clock;
  enum class State { kConnecting, kOpen, kClosing };
  enum class TimerKind { kConnectDeadline, kSend, kStallCheck, kLifetimeEnd };

  struct Session {
    std::uint64_t id = 0;
    bool long_lived = true;
    int fd = -1;
    State state = State::kConnecting;
    EchoTracker echo;
    std::uint64_t next_sequence = 1;
    std::uint64_t messages_left = 0;  // short sessions: messages still to send
    std::string unsent;               // bytes the socket buffer could not take yet
    bool stall_timer_pending = false;
    bool stalled = false;  // reported once; a session that recovers is not reported again
    bool stall_recovered = false;
    bool writable_watched = false;
  };
  struct Timer {
    Clock::time_point when;
    std::uint64_t session;
    TimerKind kind;
    bool operator>(const Timer& other) const { return when > other.when; }
  };

  void OpenSession(bool long_lived, Clock::time_point now);
  void OpenDueSessions(Clock::time_point now);
  void RunDueTimers(Clock::time_point now);
  void OnTimer(Session& session, TimerKind kind, Clock::time_point now);
  void OnEvents(Session& session, unsigned events, Clock::time_point now);
  void OnConnected(Session& session, Clock::time_point now);
  void OnReadable(Session& session, Clock::time_point now);
  void SendMessage(Session& session, Clock::time_point now);
  void Flush(Session& session, Clock::time_point now);
  void CheckStall(Session& session, Clock::time_point now);
  void ConnectFailed(Session& session, const std::string& reason, Clock::time_point now);
  void Broken(Session& session, const std::string& reason, Clock::time_point now);
  void CloseNormally(Session& session);
  void Remove(Session& session);
  void Record(EventKind kind, const Session& session, const std::string& reason,
              Clock::time_point now);
  void AddTimer(Clock::time_point when, const Session& session, TimerKind kind);
  void Watch(Session& session, bool writable, bool add);
  bool HandleSignals(int signal_fd);  // false on SIGTERM/SIGINT
  void WriteReport(bool final);
  void PrintSummary();

  ClientOptions options_;
  TrafficMetrics* metrics_;
  int epoll_fd_ = -1;
  std::mt19937_64 random_;
  std::unordered_map<std::uint64_t, Session> sessions_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  std::uint64_t next_session_id_ = 1;
  std::uint64_t long_sessions_ = 0;  // connecting or established
  Clock::time_point started_;
  std::chrono::system_clock::time_point started_wall_;
  Clock::time_point next_long_open_;
  Clock::time_point next_short_open_;
  TrafficCounts counts_;
  LatencyHistogram latency_;
  EventLog events_;
  std::uint64_t events_logged_ = 0;
};

}  // namespace cutover::traffic
