// Writes the Prometheus text exposition format (version 0.0.4) straight into a string.
// The exporter publishes ~11 series per member on every scrape; building prometheus-cpp
// MetricFamily objects and serialising them through ostreams cost most of its CPU at
// 1,000 members (bench/README.md), so cutover's state metrics are written directly.
// Help texts and label values are written as valid UTF-8 (bytes that are not become
// U+FFFD). Not thread-safe; one writer per scrape.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace cutover {

using ExpositionLabel = std::pair<std::string_view, std::string_view>;

class ExpositionWriter {
 public:
  // Starts a family: the # HELP and # TYPE lines. type is "gauge" or "counter".
  void Family(std::string_view name, std::string_view help, std::string_view type);
  void Sample(std::string_view name, std::initializer_list<ExpositionLabel> labels, double value);
  // Same, with the member's two labels first and up to two more after them.
  void MemberSample(std::string_view name, std::string_view cluster, std::string_view member,
                    double value, ExpositionLabel extra1 = {}, ExpositionLabel extra2 = {});
  std::string& text() { return text_; }

 private:
  void Label(std::string_view name, std::string_view value, bool first);
  void Value(double value);
  std::string text_;
};

// cutover_build_info{version,revision,compiler} 1, for every cutover daemon.
void WriteBuildInfo(ExpositionWriter& out);

}  // namespace cutover
