#!/usr/bin/env bash
# An upgrade of a lab cluster, end to end, with live traffic: lab, cutover-traffic,
# Prometheus (with alerts/cutover.rules.yml), Alertmanager (alerts/alertmanager.yml),
# cutover-exporter and cutover-actions, then a plan of examples/plans/ started with
# cutoverctl. Prints progress while it runs and a summary at the end; removes everything
# on exit, also on Ctrl-C. Two scenarios:
#   --scenario bgp-pair (default): the active/standby upgrade of a BGP-selected pair,
#     examples/plans/bgp-pair-upgrade.yml, steered by the routers' local preference or,
#     with --steering as-path-prepend, by AS-path prepending on the members' announcements;
#     --primary-move interfaces takes fw1 out by forcing its traffic interfaces down;
#   --scenario vrrp-pair: the same upgrade of a keepalived pair,
#     examples/plans/vrrp-pair-upgrade.yml;
#   --scenario osu: Check Point's Optimal Service Upgrade of a 4-member load-sharing
#     cluster, examples/plans/optimal-service-upgrade.yml, cut over by the
#     CutoverDrainComplete alert.
#
#   lab/run-upgrade.sh [--scenario bgp-pair|vrrp-pair|osu] [--build-dir DIR] [--work-dir DIR]
#                      [--sessions N] [--rate N] [--timeout DURATION] [--keep]
#                      [--soak DURATION] [--no-approve] (pairs)
#                      [--steering local-preference|as-path-prepend]
#                      [--primary-move policy|interfaces] (bgp-pair)
#                      [--lifetime MIX] [--drain-threshold N] [--drain-deadline DURATION]
#                      [--drain-policy wait|proceed|rollback] (osu)
#                      [--exec-before-run CMD] [--exec-during-soak CMD]
#                      [--exec-at STEP CMD] [--stop-at-pause] [--plan FILE]
#
# Builds nothing: the binaries must exist in --build-dir (default: build/). Needs root,
# prometheus, prometheus-alertmanager, curl and jq. The cluster configuration
# (examples/lab/cutover.yml or cutover-loadshare.yml) and the plan are used as shipped;
# the run's figures go to `cutoverctl start` as the plan's parameters. Outputs in
# --work-dir: summary.json, traffic.json (the traffic report), status.json (the run),
# timeline.svg, endpoints.env, every daemon's log and the lab's state (lab/). Each run
# starts with an empty work directory: --work-dir must be new, empty or one an earlier
# run made (it holds the marker .run-upgrade-work-dir; the run empties it, unless the
# lab is still up with its state there, as --keep leaves it: then the run refuses). The
# default, ${TMPDIR:-/tmp}/co-upgrade, is such a directory; when it is anything else,
# the run uses a fresh ${TMPDIR:-/tmp}/co-upgrade.XXXXXX instead and says so. --keep
# leaves the lab and the daemons running at the end (the operator's: stop them with the
# kill and lab.sh down commands printed). A daemon that exits before the run starts ends
# the script at once with the tail of its log. --timeout bounds the run (default 15m;
# the summary then says run_state "timeout" and names what the current step waits for).
# For tests and demos, --exec-before-run runs a shell command once everything is up,
# just before the run starts, --exec-during-soak once the soak step is under way,
# --exec-at once STEP has been reached (left pending); all see the lab's lab.env and
# endpoints.env variables (PROMETHEUS_URL, ALERTMANAGER_URL, ...). --stop-at-pause ends
# the watch when the run pauses (summary run_state "paused"). --plan runs another plan
# file with the scenario's lab, configuration and parameters (the tests' control
# experiments). osu: --lifetime is
# cutover-traffic's --long-session-lifetime (default exp:10s: the OLD member drains in
# about a minute), --drain-threshold the connections at which the OLD member counts as
# drained (0), --drain-deadline and --drain-policy the cutover step's deadline (10m,
# wait). Pairs: the plan's last upgrade waits for an operator's approval after the soak;
# the script gives it as soon as the step waits (cutoverctl approve), unless --no-approve
# (then the watch ends there, run_state "waiting_approval").
set -euo pipefail

REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$REPO_DIR/build
WORK_DIR=${TMPDIR:-/tmp}/co-upgrade
WORK_DIR_GIVEN=0
# Written into every work directory this script prepares: a directory holding it is one
# of ours, and the next run may empty it.
readonly WORK_DIR_MARKER=.run-upgrade-work-dir
# The lab's record and its state directory at a fixed path (lab/lab.sh up makes both):
# examples/lab/*.yml name the lab's files under the link.
readonly LAB_RECORD=/run/co-lab/lab.env
readonly LAB_STATE_LINK=/run/co-lab/state
SOAK=30s
SESSIONS=1000
RATE=20
RUN_TIMEOUT=15m
KEEP=0
EXEC_BEFORE_RUN=
EXEC_DURING_SOAK=
OLD_VERSION=1.0.0
NEW_VERSION=2.0.0
SCENARIO=bgp-pair
LIFETIME=exp:10s
DRAIN_THRESHOLD=0
DRAIN_DEADLINE=10m
DRAIN_POLICY="wait"
CONNECTION_CEILING=20000
EXEC_AT_STEP=
EXEC_AT=
STOP_AT_PAUSE=0
APPROVE=1
PLAN_FILE_GIVEN=
STEERING=local-preference
STEERING_PARAMS=()
PRIMARY_MOVE=
# The traffic client's metrics reach the host over a veth of its own: the client
# namespace has no management link, and the data path must carry only the service.
METRICS_HOST_ADDR=172.31.251.1
METRICS_CLIENT_ADDR=172.31.251.2
METRICS_LINK=co-tmetrics

log() { printf 'run-upgrade: %s\n' "$*" >&2; }
die() {
  log "$*"
  exit 1
}

usage() {
  awk 'NR > 1 && !/^#/ {exit} NR > 7 {sub(/^# ?/, ""); print}' "${BASH_SOURCE[0]}"
}

seconds_of() {
  local text=$1 total=0 part
  [[ $text =~ ^([0-9]+[hms])+$ ]] || die "duration '$text': write e.g. 30s, 2m or 1h30m"
  while [[ -n $text ]]; do
    part=${text%%[hms]*}
    case ${text:${#part}:1} in
      h) total=$((total + part * 3600)) ;;
      m) total=$((total + part * 60)) ;;
      s) total=$((total + part)) ;;
    esac
    text=${text:$((${#part} + 1))}
  done
  echo "$total"
}

parse_options() {
  while (($#)); do
    case $1 in
      --build-dir) BUILD_DIR=${2:?--build-dir needs a directory} && shift ;;
      --work-dir) WORK_DIR=${2:?--work-dir needs a directory} WORK_DIR_GIVEN=1 && shift ;;
      --soak) SOAK=${2:?--soak needs a duration} && shift ;;
      --sessions) SESSIONS=${2:?--sessions needs a number} && shift ;;
      --rate) RATE=${2:?--rate needs a number} && shift ;;
      --timeout) RUN_TIMEOUT=${2:?--timeout needs a duration} && shift ;;
      --keep) KEEP=1 ;;
      --exec-before-run) EXEC_BEFORE_RUN=${2:?--exec-before-run needs a command} && shift ;;
      --exec-during-soak) EXEC_DURING_SOAK=${2:?--exec-during-soak needs a command} && shift ;;
      --exec-at)
        EXEC_AT_STEP=${2:?--exec-at needs a step and a command} EXEC_AT=${3:?--exec-at needs a command after the step}
        shift 2
        ;;
      --stop-at-pause) STOP_AT_PAUSE=1 ;;
      --no-approve) APPROVE=0 ;;
      --plan) PLAN_FILE_GIVEN=${2:?--plan needs a plan file} && shift ;;
      --steering) STEERING=${2:?--steering needs local-preference or as-path-prepend} && shift ;;
      --primary-move) PRIMARY_MOVE=${2:?--primary-move needs policy or interfaces} && shift ;;
      --scenario) SCENARIO=${2:?--scenario needs bgp-pair, vrrp-pair or osu} && shift ;;
      --lifetime) LIFETIME=${2:?--lifetime needs a lifetime, e.g. exp:10s} && shift ;;
      --drain-threshold) DRAIN_THRESHOLD=${2:?--drain-threshold needs a number} && shift ;;
      --drain-deadline) DRAIN_DEADLINE=${2:?--drain-deadline needs a duration} && shift ;;
      --drain-policy) DRAIN_POLICY=${2:?--drain-policy needs wait, proceed or rollback} && shift ;;
      -h | --help) usage && exit 0 ;;
      *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
  done
  case $SCENARIO in
    bgp-pair) CLUSTER=lab-fw PLAN=bgp-pair-upgrade MEMBER_COUNT=2 CLUSTER_FILE=cutover.yml ;;
    vrrp-pair) CLUSTER=lab-fw PLAN=vrrp-pair-upgrade MEMBER_COUNT=2 CLUSTER_FILE=cutover-vrrp.yml ;;
    osu) CLUSTER=lab-ls PLAN=optimal-service-upgrade MEMBER_COUNT=4 CLUSTER_FILE=cutover-loadshare.yml ;;
    *) die "--scenario $SCENARIO: give bgp-pair, vrrp-pair or osu" ;;
  esac
  # The knob that moves the traffic: the routers' inbound local preference (the routers'
  # own entries), or the members' announcements, AS-path prepended on the members.
  case $STEERING in
    local-preference) STEERING_PARAMS=(routers=lab-fw-bgp
      primary_steering=rtr-c-fw1,rtr-s-fw1 secondary_steering=rtr-c-fw2,rtr-s-fw2) ;;
    as-path-prepend) STEERING_PARAMS=(routers=lab-fw-bgp-announce
      primary_steering=fw1-announce secondary_steering=fw2-announce) ;;
    *) die "--steering $STEERING: give local-preference or as-path-prepend" ;;
  esac
  [[ $DRAIN_THRESHOLD =~ ^[0-9]+$ ]] || die "--drain-threshold $DRAIN_THRESHOLD: give a whole number of connections"
  [[ $DRAIN_POLICY =~ ^(wait|proceed|rollback)$ ]] || die "--drain-policy $DRAIN_POLICY: give wait, proceed or rollback"
  seconds_of "$DRAIN_DEADLINE" >/dev/null
  [[ $SESSIONS =~ ^[0-9]+$ ]] || die "--sessions $SESSIONS: give a whole number"
  [[ $RATE =~ ^[0-9]+$ ]] || die "--rate $RATE: give a whole number of new sessions per second"
  SOAK_SECONDS=$(seconds_of "$SOAK")
  ((SOAK_SECONDS >= 1)) || die "--soak $SOAK: give at least 1s"
  RUN_TIMEOUT_SECONDS=$(seconds_of "$RUN_TIMEOUT")
  ((EUID == 0)) || die "run as root: the lab creates network namespaces"
  local tool
  for tool in prometheus prometheus-alertmanager curl jq; do
    command -v "$tool" >/dev/null || die "$tool is missing; run scripts/install-deps.sh"
  done
  for tool in exporter/cutover-exporter actions/cutover-actions actions/cutoverctl \
    lab/traffic/cutover-traffic lab/summary/cutover-upgrade-summary; do
    [[ -x $BUILD_DIR/$tool ]] || die "$BUILD_DIR/$tool is missing; build first (cmake --build $BUILD_DIR)"
  done
}

# A work directory of an earlier run: a real directory of ours with the marker.
ours() { [[ -d $1 && ! -L $1 && -O $1 && -f $1/$WORK_DIR_MARKER && ! -L $1/$WORK_DIR_MARKER ]]; }
empty_dir() { [[ -d $1 && -z $(find "$1/" -mindepth 1 -maxdepth 1 -print -quit) ]]; }

# Whether the recorded lab keeps its state inside the work directory and is still alive:
# its owner (an earlier run) still runs, or it has none (left by --keep).
live_lab_in_work_dir() {
  local state pid start stat
  [[ -f $LAB_RECORD ]] || return 1
  state=$(sed -n 's/^LAB_STATE_DIR=//p' "$LAB_RECORD" | tail -n 1)
  [[ $state == "$WORK_DIR" || $state == "$WORK_DIR"/* ]] || return 1
  pid=$(sed -n 's/^LAB_OWNER_PID=//p' "$LAB_RECORD" | tail -n 1)
  start=$(sed -n 's/^LAB_OWNER_START=//p' "$LAB_RECORD" | tail -n 1)
  [[ -n $pid ]] || return 0
  # The owner runs if its start time is the recorded one (lab.sh's test: a recycled PID
  # does not count); field 22 of /proc/PID/stat, read after the command name.
  [[ $pid =~ ^[0-9]+$ ]] && stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $(awk '{print $20}' <<<"${stat##*) }") == "$start" ]]
}

# Every run starts from an empty work directory, so nothing of an earlier run (its
# journal, logs, the lab's state) is taken for this one's. Only a directory of ours is
# emptied; a user's directory that holds anything else is refused.
prepare_work_dir() {
  # The default is a fixed name in a shared directory: used only when it is missing, or
  # ours, or an empty directory of this user's (never through a link).
  if ((!WORK_DIR_GIVEN)) && [[ -e $WORK_DIR || -L $WORK_DIR ]] && ! ours "$WORK_DIR" &&
    ! { [[ ! -L $WORK_DIR && -O $WORK_DIR ]] && empty_dir "$WORK_DIR"; }; then
    local default=$WORK_DIR
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/co-upgrade.XXXXXX")
    log "$default is not a work directory of this script (a link, another user's or without $WORK_DIR_MARKER): using $WORK_DIR"
  fi
  mkdir -p "$WORK_DIR"
  WORK_DIR=$(cd "$WORK_DIR" && pwd -P)
  if ours "$WORK_DIR"; then
    ! live_lab_in_work_dir ||
      die "the lab is still up with its state in $WORK_DIR (an earlier run with --keep?); stop its daemons and run $REPO_DIR/lab/lab.sh down first, or give another --work-dir"
    find "$WORK_DIR" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
  elif ! empty_dir "$WORK_DIR"; then
    die "--work-dir $WORK_DIR is not empty and not a work directory of this script (no $WORK_DIR_MARKER): give a new or empty directory"
  fi
  printf 'A work directory of %s/lab/run-upgrade.sh: its next run into this directory empties it.\n' \
    "$REPO_DIR" >"$WORK_DIR/$WORK_DIR_MARKER"
}

free_port() {
  local port
  while :; do
    port=$((20000 + RANDOM % 20000))
    ss -Htln "sport = :$port" | grep -q . || break
  done
  echo "$port"
}

PIDS=()
NAMES=()
PROGRAMS=()
start() {
  local name=$1 program
  shift
  "$@" >"$WORK_DIR/$name.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$name")
  program=$1
  [[ $1 != ip ]] || program=$5 # ip netns exec NS PROGRAM ...
  PROGRAMS+=("${program##*/}")
}

# Every daemon started so far must still run: one that exited (a configuration or plan
# it refused, a port taken) ends the script at once, with its own last words.
check_daemons() {
  local i status
  for i in "${!PIDS[@]}"; do
    ! kill -0 "${PIDS[i]}" 2>/dev/null || continue
    status=0
    wait "${PIDS[i]}" 2>/dev/null || status=$?
    die "${PROGRAMS[i]} (${NAMES[i]}) exited with status $status during start-up; the end of $WORK_DIR/${NAMES[i]}.log:
$(tail -n 15 "$WORK_DIR/${NAMES[i]}.log" 2>/dev/null | sed 's/^/  /')"
  done
}

cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  if ((KEEP)); then
    log "--keep: leaving the lab and daemons running (pids ${PIDS[*]:-}); stop with: kill ${PIDS[*]:-}; $REPO_DIR/lab/lab.sh down"
    exit "$status"
  fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if ((LAB_STARTED)); then "$REPO_DIR/lab/lab.sh" down >/dev/null 2>&1 || log "lab.sh down failed; run it by hand"; fi
  exit "$status"
}

wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until check_daemons && "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${seconds}s waiting for $what (logs in $WORK_DIR)"
    sleep 0.5
  done
}

prom_query() {
  curl -fsS --max-time 5 "$PROM_URL/api/v1/query" --data-urlencode "query=$1" 2>/dev/null
}

prom_value() {
  prom_query "$1" | jq -r '.data.result[0].value[1] // empty'
}

# The lab lives for this script (--owner): if the script is killed before its cleanup,
# the next lab.sh up takes the abandoned lab's place. With --keep it is the operator's.
start_lab() {
  local owner=(--owner "$$") shape=()
  ((!KEEP)) || owner=()
  case $SCENARIO in
    osu) shape=(--members 4 --selection loadshare) ;;
    vrrp-pair) shape=(--selection vrrp) ;;
  esac
  "$REPO_DIR/lab/lab.sh" up --state-dir "$WORK_DIR/lab" --version "$OLD_VERSION" "${shape[@]}" "${owner[@]}" >"$WORK_DIR/lab.log" 2>&1 ||
    die "lab.sh up failed: $(tail -n 3 "$WORK_DIR/lab.log")"
  # Only now: a failed up removes what it made, and a lab that was already up is not ours.
  LAB_STARTED=1
  STATE_DIR=$WORK_DIR/lab
  # shellcheck source=/dev/null
  source "$STATE_DIR/lab.env"
  ip link add "$METRICS_LINK" type veth peer name tmetrics netns "$LAB_CLIENT_NS"
  ip addr add "$METRICS_HOST_ADDR/30" dev "$METRICS_LINK"
  ip link set "$METRICS_LINK" up
  ip -n "$LAB_CLIENT_NS" addr add "$METRICS_CLIENT_ADDR/30" dev tmetrics
  ip -n "$LAB_CLIENT_NS" link set tmetrics up
  log "lab up (state in $STATE_DIR)"
}

# The plan's parameters for this run (cutoverctl start PLAN --param NAME=VALUE ...).
plan_params() {
  case $SCENARIO in
    bgp-pair | vrrp-pair)
      # The soak lasts SOAK_SECONDS samples of 1 s; its step's timeout leaves 2m above it.
      # Forwarded packets are counted over 6 s (three exporter scrapes), invalid-state
      # drops over the 30 s after a move.
      PLAN_PARAMS=(firewalls=lab-fw primary=fw1 secondary=fw2
        old_version="$OLD_VERSION" new_version="$NEW_VERSION"
        soak_samples="$SOAK_SECONDS" soak_interval=1s soak_timeout="$((SOAK_SECONDS + 120))s"
        traffic_window=6s move_window=30s)
      # The routers' view of each member's announcements, and the knob --steering names.
      [[ $SCENARIO != bgp-pair ]] || PLAN_PARAMS+=(
        primary_paths=rtr-c-fw1,rtr-s-fw1 secondary_paths=rtr-c-fw2,rtr-s-fw2
        "${STEERING_PARAMS[@]}")
      # How the traffic leaves fw1 (the plan's default, policy, unless given).
      [[ -z $PRIMARY_MOVE ]] || PLAN_PARAMS+=(primary_move="$PRIMARY_MOVE")
      ;;
    osu)
      # The lab's OLD member (keeps the service) and first NEW member.
      PLAN_PARAMS=(new_version="$NEW_VERSION" old=fw1 first_new=fw2
        connection_ceiling="$CONNECTION_CEILING" drain_deadline="$DRAIN_DEADLINE"
        drain_policy="$DRAIN_POLICY")
      ;;
  esac
}

write_configs() {
  local conf=$WORK_DIR/conf
  mkdir -p "$conf"
  # Both as shipped: the configuration names the lab's files under the link lab.sh up
  # made (/run/co-lab/state), the plan takes this run's figures as parameters.
  CONFIG_FILE=$REPO_DIR/examples/lab/$CLUSTER_FILE
  PLAN_FILE=$REPO_DIR/examples/plans/$PLAN.yml
  if [[ -n $PLAN_FILE_GIVEN ]]; then
    PLAN_FILE=$(readlink -f "$PLAN_FILE_GIVEN")
    PLAN=$(sed -n 's/^plan: *//p' "$PLAN_FILE" | head -n 1)
    [[ -n $PLAN ]] || die "--plan $PLAN_FILE_GIVEN: no 'plan:' line"
  fi
  [[ $(readlink -f "$LAB_STATE_LINK") == "$(readlink -f "$STATE_DIR")" ]] ||
    die "$LAB_STATE_LINK does not lead to this lab's state directory $STATE_DIR ($CONFIG_FILE names the lab's files under it)"
  plan_params
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$conf/actions.token"
  chmod 600 "$conf/actions.token"
  # The drained threshold of this run, and a drain that counts as complete after 5 s at
  # or below it (2m in production: alerts/README.md).
  awk -v threshold="$DRAIN_THRESHOLD" '
    /record: :cutover_drain_connections:threshold/ {print; getline; sub(/vector\([0-9.]+\)/, "vector(" threshold ")")}
    /alert: CutoverDrainComplete/ {drain = 1}
    drain && /^        for: / {sub(/for: .*/, "for: 5s"); drain = 0}
    {print}' "$REPO_DIR/alerts/cutover.rules.yml" >"$conf/cutover.rules.yml"
  # Alertmanager: deliver to this run's cutover-actions within a second.
  sed -e "s#http://127.0.0.1:10471/#http://127.0.0.1:$ACTIONS_PORT/#" \
    -e "s#/etc/cutover/actions.token#$conf/actions.token#" \
    -e "s#group_wait: [0-9]*s#group_wait: 1s#" -e "s#group_interval: [0-9]*[sm]#group_interval: 5s#" \
    "$REPO_DIR/alerts/alertmanager.yml" >"$conf/alertmanager.yml"
  cat >"$conf/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [$conf/cutover.rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{targets: ['127.0.0.1:$ALERTMANAGER_PORT']}]
scrape_configs:
  - job_name: cutover-exporter
    scrape_interval: 2s
    scrape_timeout: 2s
    static_configs: [{targets: ['127.0.0.1:$EXPORTER_PORT']}]
  - job_name: cutover-actions
    static_configs: [{targets: ['127.0.0.1:$ACTIONS_PORT']}]
  - job_name: cutover-traffic
    static_configs: [{targets: ['$METRICS_CLIENT_ADDR:$TRAFFIC_PORT'], labels: {ha_cluster: $CLUSTER}}]
EOF
  # cutover-actions' own check of the configuration and the plan, before anything starts.
  local checked
  checked=$("$BUILD_DIR/actions/cutover-actions" --check-config --config.file="$CONFIG_FILE" \
    --plan.file="$PLAN_FILE" 2>&1) || die "the configuration or the plan does not load: $checked"
}

traffic_ready() {
  [[ $(curl -fsS --max-time 2 "http://$METRICS_CLIENT_ADDR:$TRAFFIC_PORT/metrics" 2>/dev/null |
    awk '$1 == "cutover_traffic_sessions_open" {print $2 + 0}') == "$SESSIONS" ]]
}

server_listening() {
  ip netns exec "$LAB_SERVER_NS" ss -Htln "sport = :$LAB_SERVICE_PORT" | grep -q LISTEN
}

start_traffic() {
  local traffic=$BUILD_DIR/lab/traffic/cutover-traffic
  TRAFFIC_SCENARIO_ARGS=()
  # osu: sessions end by themselves so the OLD member drains, and a session cut at the
  # cutover is reported broken within seconds (TCP user timeout), not stalled for minutes.
  [[ $SCENARIO != osu ]] ||
    TRAFFIC_SCENARIO_ARGS=(--long-session-lifetime "$LIFETIME" --tcp-user-timeout 5s)
  start traffic-server ip netns exec "$LAB_SERVER_NS" "$traffic" server \
    --listen "$LAB_SERVER_ADDR:$LAB_SERVICE_PORT"
  # A connect refused because the server was not listening yet is not the lab's doing.
  wait_for 10 "the traffic server to listen" server_listening
  start traffic-client ip netns exec "$LAB_CLIENT_NS" "$traffic" client \
    --target "$LAB_SERVER_ADDR:$LAB_SERVICE_PORT" --sessions "$SESSIONS" \
    --new-sessions-per-second "$RATE" --metrics-listen "$METRICS_CLIENT_ADDR:$TRAFFIC_PORT" \
    --report "$WORK_DIR/traffic.json" "${TRAFFIC_SCENARIO_ARGS[@]}"
  TRAFFIC_CLIENT_PID=${PIDS[-1]}
  wait_for 60 "$SESSIONS sessions open through the cluster" traffic_ready
  log "traffic: $SESSIONS long sessions open, $RATE new sessions/s"
}

monitoring_ready() {
  [[ $(prom_value 'count(cutover_member_up{ha_cluster="'$CLUSTER'"} == 1)') == "$MEMBER_COUNT" ]] &&
    { [[ $SCENARIO == osu ]] ||
      [[ -n $(prom_value 'ha_cluster_member:cutover_standby_parity:ratio{ha_cluster="'$CLUSTER'"}') ]]; } &&
    [[ -n $(prom_value 'up{job="cutover-traffic"} == 1') ]] &&
    [[ -n $(prom_value 'up{job="cutover-actions"} == 1') ]] &&
    curl -fsS --max-time 2 "http://127.0.0.1:$ALERTMANAGER_PORT/-/ready" >/dev/null 2>&1
}

start_monitoring() {
  local conf=$WORK_DIR/conf
  start exporter "$BUILD_DIR/exporter/cutover-exporter" --config.file="$CONFIG_FILE" \
    --web.listen-address="127.0.0.1:$EXPORTER_PORT"
  start actions "$BUILD_DIR/actions/cutover-actions" --config.file="$CONFIG_FILE" \
    --plan.file="$PLAN_FILE" --journal.file="$WORK_DIR/actions.journal" \
    --prometheus.url="$PROM_URL" --web.listen-address="127.0.0.1:$ACTIONS_PORT" \
    --web.auth-token-file="$conf/actions.token"
  start alertmanager prometheus-alertmanager --config.file="$conf/alertmanager.yml" \
    --storage.path="$WORK_DIR/alertmanager" --web.listen-address="127.0.0.1:$ALERTMANAGER_PORT" \
    --cluster.listen-address=
  start prometheus prometheus --config.file="$conf/prometheus.yml" \
    --storage.tsdb.path="$WORK_DIR/prometheus" --web.listen-address="127.0.0.1:$PROM_PORT"
  wait_for 60 "Prometheus to see every member, the parity ratio (pair), traffic and cutover-actions" monitoring_ready
  log "monitoring: Prometheus $PROM_URL, Alertmanager 127.0.0.1:$ALERTMANAGER_PORT, exporter 127.0.0.1:$EXPORTER_PORT, cutover-actions $CUTOVER_ACTIONS_URL"
}

ctl() { "$BUILD_DIR/actions/cutoverctl" "$@"; }

run_hook() {
  (
    set -a
    # shellcheck source=/dev/null
    source "$STATE_DIR/lab.env"
    # shellcheck source=/dev/null
    source "$WORK_DIR/endpoints.env"
    set +a
    bash -c "$1"
  ) >>"$WORK_DIR/hooks.log" 2>&1
}

# Remembers when each step's action began (first seen performing or later), to split a
# step's time into its wait at the gates and the rest.
declare -A ACTION_SEEN
record_action_times() {
  local name state now
  now=$(date +%s.%N)
  while read -r name state; do
    [[ -n $name && -z ${ACTION_SEEN[$name]:-} ]] || continue
    case $state in
      performing | verifying | done | failed) ACTION_SEEN[$name]=$now ;;
    esac
  done < <(jq -r '.runs[0].steps[] | "\(.name) \(.state)"' "$WORK_DIR/status.json")
}

progress_line() {
  jq -r '.runs[0] as $r
    | ($r.steps | map(select(.state != "done" and .state != "pending" and .state != "compensated")) | first) as $s
    | "run \($r.state)" + (if $s then ": step \($s.name) \($s.state)" +
        (if ($s.waiting_for // "") != "" then ", waiting for \($s.waiting_for)" else "" end) else "" end)
      + (if ($r.reason // "") != "" then " (\($r.reason))" else "" end)' "$WORK_DIR/status.json"
}

run_plan() {
  local out started last_print=0 state line param args=() previous=
  for param in "${PLAN_PARAMS[@]}"; do args+=(--param "$param"); done
  log "starting $PLAN with ${PLAN_PARAMS[*]}"
  out=$(ctl start "$PLAN" "${args[@]}" 2>&1) || die "cutoverctl start $PLAN failed: $out"
  RUN_ID=$(grep -oE "$PLAN-[0-9TZ]+" <<<"$out" | head -n 1)
  [[ -n $RUN_ID ]] || RUN_ID=$(ctl status --json | jq -r '.runs[0].id')
  log "started run $RUN_ID"
  local warning
  warning=$(ctl status "$RUN_ID" --json 2>/dev/null | jq -r '.runs[0].warning // empty')
  [[ -z $warning ]] || log "WARNING from the plan: $warning"
  started=$SECONDS
  while :; do
    if ctl status "$RUN_ID" --json >"$WORK_DIR/status.json.tmp" 2>/dev/null; then
      mv "$WORK_DIR/status.json.tmp" "$WORK_DIR/status.json"
      record_action_times
      state=$(jq -r '.runs[0].state' "$WORK_DIR/status.json")
      line=$(progress_line)
      if [[ $line != "$previous" ]] || ((SECONDS - last_print >= 10)); then
        log "$(printf '%4ds' $((SECONDS - started))) $line"
        last_print=$SECONDS
        previous=$line
      fi
      case $state in completed | rolled_back | aborted | failed) break ;; esac
      if [[ $(jq -r '.runs[0].steps[] | select(.name == "upgrade-secondary") | .state' "$WORK_DIR/status.json") == waiting_trigger ]]; then
        if ((!APPROVE)); then
          log "upgrade-secondary waits for an operator's approval (--no-approve): cutoverctl approve $RUN_ID upgrade-secondary"
          state=waiting_approval
          break
        fi
        log "approving upgrade-secondary, as the operator would once the soak is over"
        ctl approve "$RUN_ID" upgrade-secondary >/dev/null || log "cutoverctl approve failed"
      fi
      if [[ $STOP_AT_PAUSE == 1 && $state == paused ]]; then
        log "the run paused: $(jq -r '.runs[0].reason' "$WORK_DIR/status.json") (--stop-at-pause)"
        break
      fi
      if [[ -n $EXEC_AT ]] &&
        [[ $(jq -r --arg s "$EXEC_AT_STEP" '.runs[0].steps[] | select(.name == $s) | .state' "$WORK_DIR/status.json") =~ ^(waiting_trigger|gating|performing|verifying|done)$ ]]; then
        log "running --exec-at $EXEC_AT_STEP: $EXEC_AT"
        run_hook "$EXEC_AT" || log "--exec-at failed"
        EXEC_AT=
      fi
      if [[ -n $EXEC_DURING_SOAK ]] &&
        [[ $(jq -r '.runs[0].steps[] | select(.name == "soak") | .state' "$WORK_DIR/status.json") == verifying ]]; then
        log "running --exec-during-soak: $EXEC_DURING_SOAK"
        run_hook "$EXEC_DURING_SOAK" || log "--exec-during-soak failed"
        EXEC_DURING_SOAK=
      fi
    fi
    ((SECONDS - started < RUN_TIMEOUT_SECONDS)) || {
      log "the run did not finish within $RUN_TIMEOUT; its status:"
      ctl status "$RUN_ID" >&2 || true
      RUN_STATE=timeout
      return
    }
    sleep 1
  done
  RUN_STATE=$state
  log "run $RUN_ID $RUN_STATE"
}

stop_traffic() {
  # A few more echoes after the last step, so a session broken by it shows.
  sleep 3
  kill -TERM "$TRAFFIC_CLIENT_PID" 2>/dev/null || true
  wait "$TRAFFIC_CLIENT_PID" 2>/dev/null || true
  [[ -s $WORK_DIR/traffic.json ]] || die "the traffic client wrote no report ($WORK_DIR/traffic-client.log)"
}

# cutover_member_connections per member over the run, with each step's start marked.
write_timeline() {
  local start end series
  start=$(jq -r '.runs[0].started_at - 20 | floor' "$WORK_DIR/status.json")
  end=$(date +%s)
  series=$(curl -fsS --max-time 10 "$PROM_URL/api/v1/query_range" \
    --data-urlencode "query=cutover_member_connections{ha_cluster=\"$CLUSTER\"}" \
    --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=1" |
    jq -r '.data.result[] | .metric.member as $m | .values[] | "S \($m) \(.[0]) \(.[1])"')
  {
    printf '%s\n' "$series"
    jq -r '.runs[0].steps[] | select(.triggered_at != null) | "M \(.name) \(.triggered_at)"' "$WORK_DIR/status.json"
  } | awk -v t0="$start" -v t1="$end" -v title="$PLAN run $RUN_ID: connections per member" '
    $1 == "S" { n[$2]++; t[$2, n[$2]] = $3; v[$2, n[$2]] = $4; if ($4 > vmax) vmax = $4; members[$2] = 1 }
    $1 == "M" { marks++; mname[marks] = $2; mt[marks] = $3 }
    END {
      W = 960; H = 420; L = 60; R = 20; T = 40; B = 60
      if (vmax <= 0) vmax = 1
      if (t1 <= t0) t1 = t0 + 1
      printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"11\">\n", W, H
      printf "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
      printf "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>\n", L, title
      printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, H - B, W - R, H - B
      printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", L, T, L, H - B
      for (i = 0; i <= 4; i++) {
        y = H - B - i * (H - T - B) / 4
        printf "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", L - 4, y + 4, vmax * i / 4
        printf "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y, W - R, y
      }
      printf "<text x=\"%d\" y=\"%d\">seconds (the run starts at %d; dashed lines: steps triggered)</text>\n", L, H - 10, 20
      for (s = 0; s <= 10; s++) {
        x = L + s * (W - L - R) / 10
        printf "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>\n", x, H - B + 14, (t1 - t0) * s / 10
      }
      for (k = 1; k <= marks; k++) {
        x = L + (mt[k] - t0) * (W - L - R) / (t1 - t0)
        printf "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" stroke-dasharray=\"4,3\"/>\n", x, T, x, H - B
        printf "<text x=\"%.1f\" y=\"%d\" transform=\"rotate(-90 %.1f %d)\" fill=\"#555\">%d. %s</text>\n", x + 3, T + 4, x + 3, T + 4, k, mname[k]
      }
      split("#1f77b4 #d62728 #2ca02c #9467bd", colour, " ")
      c = 0
      for (m in members) {
        c++
        printf "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"", colour[c]
        for (i = 1; i <= n[m]; i++)
          printf "%.1f,%.1f ", L + (t[m, i] - t0) * (W - L - R) / (t1 - t0), H - B - v[m, i] * (H - T - B) / vmax
        printf "\"/>\n"
        printf "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n", W - R - 120 + (c - 1) * 50, 20, colour[c], m
      }
      printf "</svg>\n"
    }' >"$WORK_DIR/timeline.svg"
}

# Every query of the Grafana dashboards, run over the run's time range as Grafana would
# draw it: dashboard-data.tsv says, per panel target, annotation and variable, how many
# series came back ("error" when Prometheus refused the query).
check_dashboard_queries() {
  local tool=$BUILD_DIR/tests/dashboards/cutover-dashboard-queries start end location expr series
  if [[ ! -x $tool ]]; then
    log "dashboards not checked: $tool is built with the tests (cmake --build $BUILD_DIR)"
    return
  fi
  start=$(jq -r '.runs[0].started_at - 20 | floor' "$WORK_DIR/status.json")
  end=$(date +%s)
  "$tool" "$REPO_DIR"/dashboards/*.json | while IFS=$'\t' read -r location expr; do
    series=$(curl -fsS --max-time 10 "$PROM_URL/api/v1/query_range" --data-urlencode "query=$expr" \
      --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=2" |
      jq -r '.data.result | length' 2>/dev/null) || series=error
    printf '%s\t%s\t%s\n' "$location" "${series:-error}" "$expr"
  done >"$WORK_DIR/dashboard-data.tsv"
  log "dashboards: $(awk -F'\t' '$2 > 0' "$WORK_DIR/dashboard-data.tsv" | wc -l) of $(wc -l <"$WORK_DIR/dashboard-data.tsv") queries returned data over the run (dashboard-data.tsv)"
}

# summary.json and the summary printed at the end, by cutover-upgrade-summary
# (lab/summary/): the figures the end-to-end tests assert come from tested code. Beside
# what the traffic saw, the product's own count of packets it dropped as invalid state,
# per step; until the driver exports cutover_member_invalid_state_drops_total the answer
# has no series and those figures are null.
write_summary() {
  local seen=$WORK_DIR/action-seen.txt counters=$WORK_DIR/product-counters.json name start
  local product=()
  : >"$seen"
  for name in "${!ACTION_SEEN[@]}"; do printf '%s %s\n' "$name" "${ACTION_SEEN[$name]}" >>"$seen"; done
  start=$(jq -r '.runs[0].started_at - 20 | floor' "$WORK_DIR/status.json")
  if curl -fsS --max-time 10 "$PROM_URL/api/v1/query_range" \
    --data-urlencode "query=cutover_member_invalid_state_drops_total{ha_cluster=\"$CLUSTER\"}" \
    --data-urlencode "start=$start" --data-urlencode "end=$(date +%s)" --data-urlencode "step=1" \
    >"$counters"; then
    product=(--product-counters "$counters")
  else
    log "could not read the product's invalid-state drops from Prometheus; the summary goes without them"
    rm -f "$counters"
  fi
  echo >&2
  "$BUILD_DIR/lab/summary/cutover-upgrade-summary" --work-dir "$WORK_DIR" --scenario "$SCENARIO" \
    --run-state "$RUN_STATE" --drain-threshold "$DRAIN_THRESHOLD" "${product[@]}" >&2
}

main() {
  parse_options "$@"
  LAB_STARTED=0
  trap cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM
  prepare_work_dir
  EXPORTER_PORT=$(free_port)
  ACTIONS_PORT=$(free_port)
  ALERTMANAGER_PORT=$(free_port)
  PROM_PORT=$(free_port)
  TRAFFIC_PORT=$(free_port)
  PROM_URL=http://127.0.0.1:$PROM_PORT
  export CUTOVER_ACTIONS_URL=http://127.0.0.1:$ACTIONS_PORT
  export CUTOVER_TOKEN_FILE=$WORK_DIR/conf/actions.token
  start_lab
  write_configs
  start_traffic
  start_monitoring
  printf 'PROMETHEUS_URL=%s\nALERTMANAGER_URL=http://127.0.0.1:%s\nCUTOVER_ACTIONS_URL=%s\nCUTOVER_TOKEN_FILE=%s\n' \
    "$PROM_URL" "$ALERTMANAGER_PORT" "$CUTOVER_ACTIONS_URL" "$CUTOVER_TOKEN_FILE" >"$WORK_DIR/endpoints.env"
  if [[ -n $EXEC_BEFORE_RUN ]]; then
    log "running --exec-before-run: $EXEC_BEFORE_RUN"
    run_hook "$EXEC_BEFORE_RUN" || die "--exec-before-run failed (see $WORK_DIR/hooks.log)"
  fi
  run_plan
  stop_traffic
  write_timeline || log "could not draw the timeline"
  check_dashboard_queries
  write_summary
  [[ $RUN_STATE == completed ]]
}

main "$@"
