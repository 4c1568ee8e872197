#!/usr/bin/env bash
# Builds the libFuzzer targets (build/fuzz: clang, CUTOVER_FUZZ=ON, ASan + UBSan) and runs
# each for SECONDS_PER_TARGET (default 10: CI's bounded stage), or builds and runs only the
# named targets:
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   scripts/fuzz.sh 1800 journal_fuzzer     # half an hour on the journal
# Seeds come from fuzz/corpus/<target>/, copied to a scratch directory so the repository
# is not modified. Prints executions per second per target and exits non-zero on any
# crash, leak or hang (-timeout), keeping the input in build/fuzz/artifacts/.
# FUZZ_JOBS sets the build's parallelism (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
build=build/fuzz
artifacts=$build/artifacts

cmake -S . -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCUTOVER_FUZZ=ON -DCUTOVER_WERROR=ON \
  -DCUTOVER_BUILD_TESTS=OFF -DCUTOVER_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
if (($# > 0)); then
  targets=("$@")
  cmake --build "$build" -j"${FUZZ_JOBS:-$(nproc)}" --target "${targets[@]}"
else
  mapfile -t targets < <(cd fuzz && ls -- *_fuzzer.cc | sed 's/\.cc$//')
  # The whole project, so clang compiles every file, not only the parsers.
  cmake --build "$build" -j"${FUZZ_JOBS:-$(nproc)}"
fi

mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
summary=()
for target in "${targets[@]}"; do
  mkdir -p "$scratch/$target"
  if [[ -d fuzz/corpus/$target ]]; then cp -r "fuzz/corpus/$target/." "$scratch/$target/"; fi
  log=$artifacts/$target.log
  echo "fuzz.sh: $target for ${seconds}s" >&2
  status=0
  "$build/fuzz/$target" "$scratch/$target" -max_total_time="$seconds" -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
    >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  if ((status != 0)); then
    failed+=("$target")
    summary+=("$(printf '%-30s FAILED (exit %d): %s' "$target" "$status" "$log")")
    grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' "$log" >&2 || true
  else
    summary+=("$(printf '%-30s %8s exec/s %10s runs  cov %s' "$target" "${rate:-?}" \
      "${execs:-?}" "${cov:-?}")")
  fi
done

printf '%s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}; inputs and logs in $artifacts/" >&2
  echo "fuzz.sh: reproduce with $build/fuzz/<target> $artifacts/<target>-crash-..." >&2
  exit 1
fi
