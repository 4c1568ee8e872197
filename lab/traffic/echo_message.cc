#include "lab/traffic/echo_message.h"

#include <algorithm>
#include <cstdio>

namespace cutover::traffic {

std::string FormatMessage(std::uint64_t session, std::uint64_t sequence) {
  return "s" + std::to_string(session) + " #" + std::to_string(sequence) + "\n";
}

void EchoTracker::Sent(std::string_view message, Clock::time_point when) {
  outstanding_.append(message);
  pending_.push_back({echoed_bytes_ + outstanding_.size(), when});
}

EchoCheck EchoTracker::Received(std::string_view bytes, Clock::time_point when) {
  EchoCheck check;
  std::size_t comparable = std::min(bytes.size(), outstanding_.size());
  auto [expected_end, got_end] =
      std::mismatch(outstanding_.begin(), outstanding_.begin() + comparable, bytes.begin());
  if (expected_end != outstanding_.begin() + comparable) {
    std::size_t at = static_cast<std::size_t>(expected_end - outstanding_.begin());
    // Quote from the start of the message that went wrong, so the error shows both whole.
    std::size_t start = 0;
    if (at > 0) {
      std::size_t newline = outstanding_.rfind('\n', at - 1);
      if (newline != std::string::npos) start = newline + 1;
    }
    check.ok = false;
    check.error = "wrong echo at byte " + std::to_string(echoed_bytes_ + at) + ": expected \"" +
                  Printable(std::string_view(outstanding_).substr(start)) + "\", got \"" +
                  Printable(bytes.substr(start)) + "\"";
    return check;
  }
  if (bytes.size() > outstanding_.size()) {
    check.ok = false;
    check.error = "echo has " + std::to_string(bytes.size() - outstanding_.size()) +
                  " byte(s) more than was sent: \"" + Printable(bytes.substr(outstanding_.size())) +
                  "\"";
    return check;
  }
  outstanding_.erase(0, bytes.size());
  echoed_bytes_ += bytes.size();
  while (!pending_.empty() && pending_.front().end <= echoed_bytes_) {
    check.latencies.push_back(when - pending_.front().sent);
    pending_.pop_front();
    ++messages_echoed_;
  }
  return check;
}

std::optional<EchoTracker::Clock::time_point> EchoTracker::OldestOutstanding() const {
  if (pending_.empty()) return std::nullopt;
  return pending_.front().sent;
}

std::string Printable(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes; ++i) {
    unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (bytes.size() > max_bytes) out += "...";
  return out;
}

}  // namespace cutover::traffic
