// cutover-upgrade-summary: the summary of one lab upgrade run (lab/run-upgrade.sh), from
// what the run left in its work directory. Writes DIR/summary.json, the figures the
// end-to-end tests assert, and prints the operator's summary. Exit code 0 when both are
// written, whatever the run did; 1 when an input cannot be read.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/build_info.h"
#include "common/duration.h"
#include "lab/summary/summary_inputs.h"
#include "lab/summary/summary_render.h"
#include "lab/summary/upgrade_summary.h"
#include "lab/traffic/traffic_report.h"

namespace cutover::lab_summary {
namespace {

struct Flags {
  std::string work_dir;
  std::string scenario;
  std::string run_state;
  std::uint64_t drain_threshold = 0;
  std::string product_counters;
  std::string grace = "5s";
};

bool ReadWholeFile(const std::string& path, std::string* text, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot read " + path + ": " + std::strerror(errno) +
             " (did the run get that far? see its logs in the same directory)";
    return false;
  }
  std::stringstream content;
  content << in.rdbuf();
  *text = content.str();
  return true;
}

template <typename T, typename Parser>
bool ReadInput(const std::string& path, Parser parse, T* out, std::string* error) {
  std::string text;
  if (!ReadWholeFile(path, &text, error)) return false;
  ParseResult<T> parsed = parse(text, path);
  if (!parsed.ok()) {
    *error = parsed.error();
    return false;
  }
  *out = std::move(parsed.value());
  return true;
}

bool ReadInputs(const Flags& flags, SummaryInputs* inputs, std::string* error) {
  const std::string& dir = flags.work_dir;
  if (!ReadInput(dir + "/status.json", ParseRunStatus, &inputs->run, error) ||
      !ReadInput(dir + "/traffic.json", ParseTrafficReport, &inputs->traffic, error) ||
      !ReadInput(dir + "/action-seen.txt", ParseActionSeen, &inputs->action_seen, error))
    return false;
  if (flags.product_counters.empty()) return true;
  std::vector<CounterSeries> series;
  if (!ReadInput(flags.product_counters, ParseCounterRange, &series, error)) return false;
  inputs->invalid_drops = std::move(series);
  return true;
}

int Run(const Flags& flags) {
  std::optional<Duration> grace = ParseDuration(flags.grace);
  if (!grace) {
    std::fprintf(stderr, "cutover-upgrade-summary: --grace '%s' is not a duration (write 5s)\n",
                 flags.grace.c_str());
    return 1;
  }
  SummaryInputs inputs;
  std::string error;
  if (!ReadInputs(flags, &inputs, &error)) {
    std::fprintf(stderr, "cutover-upgrade-summary: %s\n", error.c_str());
    return 1;
  }
  SummaryOptions options{flags.scenario, flags.run_state, flags.drain_threshold,
                         std::chrono::duration<double>(*grace).count()};
  UpgradeSummary summary = SummarizeUpgrade(inputs, options);
  const std::string& dir = flags.work_dir;
  if (!traffic::WriteFileAtomically(dir + "/summary.json", SummaryJson(summary), &error)) {
    std::fprintf(stderr, "cutover-upgrade-summary: %s\n", error.c_str());
    return 1;
  }
  std::string text =
      SummaryText(summary, {dir + "/timeline.svg", dir + "/summary.json", dir + "/traffic.json"});
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

int Main(int argc, char** argv) {
  CLI::App app{
      "cutover-upgrade-summary: the summary of a lab upgrade run. Reads status.json, "
      "traffic.json and action-seen.txt in --work-dir, writes summary.json there and prints "
      "the operator's summary"};
  app.set_version_flag("--version", std::string("cutover-upgrade-summary ") + build_info::kVersion +
                                        " (revision " + build_info::kRevision + ")");
  Flags flags;
  app.add_option("--work-dir", flags.work_dir, "The run's work directory (run-upgrade.sh's)")
      ->required()
      ->check(CLI::ExistingDirectory);
  // Any of run-upgrade.sh's scenarios; only osu has figures of its own (the cutover).
  app.add_option("--scenario", flags.scenario, "The scenario the run played (bgp-pair, osu, ...)")
      ->required();
  app.add_option("--run-state", flags.run_state,
                 "How the run ended: its state, or timeout when the script stopped watching")
      ->required();
  app.add_option("--drain-threshold", flags.drain_threshold,
                 "osu: the connections at which the OLD member counted as drained")
      ->capture_default_str();
  app.add_option("--product-counters", flags.product_counters,
                 "A /api/v1/query_range answer of cutover_member_invalid_state_drops_total "
                 "over the run (without it, or with no series, those figures are null)");
  app.add_option("--grace", flags.grace,
                 "How long after a step finishes an event still counts for it (a cut session "
                 "is reported only when its next echo fails)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 1;
  }
  return Run(flags);
}

}  // namespace
}  // namespace cutover::lab_summary

int main(int argc, char** argv) { return cutover::lab_summary::Main(argc, argv); }
