// The traffic generator's messages and the check of their echoes. A message is
// "s<session> #<sequence>\n": a wrong echo (another session's bytes, a lost or reordered
// message) then names the session and message it broke on.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cutover::traffic {

std::string FormatMessage(std::uint64_t session, std::uint64_t sequence);

struct EchoCheck {
  bool ok = true;
  std::string error;  // why the echo is wrong, quoting expected and received bytes
  // One entry per message whose echo completed with these bytes, oldest first.
  std::vector<std::chrono::steady_clock::duration> latencies;
};

// What one session has sent and not yet seen echoed. Echoes arrive as a byte stream split
// anywhere, so they are compared byte by byte against what is outstanding, in order.
// Not thread-safe; one per session.
class EchoTracker {
 public:
  using Clock = std::chrono::steady_clock;

  void Sent(std::string_view message, Clock::time_point when);
  EchoCheck Received(std::string_view bytes, Clock::time_point when);

  bool idle() const { return outstanding_.empty(); }
  // When the oldest message still waiting for its echo was sent.
  std::optional<Clock::time_point> OldestOutstanding() const;
  std::uint64_t messages_echoed() const { return messages_echoed_; }

 private:
  struct Pending {
    std::uint64_t end;  // byte offset in the stream just past the message
    Clock::time_point sent;
  };
  std::string outstanding_;
  std::uint64_t echoed_bytes_ = 0;
  std::deque<Pending> pending_;
  std::uint64_t messages_echoed_ = 0;
};

// Bytes made printable for an error message: \n, \r, \t and \xNN escapes, cut at max_bytes.
std::string Printable(std::string_view bytes, std::size_t max_bytes = 40);

}  // namespace cutover::traffic
