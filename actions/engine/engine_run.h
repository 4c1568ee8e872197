// The engine's per-run worker state, shared by the engine's own source files (the
// executor in engine.cc, the operator commands, the rehearsal). Not a public header.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "actions/engine/engine.h"

namespace cutover {

struct Engine::GateProgress {
  GateTally tally;
  std::chrono::steady_clock::time_point next_due{};
  std::optional<Measurement> last;
  GateVerdict verdict = GateVerdict::kPending;
};

// A run's journaled state (RunRecord) and what its worker keeps beside it.
struct Engine::Run : RunRecord {
  // Gate progress of the current phase, keyed "<phase>|<gate>|<member>"; rebuilt by
  // measuring again after a restart, since passing samples must be fresh anyway.
  std::map<std::string, GateProgress> gates;
  std::uint64_t gates_epoch = 0;  // the RunRecord::gate_epoch `gates` belongs to
  QueryFunction query;            // the worker's own (a PrometheusClient belongs to one thread)
  // In-flight re-check after a restart: not before then.
  std::optional<std::chrono::steady_clock::time_point> recheck_from;
  std::thread worker;
};

}  // namespace cutover
