// What both benchmarks measure the same way: a process's CPU time and peak memory from
// /proc, percentiles, and the side-by-side table rows.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace cutover::bench {

// utime + stime of a process, all threads, in seconds.
std::optional<double> CpuSeconds(pid_t pid);
// Peak resident set (VmHWM) in MiB.
std::optional<double> PeakRssMiB(pid_t pid);
// Nearest-rank percentile of unsorted values; 0 for none.
double Percentile(std::vector<double> values, double p);
std::string Fixed(double value, int decimals);
// One row of the "ours | peer | ratio | target" table; label_width fits the longest label.
void PrintRow(const std::string& label, const std::string& ours, const std::string& peer,
              const std::string& ratio = "", const std::string& target = "", int label_width = 38);

}  // namespace cutover::bench
