// The summary as run-upgrade.sh leaves it: summary.json for the end-to-end tests and the
// text it prints for the operator at the end of a run.
#pragma once

#include <string>

#include "lab/summary/upgrade_summary.h"

namespace cutover::lab_summary {

// Every field the summary has had, with the same names and types (counts are whole
// numbers, absent figures null), then the per-step and per-session figures.
std::string SummaryJson(const UpgradeSummary& summary);

// Where the run's outputs are, for the last line of the text.
struct SummaryFiles {
  std::string timeline;
  std::string summary;
  std::string traffic;
};

// == bgp-pair-upgrade: run bgp-pair-upgrade-20240501T120000Z completed
// sessions kept 1000/1000, broken 0, stalled 0; connects 2400 ok / 0 failed
// step                   state          wait (s)  total (s)   broken
// preflight-resync-fw2   done                1.2        3.8        0
// ...
// timeline: ...; summary: ...; traffic report: ...
// The column `invalid drops` is there when the product's counters are known.
std::string SummaryText(const UpgradeSummary& summary, const SummaryFiles& files);

// A number as jq prints it: whole numbers without a fraction, others in the fewest
// digits that read back the same ("-0" as "0").
std::string FormatNumber(double value);

}  // namespace cutover::lab_summary
