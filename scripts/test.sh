#!/usr/bin/env bash
# Builds cutover and runs every test, as CI does (.ci/run calls this):
#   1. installs the Debian packages (scripts/install-deps.sh),
#   2. builds with -Werror and runs the whole suite, unit and integration (real sshd,
#      HAProxy, Prometheus, conntrackd, ... on loopback and in test namespaces),
#   3. builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded
#      time from its seed corpus (scripts/fuzz.sh),
#   4. builds again with ASan + UBSan and runs the unit tests and the integration tests
#      under the sanitizers (all but the lab's end-to-end runs, which drive the same daemons
#      through minutes of live traffic and would double the stage's time),
#   5. builds the threaded parts with ThreadSanitizer (engine, journal group commit,
#      exporter probe round, web server, operator API) and runs their tests.
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
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
ctest --test-dir "$sanitize" -L unit -j"$jobs" --output-on-failure
ctest --test-dir "$sanitize" -L integration --output-on-failure --timeout 300 \
  -E '^(LabTest|Pairs/WholeUpgradeTest|UpgradeEndToEndTest|OptimalServiceUpgradeTest|SyncMattersTest)\.'
unset ASAN_OPTIONS UBSAN_OPTIONS

# ThreadSanitizer cannot share a build with ASan. Only the tests of threaded code are
# built; each binary runs whole, and any race reported fails the stage.
tsan=build/tsan
tsan_tests=(actions_engine_test journal_test exporter_test actions_api_health_test
            actions_api_auth_test common_test)
cmake -S . -B "$tsan" -DCUTOVER_WERROR=ON -DCUTOVER_TSAN=ON -DCUTOVER_BUILD_BENCH=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$tsan" -j"$jobs" --target "${tsan_tests[@]}"
for test in "${tsan_tests[@]}"; do
  binary=$(find "$tsan/tests" -type f -name "$test" -perm -u+x | head -n1)
  TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 "$binary" --gtest_brief=1
done
