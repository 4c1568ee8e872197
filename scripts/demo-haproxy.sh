#!/usr/bin/env bash
# A small demo of cutover-exporter alone: installs and
# builds cutover, starts a local HAProxy "cluster" of four servers on loopback, points
# cutover-exporter at it, holds live TCP sessions through it, drains one server the way
# an upgrade would, and prints what the exporter publishes at each step.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

./scripts/install-deps.sh
cmake -S . -B build/main -DCUTOVER_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
echo "building cutover-exporter..."
cmake --build build/main -j"$(nproc)" --target cutover-exporter >"${TMPDIR:-/tmp}/cutover-demo-build.log" 2>&1 ||
  { cat "${TMPDIR:-/tmp}/cutover-demo-build.log"; exit 1; }

work=$(mktemp -d /tmp/cutover-demo.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_free() { ! (exec 9<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}
frontend=$(pick_port 18480)
sink=$(pick_port $((frontend + 1)))
api=$(pick_port $((sink + 1)))
exporter_port=$(pick_port $((api + 1)))

# The servers are HAProxy's own idle HTTP frontend ("sink"), which keeps each session
# open until the client closes it, so sessions stay established on their server.
cat >"$work/haproxy.cfg" <<CFG
global
    maxconn 2000
    stats socket ipv4@127.0.0.1:$api level admin
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
frontend app
    bind 127.0.0.1:$frontend
    default_backend app
backend app
    balance leastconn
    server s1 127.0.0.1:$sink
    server s2 127.0.0.1:$sink
    server s3 127.0.0.1:$sink
    server s4 127.0.0.1:$sink
frontend sink
    mode http
    bind 127.0.0.1:$sink
    timeout http-request 1h
    http-request return status 200 content-type text/plain string ok
CFG
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)

cat >"$work/cutover.yml" <<CFG
clusters:
  - name: demo-lb
    driver: haproxy
    settings:
      runtime_api: tcp:127.0.0.1:$api
      backend: app
    members: [{name: s1}, {name: s2}, {name: s3}, {name: s4}]
CFG
"$root/build/main/exporter/cutover-exporter" --config.file="$work/cutover.yml" \
  --web.listen-address="127.0.0.1:$exporter_port" >"$work/exporter.log" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
  port_free "$exporter_port" || break
  sleep 0.1
done

runtime_api() {
  exec 7<>"/dev/tcp/127.0.0.1/$api"
  echo "$1" >&7
  local reply
  reply=$(cat <&7 | tr -d '\n')
  exec 7<&-
  echo "${reply:-ok}"  # HAProxy answers an empty line on success
}

# Opens n sessions through the frontend and keeps them (file descriptors 20 and up).
next_fd=20
open_sessions() {
  local n=$1
  for _ in $(seq "$n"); do
    eval "exec $next_fd<>/dev/tcp/127.0.0.1/$frontend"
    next_fd=$((next_fd + 1))
  done
}
close_sessions() {  # closes the oldest n sessions still open
  local n=$1 fd
  for fd in $(seq 20 $((next_fd - 1))); do
    [ "$n" -eq 0 ] && break
    if [ -e "/proc/$$/fd/$fd" ]; then eval "exec $fd>&-"; n=$((n - 1)); fi
  done
}

scrape() {
  echo
  echo "== $1"
  curl -s "http://127.0.0.1:$exporter_port/metrics" | awk '
    /^cutover_member_up\{/ { m = member($0); up[m] = $NF; order[++n] = m }
    /^cutover_member_connections\{/ { conns[member($0)] = $NF }
    /^cutover_member_accepting_new_connections\{/ { acc[member($0)] = $NF }
    /^cutover_member_role\{/ && $NF == 1 { m = member($0); role[m] = label($0, "role") }
    /^cutover_member_info\{/ { m = member($0); ver[m] = label($0, "version") }
    function label(line, name) { match(line, name "=\"[^\"]*\""); return substr(line, RSTART + length(name) + 2, RLENGTH - length(name) - 3) }
    function member(line) { match(line, /member="[^"]*"/); return substr(line, RSTART + 8, RLENGTH - 9) }
    END {
      printf "   %-7s %-3s %-12s %-12s %-10s %s\n", "member", "up", "connections", "role", "accepting", "version"
      for (i = 1; i <= n; i++) { m = order[i]
        printf "   %-7s %-3s %-12s %-12s %-10s %s\n", m, up[m], conns[m], role[m], acc[m], ver[m] }
    }'
}

echo "cutover demo: HAProxy backend 'app' with 4 servers on 127.0.0.1:$frontend,"
echo "cutover-exporter on http://127.0.0.1:$exporter_port/metrics"
scrape "idle cluster"
open_sessions 40
scrape "40 live sessions spread over the servers"
echo
echo "-- drain s1 (what an upgrade step does): $(runtime_api 'set server app/s1 state drain')"
open_sessions 20
scrape "s1 draining: keeps its sessions, takes no new ones (20 more opened)"
close_sessions 40
scrape "the 40 oldest sessions ended: s1 has drained"
echo
echo "-- s1 upgraded, back in service: $(runtime_api 'set server app/s1 state ready')"
open_sessions 8
scrape "s1 ready again and taking new sessions"
echo
echo "Exporter log:"
sed 's/^/   /' "$work/exporter.log"
