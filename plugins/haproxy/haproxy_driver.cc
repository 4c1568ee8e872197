#include "plugins/haproxy/haproxy_driver.h"

#include <algorithm>

#include "common/strings.h"

namespace cutover {
namespace {

// Both outputs in one connection: the version is as fresh as the counters, at the cost
// of ~2 KB more per scrape.
constexpr char kReadCommand[] = "show info;show stat";

std::shared_ptr<const HaproxyReading> Failed(std::string error) {
  auto reading = std::make_shared<HaproxyReading>();
  reading->taken_at = HaproxyStatReader::Clock::now();
  reading->error = std::move(error);
  return reading;
}

}  // namespace

std::shared_ptr<const HaproxyReading> HaproxyStatReader::Read(Clock::time_point round_start,
                                                              Clock::time_point deadline,
                                                              Duration timeout) {
  std::unique_lock lock(mutex_);
  if (round_start == Clock::time_point{}) round_start = Clock::now();
  while (true) {
    if (latest_ && latest_->taken_at >= std::max(round_start, not_before_)) return latest_;
    if (!in_flight_) break;
    if (done_.wait_until(lock, deadline) == std::cv_status::timeout && in_flight_) {
      return Failed(api_->address() + ": no reply to 'show stat' before the probe deadline " +
                    "(another probe's request to this HAProxy is still in flight)");
    }
  }
  auto budget = std::min(timeout, std::chrono::duration_cast<Duration>(deadline - Clock::now()));
  if (budget <= Duration::zero())
    return Failed(api_->address() + ": the probe deadline passed before 'show stat' was sent");
  in_flight_ = true;
  lock.unlock();
  std::shared_ptr<const HaproxyReading> reading;
  try {
    reading = Fetch(budget);
  } catch (const std::exception& e) {
    reading = Failed(api_->address() + ": reading show stat failed: " + e.what());
  }
  lock.lock();
  in_flight_ = false;
  if (!latest_ || reading->taken_at >= latest_->taken_at) latest_ = reading;
  done_.notify_all();
  return reading;
}

void HaproxyStatReader::Invalidate() {
  std::lock_guard lock(mutex_);
  not_before_ = Clock::now();
}

std::shared_ptr<const HaproxyReading> HaproxyStatReader::Fetch(Duration timeout) {
  auto reading = std::make_shared<HaproxyReading>();
  reading->taken_at = Clock::now();
  ++requests_sent_;
  const std::string address = api_->address();
  SocketReply reply = api_->Run(kReadCommand, timeout);
  if (!reply.ok) {
    reading->error = reply.error;
    return reading;
  }
  auto outputs = SplitCommandOutputs(reply.data);
  if (!outputs || outputs->size() != 2) {
    reading->error = address + ": the reply to '" + kReadCommand +
                     "' is not two complete outputs (" + std::to_string(reply.data.size()) +
                     " bytes; the connection closed early?)";
    return reading;
  }
  HaproxyInfoParse info = ParseShowInfo((*outputs)[0]);
  if (!info.info) {
    reading->error = address + ": " + info.error + " (reply begins '" +
                     std::string(Trim((*outputs)[0].substr(0, 80))) + "')";
    return reading;
  }
  HaproxyStatParse stat = ParseShowStat((*outputs)[1]);
  if (!stat.table) {
    reading->error = address + ": " + stat.error;
    return reading;
  }
  reading->version = info.info->version;
  reading->table = std::move(*stat.table);
  return reading;
}

std::string HaproxyReaderKey(const std::string& runtime_api) {
  if (StartsWith(runtime_api, "unix:") || StartsWith(runtime_api, "tcp:")) return runtime_api;
  return (StartsWith(runtime_api, "/") ? "unix:" : "tcp:") + runtime_api;
}

bool IsValidHaproxyName(const std::string& name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

HaproxyDriver::HaproxyDriver(HaproxyMemberSettings settings,
                             std::shared_ptr<HaproxyStatReader> reader)
    : settings_(std::move(settings)), reader_(std::move(reader)) {}

MemberStatus HaproxyDriver::Probe(const ProbeContext& context) {
  auto reading = reader_->Read(context.round_start, context.deadline, settings_.timeout);
  if (!reading->error.empty()) return MemberStatus::Down(reading->error);
  const HaproxyServerStat* stat = reading->table.Find(settings_.backend, settings_.server);
  if (!stat) {
    return MemberStatus::Down(reader_->api().address() + ": HAProxy reports no server '" +
                              settings_.backend + "/" + settings_.server +
                              "' in show stat; check the backend and server settings");
  }
  MemberStatus status;
  status.up = true;
  status.connections = static_cast<double>(stat->current_sessions);
  status.version = reading->version;
  HaproxyServerState state = ServerStateFromStatus(stat->status, stat->backup);
  status.role = state.role;
  status.accepting_new_connections = state.accepting_new_connections;
  status.config_digest = stat->config_digest;
  status.sync.ok = std::nullopt;  // HAProxy servers have no state sync
  return status;
}

HaproxyDriver::RuntimeApiCommand HaproxyDriver::CommandFor(const ActionRequest& request) const {
  auto set_server = [this](const std::string& what) {
    return RuntimeApiCommand{
        "set server " + settings_.backend + "/" + settings_.server + " " + what, {}};
  };
  auto refused = [](std::string why) { return RuntimeApiCommand{{}, std::move(why)}; };
  switch (request.action) {
    case Action::kConnect:
    case Action::kStopDrain:
      return set_server("state ready");
    case Action::kStartDrain:
      return set_server("state drain");
    case Action::kDisconnect:
      return set_server("state maint");
    case Action::kSetPriority: {
      auto it = request.params.find("priority");
      if (it == request.params.end())
        return refused("set_priority needs the parameter 'priority' (0 to 256)");
      auto weight = ParseUint(it->second);
      if (!weight || *weight > 256)
        return refused("set_priority: priority '" + it->second +
                       "' is not an HAProxy weight; use a whole number from 0 to 256");
      return set_server("weight " + std::to_string(*weight));
    }
    default:
      return refused("the haproxy driver does not perform '" +
                     std::string(ActionName(request.action)) + "'");
  }
}

std::vector<std::string> HaproxyDriver::Describe(const ActionRequest& request) const {
  RuntimeApiCommand command = CommandFor(request);
  if (!command.refusal.empty()) return DescribeRefusal(command.refusal);
  return {reader_->api().address() + ": " + command.line};
}

ActionResult HaproxyDriver::Perform(const ActionRequest& request) {
  RuntimeApiCommand planned = CommandFor(request);
  if (!planned.refusal.empty()) return ActionResult::Failure(planned.refusal);
  const std::string& command = planned.line;
  SocketReply reply = reader_->api().Run(command, settings_.timeout);
  // Even a failed or timed-out command may have taken effect: never reuse older readings.
  reader_->Invalidate();
  if (!reply.ok) return ActionResult::Failure(reply.error);
  std::string message(Trim(reply.data));
  if (!message.empty()) {
    std::string hint = message.find("Permission denied") != std::string::npos
                           ? " (the runtime API socket needs 'level admin' in HAProxy's "
                             "'stats socket' line)"
                           : "";
    return ActionResult::Failure(
        reader_->api().address() + ": HAProxy refused '" + command + "': " + message + hint,
        reply.data);
  }
  return ActionResult::Success(command);
}

}  // namespace cutover
