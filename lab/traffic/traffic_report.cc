#include "lab/traffic/traffic_report.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace cutover::traffic {

const char* EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kBroken:
      return "broken";
    case EventKind::kConnectFailed:
      return "connect_failed";
    case EventKind::kStalled:
      return "stalled";
  }
  return "unknown";
}

void EventLog::Add(TrafficEvent event) {
  if (events_.size() >= max_events_) {
    ++dropped_;
    return;
  }
  events_.push_back(std::move(event));
}

std::string FormatTimestamp(std::chrono::system_clock::time_point time) {
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis % 1000));
  return buffer;
}

std::string ReportJson(const ReportContext& context, const TrafficCounts& counts,
                       const EventLog& log) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.SetIndent(' ', 2);
  w.StartObject();
  w.Key("target");
  w.String(context.target);
  w.Key("started_at");
  w.String(FormatTimestamp(context.started));
  w.Key("written_at");
  w.String(FormatTimestamp(context.written));
  w.Key("final");
  w.Bool(context.final);
  w.Key("duration_seconds");
  w.Double(std::chrono::duration<double>(context.written - context.started).count());
  w.Key("summary");
  w.String(SummaryLine(counts));

  w.Key("sessions_target");
  w.Uint64(counts.sessions_target);
  w.Key("sessions_open");
  w.Uint64(counts.sessions_open);
  w.Key("sessions_broken");
  w.Uint64(counts.sessions_broken);
  w.Key("sessions_stalled");
  w.Uint64(counts.sessions_stalled);
  w.Key("sessions_ended_normally");
  w.Uint64(counts.sessions_ended);
  w.Key("connects_ok");
  w.Uint64(counts.connects - counts.connects_failed);
  w.Key("connects_failed");
  w.Uint64(counts.connects_failed);
  w.Key("messages_sent");
  w.Uint64(counts.messages_sent);
  w.Key("messages_echoed");
  w.Uint64(counts.messages_echoed);
  w.Key("echo_latency_max_seconds");
  w.Double(counts.echo_latency_max_seconds);
  w.Key("echo_latency_mean_seconds");
  w.Double(counts.messages_echoed == 0
               ? 0.0
               : counts.echo_latency_sum_seconds / static_cast<double>(counts.messages_echoed));

  w.Key("events");
  w.StartArray();
  for (const TrafficEvent& event : log.events()) {
    w.StartObject();
    w.Key("time");
    w.String(FormatTimestamp(event.time));
    w.Key("seconds");
    w.Double(event.seconds_since_start);
    w.Key("kind");
    w.String(EventKindName(event.kind));
    w.Key("session");
    w.String("s" + std::to_string(event.session));
    w.Key("session_kind");
    w.String(event.long_session ? "long" : "short");
    w.Key("reason");
    w.String(event.reason);
    w.EndObject();
  }
  w.EndArray();
  w.Key("events_dropped");
  w.Uint64(log.dropped());
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

std::string SummaryLine(const TrafficCounts& counts) {
  std::string line = "sessions kept " + std::to_string(counts.sessions_open) + "/" +
                     std::to_string(counts.sessions_target) + ", broken " +
                     std::to_string(counts.sessions_broken) + ", connects " +
                     std::to_string(counts.connects - counts.connects_failed) + " ok / " +
                     std::to_string(counts.connects_failed) + " failed, stalled " +
                     std::to_string(counts.sessions_stalled);
  if (counts.sessions_ended > 0)
    line += ", ended normally " + std::to_string(counts.sessions_ended);
  return line;
}

bool WriteFileAtomically(const std::string& path, const std::string& content, std::string* error) {
  std::string temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) {
    *error = "cannot write " + temporary + ": " + std::strerror(errno) +
             " (is the directory there and writable?)";
    return false;
  }
  bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  bool closed = std::fclose(file) == 0;
  if (!written || !closed) {
    *error = "cannot write " + temporary + ": " + std::strerror(errno) + " (is the disk full?)";
    std::remove(temporary.c_str());
    return false;
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + temporary + " to " + path + ": " + std::strerror(errno);
    std::remove(temporary.c_str());
    return false;
  }
  return true;
}

}  // namespace cutover::traffic
