#include "bench/bench_support.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>

#include "common/strings.h"

namespace cutover::bench {

std::optional<double> CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name, which may hold spaces, start after the last ')'.
  auto close_paren = text.rfind(')');
  if (close_paren == std::string::npos) return std::nullopt;
  std::vector<std::string_view> fields =
      SplitFields(std::string_view(text).substr(close_paren + 2));
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  if (fields.size() < 13) return std::nullopt;
  auto utime = ParseUint(fields[11]), stime = ParseUint(fields[12]);
  if (!utime || !stime) return std::nullopt;
  return static_cast<double>(*utime + *stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<double> PeakRssMiB(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (!StartsWith(line, "VmHWM:")) continue;
    auto fields = SplitFields(std::string_view(line).substr(6));
    if (fields.empty()) return std::nullopt;
    auto kib = ParseUint(fields[0]);
    if (!kib) return std::nullopt;
    return static_cast<double>(*kib) / 1024.0;
  }
  return std::nullopt;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

void PrintRow(const std::string& label, const std::string& ours, const std::string& peer,
              const std::string& ratio, const std::string& target, int label_width) {
  std::printf("%-*s %16s %16s %10s  %s\n", label_width, label.c_str(), ours.c_str(), peer.c_str(),
              ratio.c_str(), target.c_str());
}

}  // namespace cutover::bench
