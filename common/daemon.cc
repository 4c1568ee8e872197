#include "common/daemon.h"

#include <signal.h>

#include <cstdio>

#include "common/build_info.h"

namespace cutover {
namespace {

sigset_t TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  return signals;
}

}  // namespace

void PrintVersion(const std::string& program) {
  std::printf("%s %s (revision %s, %s)\n", program.c_str(), build_info::kVersion,
              build_info::kRevision, build_info::kCompiler);
}

void PrepareDaemonSignals() {
  sigset_t signals = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

std::string WaitForTerminationSignal() {
  sigset_t signals = TerminationSignals();
  int received = 0;
  sigwait(&signals, &received);
  return received == SIGINT ? "SIGINT" : "SIGTERM";
}

}  // namespace cutover
