// What every cutover daemon does the same way at start and stop.
#pragma once

#include <string>

namespace cutover {

// "cutover-exporter 0.1.0 (revision abc, GNU 12.2.0)" on stdout.
void PrintVersion(const std::string& program);

// Blocks SIGINT and SIGTERM in this and every later thread (they are taken synchronously
// by WaitForTerminationSignal, never by a handler) and ignores SIGPIPE. Call before any
// thread starts.
void PrepareDaemonSignals();
// Waits for SIGINT or SIGTERM; returns its name.
std::string WaitForTerminationSignal();

}  // namespace cutover
