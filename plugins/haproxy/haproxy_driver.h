// The haproxy driver: a member is one server of an HAProxy backend, probed and steered
// through HAProxy's runtime API (admin level).
//
// Many members usually share one HAProxy (a backend of 1,000 servers is 1,000 members),
// so they share one HaproxyStatReader per runtime API address: a scrape of all members
// costs one `show info;show stat` request, not one per member.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "common/duration.h"
#include "plugins/core/driver.h"
#include "plugins/haproxy/haproxy_stats.h"
#include "plugins/transport/socket_client.h"

namespace cutover {

// Sends one command line to HAProxy's runtime API. An interface so tests can count and
// script the commands. Implementations are thread-safe.
class HaproxyRuntimeApi {
 public:
  virtual ~HaproxyRuntimeApi() = default;
  virtual SocketReply Run(const std::string& command, Duration timeout) = 0;
  virtual std::string address() const = 0;
};

class SocketRuntimeApi : public HaproxyRuntimeApi {
 public:
  // A reply beyond max_reply_bytes fails naming settings.max_reply_bytes.
  SocketRuntimeApi(std::string address, std::size_t max_reply_bytes) : client_(std::move(address)) {
    client_.set_max_reply_bytes(max_reply_bytes, "settings.max_reply_bytes");
  }
  SocketReply Run(const std::string& command, Duration timeout) override {
    return client_.Request(command, timeout);
  }
  std::string address() const override { return client_.address(); }

 private:
  SocketClient client_;
};

// One parsed answer to `show info;show stat`, or why there is none. Immutable once made.
struct HaproxyReading {
  std::chrono::steady_clock::time_point taken_at;  // when the request was sent
  std::string error;                               // set when the reading failed
  std::string version;
  HaproxyStatTable table;
};

// Reads `show info;show stat` for every member of one HAProxy, single-flight: while a
// request is in flight, other callers wait for it instead of sending their own, and a
// reading (or failure) taken at or after the caller's round start is reused. So one
// scrape costs one request however many members probe concurrently. Thread-safe.
class HaproxyStatReader {
 public:
  using Clock = std::chrono::steady_clock;

  explicit HaproxyStatReader(std::shared_ptr<HaproxyRuntimeApi> api) : api_(std::move(api)) {}

  // A reading taken at or after round_start (or the reason there is none). Waits for an
  // in-flight request at most until `deadline`; a request it sends itself is bounded by
  // min(timeout, deadline). A round_start of zero means "take a fresh reading".
  std::shared_ptr<const HaproxyReading> Read(Clock::time_point round_start,
                                             Clock::time_point deadline, Duration timeout);

  // Readings taken before now are no longer reused, e.g. after an action changed a
  // server's state.
  void Invalidate();

  HaproxyRuntimeApi& api() { return *api_; }
  // How many `show info;show stat` requests went out: the single-flight proof.
  std::uint64_t requests_sent() const { return requests_sent_.load(); }

 private:
  std::shared_ptr<const HaproxyReading> Fetch(Duration timeout);

  std::shared_ptr<HaproxyRuntimeApi> api_;
  std::mutex mutex_;
  std::condition_variable done_;
  bool in_flight_ = false;
  std::shared_ptr<const HaproxyReading> latest_;
  Clock::time_point not_before_{};
  std::atomic<std::uint64_t> requests_sent_{0};
};

// The key under which members share a reader: one per runtime API address, however the
// address is spelled ("/x.sock" and "unix:/x.sock" are one socket).
std::string HaproxyReaderKey(const std::string& runtime_api);

// HAProxy proxy and server names: [A-Za-z0-9_.:-]. Anything else (spaces, ';', line
// breaks) would change the meaning of a runtime API command line, so it is refused.
bool IsValidHaproxyName(const std::string& name);

struct HaproxyMemberSettings {
  std::string backend;
  std::string server;
  Duration timeout{std::chrono::seconds(2)};
};

class HaproxyDriver : public Driver {
 public:
  HaproxyDriver(HaproxyMemberSettings settings, std::shared_ptr<HaproxyStatReader> reader);

  MemberStatus Probe(const ProbeContext& context) override;
  ActionResult Perform(const ActionRequest& request) override;
  std::vector<std::string> Describe(const ActionRequest& request) const override;

 private:
  // The runtime API command line an action sends, or why it is refused before anything
  // is sent. The one place it is built: Perform sends it, Describe prints it.
  struct RuntimeApiCommand {
    std::string line;
    std::string refusal;
  };
  RuntimeApiCommand CommandFor(const ActionRequest& request) const;

  HaproxyMemberSettings settings_;
  std::shared_ptr<HaproxyStatReader> reader_;
};

}  // namespace cutover
