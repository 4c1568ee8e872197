#!/usr/bin/env bash
# Builds cutover and runs every test, as CI does (.ci/run calls this):
#   1. installs the Debian packages (scripts/install-deps.sh),
#   2. builds with -Werror and runs the whole suite, unit and integration (real sshd,
#      HAProxy, Prometheus, conntrackd, ... on loopback and in test namespaces),
#   3. builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded
#      time from its seed corpus (scripts/fuzz.sh),
#   4. builds again with ASan + UBSan and runs the unit tests under the sanitizers.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

jobs=$(nproc)
build=build/main
sanitize=build/sanitize

cmake -S . -B "$build" -DCUTOVER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$jobs"
# Unit tests in parallel; integration tests one at a time, since they start servers and
# namespaces and the machine has two cores.
ctest --test-dir "$build" -L unit -j"$jobs" --output-on-failure
# The lab tests need the machine's one lab. A lab left by a killed test gives way by
# itself (lab.sh up --owner); on a CI machine no operator's lab can be in use, so any
# lab found there is a leftover and goes too.
if [[ ${CI:-} == true ]] && ip netns list | grep -q '^co-'; then
  echo "test.sh: CI: removing a lab left on this machine by an earlier run" >&2
  ./lab/lab.sh down
fi
ctest --test-dir "$build" -L integration --output-on-failure --timeout 300

# Every parser of outside input, fuzzed from its seeds: about 10 s a target in CI.
./scripts/fuzz.sh 10

cmake -S . -B "$sanitize" -DCUTOVER_WERROR=ON -DCUTOVER_SANITIZE=ON \
  -DCUTOVER_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=Debug
cmake --build "$sanitize" -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir "$sanitize" -L unit -j"$jobs" --output-on-failure
