#!/usr/bin/env bash
# The main job on the built-in default: installs and builds cutover, then upgrades the
# lab's BGP-selected firewall pair end to end with live traffic (lab/run-upgrade.sh):
# lab, traffic, Prometheus, Alertmanager, cutover-exporter and cutover-actions on
# loopback and in the lab's namespaces, the plan examples/plans/bgp-pair-upgrade.yml,
# progress while it runs, a summary and a timeline picture at the end. Everything is
# removed on exit, also on Ctrl-C. Options are passed to lab/run-upgrade.sh
# (--sessions N, --rate N, --soak DURATION, --keep, ...); `--scenario osu` runs Check
# Point's Optimal Service Upgrade of a 4-member load-sharing cluster instead.
#   scripts/demo-haproxy.sh is the smaller exporter-only demo against a local HAProxy.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake -S . -B build/main -DCUTOVER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "building cutover..."
log="${TMPDIR:-/tmp}/cutover-demo-build.log"
cmake --build build/main -j"$(nproc)" \
  --target cutover-exporter cutover-actions cutoverctl cutover-traffic cutover-dashboard-queries \
  >"$log" 2>&1 ||
  { cat "$log"; exit 1; }
exec lab/run-upgrade.sh --build-dir "$(pwd)/build/main" "$@"
