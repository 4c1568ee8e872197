#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "common/strings.h"

namespace cutover::log {
namespace {

std::atomic<Level> g_level{Level::kInfo};
std::mutex g_mutex;

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "unknown";
}

bool IsControl(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

// logfmt as go-logfmt writes it: a value with a blank, '=', '"', a control character or
// bytes that are not UTF-8 is quoted, and inside quotes control characters are escaped
// (\n, \r, \t, \u001b ...). Values come from outside (alert labels, member output), so a
// raw CR, ESC or NUL must never reach the log: it would forge lines or drive a terminal.
void AppendValue(std::string& out, std::string_view raw) {
  const bool replaced = !IsValidUtf8(raw);
  const std::string valid = replaced ? ReplaceInvalidUtf8(raw) : std::string();
  const std::string_view value = replaced ? std::string_view(valid) : raw;
  bool needs_quotes = value.empty() || replaced;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || IsControl(c)) needs_quotes = true;
  }
  if (!needs_quotes) {
    out.append(value);
    return;
  }
  out.push_back('"');
  AppendEscaped(out, value);
  out.push_back('"');
}

std::string Timestamp() {
  auto now = std::chrono::system_clock::now();
  std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return buffer;
}

}  // namespace

std::optional<Level> ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  return std::nullopt;
}

void SetLevel(Level level) { g_level = level; }

bool Enabled(Level level) { return level >= g_level.load(); }

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  std::string line = "ts=" + Timestamp() + " level=";
  line.append(LevelName(level));
  line.append(" msg=");
  AppendValue(line, message);
  for (const auto& [key, value] : fields) {
    line.push_back(' ');
    line.append(key);
    line.push_back('=');
    AppendValue(line, value);
  }
  line.push_back('\n');
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace cutover::log
