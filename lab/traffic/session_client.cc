#include "lab/traffic/session_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/log.h"

namespace cutover::traffic {
namespace {

// epoll data for the signal descriptor; session ids start at 1.
constexpr std::uint64_t kSignalTag = 0;
constexpr std::size_t kReadChunk = 16 * 1024;
// Events beyond this many go to the report only, so an outage does not flood the log.
constexpr std::uint64_t kMaxLoggedEvents = 200;

std::string SocketError(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  return error == 0 ? "unknown socket error" : std::strerror(error);
}

std::string Seconds(std::chrono::steady_clock::duration duration) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3fs", std::chrono::duration<double>(duration).count());
  return buffer;
}

std::chrono::steady_clock::duration PerSecond(double rate) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / rate));
}

}  // namespace

SessionClient::SessionClient(ClientOptions options, TrafficMetrics* metrics)
    : options_(std::move(options)), metrics_(metrics), random_(std::random_device{}()) {
  counts_.sessions_target = options_.sessions;
}

SessionClient::~SessionClient() {
  for (auto& [id, session] : sessions_) close(session.fd);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool SessionClient::Run(int signal_fd, std::string* error) {
  error->clear();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    *error = std::string("cannot create an epoll instance: ") + std::strerror(errno);
    return false;
  }
  epoll_event signal_event{};
  signal_event.events = EPOLLIN;
  signal_event.data.u64 = kSignalTag;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, signal_fd, &signal_event);

  started_ = Clock::now();
  started_wall_ = std::chrono::system_clock::now();
  next_long_open_ = started_;
  next_short_open_ = started_;
  Clock::time_point next_summary = started_ + options_.summary_interval;
  Clock::time_point end = started_ + options_.duration;
  std::vector<epoll_event> events(512);
  bool running = true;
  while (running) {
    Clock::time_point now = Clock::now();
    RunDueTimers(now);
    OpenDueSessions(now);
    if (options_.summary_interval.count() > 0 && now >= next_summary) {
      PrintSummary();
      next_summary += options_.summary_interval;
      if (next_summary <= now) next_summary = now + options_.summary_interval;
    }
    if (metrics_ != nullptr) metrics_->Publish(counts_, latency_);
    if (options_.duration.count() > 0 && now >= end) break;

    Clock::time_point wake = now + std::chrono::seconds(1);
    if (!timers_.empty()) wake = std::min(wake, timers_.top().when);
    if (long_sessions_ < options_.sessions) wake = std::min(wake, next_long_open_);
    if (options_.short_rate > 0) wake = std::min(wake, next_short_open_);
    if (options_.summary_interval.count() > 0) wake = std::min(wake, next_summary);
    if (options_.duration.count() > 0) wake = std::min(wake, end);
    // Rounded up: waking a little late is harmless, waking early spins.
    auto timeout =
        std::chrono::ceil<std::chrono::milliseconds>(std::max(wake - now, Clock::duration{0}));
    int n = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                       static_cast<int>(timeout.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = std::string("epoll_wait failed: ") + std::strerror(errno);
      break;
    }
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      std::uint64_t id = events[static_cast<std::size_t>(i)].data.u64;
      if (id == kSignalTag) {
        running = HandleSignals(signal_fd) && running;
        continue;
      }
      // A session removed earlier in this batch is gone; its events are stale.
      auto it = sessions_.find(id);
      if (it != sessions_.end())
        OnEvents(it->second, events[static_cast<std::size_t>(i)].events, now);
    }
  }
  for (auto& [id, session] : sessions_) close(session.fd);
  sessions_.clear();
  // Also after a failure: callers read what was seen up to then.
  WriteReport(true);
  PrintSummary();
  return error->empty();
}

bool SessionClient::HandleSignals(int signal_fd) {
  bool keep_running = true;
  signalfd_siginfo info{};
  while (read(signal_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
    if (info.ssi_signo == SIGUSR1) {
      WriteReport(false);
      PrintSummary();
    } else {
      keep_running = false;
    }
  }
  return keep_running;
}

void SessionClient::OpenDueSessions(Clock::time_point now) {
  if (long_sessions_ >= options_.sessions) {
    // Replacements for sessions that end later start from then, not in a catch-up burst.
    next_long_open_ = std::max(next_long_open_, now);
  }
  while (long_sessions_ < options_.sessions && next_long_open_ <= now) {
    OpenSession(true, now);
    next_long_open_ += PerSecond(options_.open_rate);
  }
  if (options_.short_rate <= 0) return;
  // After a pause (the machine busy, the process stopped) keep the rate, skip the backlog.
  if (now - next_short_open_ > std::chrono::seconds(1)) next_short_open_ = now;
  while (next_short_open_ <= now) {
    OpenSession(false, now);
    next_short_open_ += PerSecond(options_.short_rate);
  }
}

void SessionClient::OpenSession(bool long_lived, Clock::time_point now) {
  Session session;
  session.id = next_session_id_++;
  session.long_lived = long_lived;
  session.messages_left = long_lived ? 0 : options_.short_messages;
  if (long_lived) ++long_sessions_;
  session.fd = socket(options_.target.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (session.fd < 0) {
    ConnectFailed(session, std::string("cannot create a socket: ") + std::strerror(errno), now);
    return;
  }
  if (options_.tcp_user_timeout.count() > 0) {
    unsigned int milliseconds = static_cast<unsigned int>(options_.tcp_user_timeout.count());
    setsockopt(session.fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &milliseconds, sizeof milliseconds);
  }
  int rc = connect(session.fd, options_.target.get(), options_.target.length);
  if (rc != 0 && errno != EINPROGRESS) {
    std::string reason = std::strerror(errno);
    close(session.fd);
    session.fd = -1;
    ConnectFailed(session, reason, now);
    return;
  }
  auto [it, inserted] = sessions_.emplace(session.id, std::move(session));
  Session& stored = it->second;
  Watch(stored, true, true);
  AddTimer(now + options_.connect_timeout, stored, TimerKind::kConnectDeadline);
}

void SessionClient::Watch(Session& session, bool writable, bool add) {
  epoll_event event{};
  event.events = EPOLLIN | (writable ? EPOLLOUT : 0u);
  event.data.u64 = session.id;
  epoll_ctl(epoll_fd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, session.fd, &event);
  session.writable_watched = writable;
}

void SessionClient::AddTimer(Clock::time_point when, const Session& session, TimerKind kind) {
  timers_.push(Timer{when, session.id, kind});
}

void SessionClient::RunDueTimers(Clock::time_point now) {
  while (!timers_.empty() && timers_.top().when <= now) {
    Timer timer = timers_.top();
    timers_.pop();
    // Timers of removed sessions are dropped here rather than searched for on removal.
    auto it = sessions_.find(timer.session);
    if (it != sessions_.end()) OnTimer(it->second, timer.kind, now);
  }
}

void SessionClient::OnTimer(Session& session, TimerKind kind, Clock::time_point now) {
  switch (kind) {
    case TimerKind::kConnectDeadline:
      if (session.state == State::kConnecting)
        ConnectFailed(session,
                      "connect timed out after " + FormatDuration(options_.connect_timeout), now);
      return;
    case TimerKind::kSend:
      if (session.state != State::kOpen) return;
      SendMessage(session, now);
      return;
    case TimerKind::kStallCheck:
      session.stall_timer_pending = false;
      CheckStall(session, now);
      return;
    case TimerKind::kLifetimeEnd:
      if (session.state != State::kOpen) return;
      session.state = State::kClosing;
      if (session.echo.idle() && session.unsent.empty()) CloseNormally(session);
      return;
  }
}

void SessionClient::OnEvents(Session& session, unsigned events, Clock::time_point now) {
  if (session.state == State::kConnecting) {
    if (events & (EPOLLERR | EPOLLHUP)) {
      std::string reason = SocketError(session.fd);
      ConnectFailed(session, reason, now);
      return;
    }
    if (events & EPOLLOUT) OnConnected(session, now);
    return;
  }
  if (events & EPOLLIN) {
    // Reading first sees an echo that arrived just before a reset or close.
    std::uint64_t id = session.id;
    OnReadable(session, now);
    if (!sessions_.contains(id)) return;
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    Broken(session, SocketError(session.fd), now);
    return;
  }
  if ((events & EPOLLOUT) && !session.unsent.empty()) Flush(session, now);
}

void SessionClient::OnConnected(Session& session, Clock::time_point now) {
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(session.fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    ConnectFailed(session, std::strerror(error), now);
    return;
  }
  ++counts_.connects;
  session.state = State::kOpen;
  Watch(session, false, false);
  if (session.long_lived) {
    ++counts_.sessions_open;
    if (std::optional<Duration> lifetime = options_.lifetime.Sample(random_))
      AddTimer(now + *lifetime, session, TimerKind::kLifetimeEnd);
  }
  SendMessage(session, now);
}

void SessionClient::SendMessage(Session& session, Clock::time_point now) {
  std::string message = FormatMessage(session.id, session.next_sequence++);
  bool was_idle = session.echo.idle();
  session.echo.Sent(message, now);
  ++counts_.messages_sent;
  if (session.long_lived) {
    AddTimer(now + options_.message_interval, session, TimerKind::kSend);
  } else {
    --session.messages_left;
  }
  if (was_idle && !session.stall_timer_pending && !session.stalled) {
    session.stall_timer_pending = true;
    AddTimer(now + options_.stall_timeout, session, TimerKind::kStallCheck);
  }
  session.unsent += message;
  Flush(session, now);
}

void SessionClient::Flush(Session& session, Clock::time_point now) {
  ssize_t written =
      send(session.fd, session.unsent.data(), session.unsent.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (written < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      Broken(session, std::string("send failed: ") + std::strerror(errno), now);
      return;
    }
    written = 0;
  }
  session.unsent.erase(0, static_cast<std::size_t>(written));
  bool want_writable = !session.unsent.empty();
  if (want_writable != session.writable_watched) Watch(session, want_writable, false);
}

void SessionClient::OnReadable(Session& session, Clock::time_point now) {
  char buffer[kReadChunk];
  while (true) {
    ssize_t n = read(session.fd, buffer, sizeof buffer);
    if (n == 0) {
      Broken(session, "connection closed by the server (EOF)", now);
      return;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR) continue;
      std::string reason = errno == ECONNRESET ? "connection reset (RST)" : std::strerror(errno);
      Broken(session, reason, now);
      return;
    }
    EchoCheck check =
        session.echo.Received(std::string_view(buffer, static_cast<std::size_t>(n)), now);
    if (!check.ok) {
      Broken(session, check.error, now);
      return;
    }
    for (auto latency : check.latencies) {
      double seconds = std::chrono::duration<double>(latency).count();
      latency_.Observe(seconds);
      ++counts_.messages_echoed;
      counts_.echo_latency_sum_seconds += seconds;
      counts_.echo_latency_max_seconds = std::max(counts_.echo_latency_max_seconds, seconds);
    }
    if (session.stalled && !session.stall_recovered && session.echo.idle()) {
      session.stall_recovered = true;
      log::Info("stalled session recovered", {{"session", "s" + std::to_string(session.id)}});
    }
  }
  if (!session.echo.idle()) return;
  if (session.state == State::kClosing) {
    CloseNormally(session);
  } else if (!session.long_lived) {
    if (session.messages_left > 0) {
      SendMessage(session, now);
    } else {
      CloseNormally(session);
    }
  }
}

void SessionClient::CheckStall(Session& session, Clock::time_point now) {
  if (session.stalled || session.state == State::kConnecting) return;
  std::optional<Clock::time_point> oldest = session.echo.OldestOutstanding();
  if (!oldest) return;
  if (*oldest + options_.stall_timeout > now) {
    session.stall_timer_pending = true;
    AddTimer(*oldest + options_.stall_timeout, session, TimerKind::kStallCheck);
    return;
  }
  session.stalled = true;
  ++counts_.sessions_stalled;
  Record(EventKind::kStalled, session,
         "no echo for " + Seconds(now - *oldest) + " (stall timeout " +
             FormatDuration(options_.stall_timeout) + ")",
         now);
  // A short session has nothing more to prove; a long one stays to show whether it recovers.
  if (!session.long_lived) Remove(session);
}

void SessionClient::ConnectFailed(Session& session, const std::string& reason,
                                  Clock::time_point now) {
  ++counts_.connects;
  ++counts_.connects_failed;
  Record(EventKind::kConnectFailed, session, reason, now);
  Remove(session);
}

void SessionClient::Broken(Session& session, const std::string& reason, Clock::time_point now) {
  ++counts_.sessions_broken;
  Record(EventKind::kBroken, session, reason, now);
  Remove(session);
}

void SessionClient::CloseNormally(Session& session) {
  if (session.long_lived) ++counts_.sessions_ended;
  Remove(session);
}

void SessionClient::Remove(Session& session) {
  if (session.long_lived) {
    --long_sessions_;
    if (session.state != State::kConnecting) --counts_.sessions_open;
  }
  if (session.fd >= 0) close(session.fd);  // also takes it out of the epoll set
  sessions_.erase(session.id);
}

void SessionClient::Record(EventKind kind, const Session& session, const std::string& reason,
                           Clock::time_point now) {
  TrafficEvent event;
  event.kind = kind;
  event.time = started_wall_ +
               std::chrono::duration_cast<std::chrono::system_clock::duration>(now - started_);
  event.seconds_since_start = std::chrono::duration<double>(now - started_).count();
  event.session = session.id;
  event.long_session = session.long_lived;
  event.reason = reason;
  if (events_logged_ < kMaxLoggedEvents) {
    log::Warn(kind == EventKind::kBroken          ? "session broken"
              : kind == EventKind::kConnectFailed ? "connect failed"
                                                  : "session stalled",
              {{"session", "s" + std::to_string(session.id)},
               {"session_kind", session.long_lived ? "long" : "short"},
               {"reason", reason}});
  } else if (events_logged_ == kMaxLoggedEvents) {
    log::Warn("further events are written to the report only",
              {{"logged", std::to_string(kMaxLoggedEvents)}});
  }
  ++events_logged_;
  events_.Add(std::move(event));
}

void SessionClient::WriteReport(bool final) {
  if (options_.report_file.empty()) return;
  ReportContext context{options_.target_text, started_wall_, std::chrono::system_clock::now(),
                        final};
  std::string error;
  if (!WriteFileAtomically(options_.report_file, ReportJson(context, counts_, events_), &error))
    log::Error("cannot write the report", {{"err", error}});
}

void SessionClient::PrintSummary() {
  std::printf("%s\n", SummaryLine(counts_).c_str());
  std::fflush(stdout);
}

}  // namespace cutover::traffic
