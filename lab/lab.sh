#!/usr/bin/env bash
# The cutover lab: a real Linux firewall pair (or more members) between a client and a
# server, in network namespaces on this machine. See lab/README.md.
#
#   lab.sh up [--members N] [--selection bgp|vrrp|loadshare] [--state-dir DIR] [--service-port P]
#             [--version V] [--upgrade-seconds S] [--owner PID]
#   lab.sh down                 remove everything the lab created (any number of times)
#   lab.sh status               nodes, daemons, roles; exit 0 only when all is running
#   lab.sh active               the member both routers send traffic through (loadshare:
#                               the members taking new connections)
#   lab.sh role fwN [--force]   make fwN the active member (BGP policy or VRRP priority);
#                               --force: even when fwN cannot commit the synced states
#   lab.sh upgrade fwN [V]      run fwN's upgrade command (stops, switches version, starts)
#   lab.sh ssh NODE [CMD...]    SSH to rtr-c, rtr-s or fwN as the drivers do
#   lab.sh exec NODE CMD...     run CMD inside NODE's namespace (client, server, ...)
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly LAB_DIR
# shellcheck source=lib/common.sh
source "$LAB_DIR/lib/common.sh"
# shellcheck source=lib/topology.sh
source "$LAB_DIR/lib/topology.sh"
# shellcheck source=lib/services.sh
source "$LAB_DIR/lib/services.sh"
# shellcheck source=lib/roles.sh
source "$LAB_DIR/lib/roles.sh"
# shellcheck source=lib/teardown.sh
source "$LAB_DIR/lib/teardown.sh"
# shellcheck source=lib/steering.sh
source "$LAB_DIR/lib/steering.sh"

MEMBERS=2
SELECTION=bgp
STATE_DIR=${TMPDIR:-/tmp}/co-lab
SERVICE_PORT=7000
INITIAL_VERSION=1.0.0
UPGRADE_SECONDS=3
OWNER_PID=""
FORCE=0

usage() {
  sed -n '2,/^# shellcheck/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

require_root() {
  [[ $(id -u) -eq 0 ]] || die "the lab creates network namespaces: run it as root"
}

# Serialises lab commands on this machine: one lab exists at a time.
take_lab_lock() {
  exec 9>"$LAB_LOCK_FILE"
  flock -w 120 9 || die "another lab.sh command holds $LAB_LOCK_FILE for over 2 minutes"
}

parse_up_options() {
  while (($#)); do
    case "$1" in
      --members) MEMBERS=${2:?--members needs a number} && shift ;;
      --selection) SELECTION=${2:?--selection needs bgp, vrrp or loadshare} && shift ;;
      --state-dir) STATE_DIR=${2:?--state-dir needs a directory} && shift ;;
      --service-port) SERVICE_PORT=${2:?--service-port needs a port} && shift ;;
      --version) INITIAL_VERSION=${2:?--version needs a version} && shift ;;
      --upgrade-seconds) UPGRADE_SECONDS=${2:?--upgrade-seconds needs seconds} && shift ;;
      --owner) OWNER_PID=${2:?--owner needs the PID of the process the lab lives for} && shift ;;
      *) die "up: unknown option '$1' (see lab.sh --help)" ;;
    esac
    shift
  done
  if ! [[ $MEMBERS =~ ^[0-9]+$ ]] || ((MEMBERS < 2 || MEMBERS > MAX_MEMBERS)); then
    die "--members $MEMBERS: give 2 to $MAX_MEMBERS"
  fi
  [[ $SELECTION == bgp || $SELECTION == vrrp || $SELECTION == loadshare ]] ||
    die "--selection $SELECTION: give bgp, vrrp or loadshare"
  if ! [[ $SERVICE_PORT =~ ^[0-9]+$ ]] || ((SERVICE_PORT < 1 || SERVICE_PORT > 65535)); then
    die "--service-port $SERVICE_PORT: give a TCP port number"
  fi
  [[ $INITIAL_VERSION =~ ^[A-Za-z0-9.+~_-]+$ ]] || die "--version $INITIAL_VERSION: letters, digits and . + ~ _ - only"
  [[ $UPGRADE_SECONDS =~ ^[0-9]+$ ]] || die "--upgrade-seconds $UPGRADE_SECONDS: give whole seconds"
  if [[ -n $OWNER_PID ]] && ! process_start_time "$OWNER_PID" >/dev/null; then
    die "--owner $OWNER_PID: give the PID of a running process (the lab lives as long as it does)"
  fi
  mkdir -p "$STATE_DIR"
  STATE_DIR=$(cd "$STATE_DIR" && pwd)
}

# What the lab is, for `down`, `status` and the drivers' configuration: sourceable
# shell, kept in /run/co-lab/lab.env and $STATE_DIR/lab.env; and the state directory at
# the fixed path /run/co-lab/state (a link, removed with /run/co-lab by teardown_lab).
write_lab_record() {
  local member upper
  {
    printf 'LAB_STATE_DIR=%s\n' "$STATE_DIR"
    printf 'LAB_MEMBERS=%s\n' "$MEMBERS"
    printf 'LAB_SELECTION=%s\n' "$SELECTION"
    printf 'LAB_SERVICE_PORT=%s\n' "$SERVICE_PORT"
    if [[ -n $OWNER_PID ]]; then
      printf 'LAB_OWNER_PID=%s\nLAB_OWNER_START=%s\n' "$OWNER_PID" "$(process_start_time "$OWNER_PID")"
    fi
    printf 'LAB_CLIENT_NS=%s\nLAB_CLIENT_ADDR=%s\n' "$(ns_of client)" "$CLIENT_ADDR"
    printf 'LAB_SERVER_NS=%s\nLAB_SERVER_ADDR=%s\n' "$(ns_of server)" "$SERVER_ADDR"
    printf 'LAB_SSH_CONFIG=%s/ssh/config\n' "$STATE_DIR"
    printf 'LAB_SSH_IDENTITY=%s/ssh/id_ed25519\n' "$STATE_DIR"
    printf 'LAB_SSH_KNOWN_HOSTS=%s/ssh/known_hosts\n' "$STATE_DIR"
    printf 'LAB_RTR_C_MGMT_ADDR=%s\nLAB_RTR_S_MGMT_ADDR=%s\n' "$RTR_C_MGMT_ADDR" "$RTR_S_MGMT_ADDR"
    for member in $(member_names); do
      upper=${member^^}
      printf 'LAB_%s_NS=%s\n' "$upper" "$(ns_of "$member")"
      printf 'LAB_%s_MGMT_ADDR=%s\n' "$upper" "$(member_mgmt_addr "$member")"
      printf 'LAB_%s_DIR=%s\n' "$upper" "$(node_dir "$member")"
    done
  } >"$STATE_DIR/lab.env"
  mkdir -p "$LAB_RECORD_DIR"
  cp "$STATE_DIR/lab.env" "$LAB_RECORD_DIR/lab.env"
  publish_state_dir
}

publish_state_dir() { ln -sfn "$STATE_DIR" "$LAB_STATE_LINK"; }

load_lab_record() {
  [[ -f $LAB_RECORD_DIR/lab.env ]] || die "no lab is up (no $LAB_RECORD_DIR/lab.env); start one with lab.sh up"
  STATE_DIR=$(recorded_value STATE_DIR)
  MEMBERS=$(recorded_value MEMBERS)
  SELECTION=$(recorded_value SELECTION)
  SERVICE_PORT=$(recorded_value SERVICE_PORT)
}

same_lab_is_up() {
  [[ -f $LAB_RECORD_DIR/lab.env ]] || return 1
  [[ $(recorded_value STATE_DIR) == "$STATE_DIR" && $(recorded_value MEMBERS) == "$MEMBERS" &&
    $(recorded_value SELECTION) == "$SELECTION" && $(recorded_value SERVICE_PORT) == "$SERVICE_PORT" ]] ||
    return 1
  all_daemons_running
}

# A lab started with --owner lives for that process (a test, run-upgrade.sh). Once the
# process has exited without `down` (killed, timed out, machine's session ended), the lab
# is abandoned and the next `up` may take its place. The start time guards against a
# recycled PID. A lab without an owner is an operator's and is never taken.
abandoned_lab_owner() {
  [[ -f $LAB_RECORD_DIR/lab.env ]] || return 1
  local pid start
  pid=$(recorded_value OWNER_PID)
  start=$(recorded_value OWNER_START)
  [[ -n $pid && -n $start ]] || return 1
  [[ $(process_start_time "$pid" 2>/dev/null) != "$start" ]] || return 1
  printf '%s\n' "$pid"
}

# A reused state directory starts clean: logs and keys of an earlier run would mislead.
forget_previous_run() {
  rm -rf "${STATE_DIR:?}"/{rtr-c,rtr-s,ssh} "$STATE_DIR"/fw[0-9]*
}

cmd_up() {
  require_root
  parse_up_options "$@"
  take_lab_lock
  local abandoned_by
  if abandoned_by=$(abandoned_lab_owner); then
    log "taking the place of a lab abandoned by exited process $abandoned_by (state was in $(recorded_value STATE_DIR))"
    teardown_lab
  fi
  if [[ -n $(lab_namespaces) ]]; then
    if same_lab_is_up; then
      publish_state_dir
      log "the lab is already up (state in $STATE_DIR, also $LAB_STATE_LINK)"
      return 0
    fi
    if [[ -f $LAB_RECORD_DIR/lab.env ]]; then
      die "a lab with other options or stopped daemons is up ($(recorded_value MEMBERS) members, $(recorded_value SELECTION) selection, state in $(recorded_value STATE_DIR)); run lab.sh down first"
    fi
    die "leftovers of an earlier lab exist ($(lab_namespaces | paste -sd' ')); run lab.sh down first"
  fi
  # Without namespaces no lab runs: whatever else is left (host link, FRR directories,
  # record) belongs to an interrupted run and would only get in the way.
  teardown_lab
  local started
  started=$(now_ms)
  trap 'log "up failed or was interrupted; removing what it created (logs stay in $STATE_DIR)"; teardown_lab' EXIT
  trap 'exit 130' INT TERM
  forget_previous_run
  write_lab_record
  create_topology
  start_services
  log "topology and daemons up in $(($(now_ms) - started)) ms; waiting for fw1 to carry the traffic"
  wait_until 60 converged_on fw1 ||
    die "the routers did not converge on fw1 within 60 s ($SELECTION selection); see $STATE_DIR/*/frr.log or keepalived.out"
  trap - EXIT INT TERM
  log "up: $MEMBERS members, $SELECTION selection, fw1 active; converged $(($(now_ms) - started)) ms after start"
  log "state, logs and SSH config in $STATE_DIR, also $LAB_STATE_LINK while the lab is up (source $STATE_DIR/lab.env)"
}

cmd_down() {
  require_root
  take_lab_lock
  teardown_lab
  log "down: no lab namespaces, processes or addresses left"
}

daemon_running_in() {
  local node=$1 pattern=$2 pid
  for pid in $(ip netns pids "$(ns_of "$node")" 2>/dev/null); do
    # sshd renames its listener "sshd: /usr/sbin/sshd ... [listener]".
    [[ $(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") =~ ^(sshd: )?"$pattern" ]] && return 0
  done
  return 1
}

expected_daemons() {
  case "$1" in
    rtr-c | rtr-s)
      echo /usr/sbin/sshd
      [[ $SELECTION != bgp ]] || echo /usr/lib/frr/zebra /usr/lib/frr/bgpd
      ;;
    fw*)
      echo /usr/sbin/sshd conntrackd
      case $SELECTION in
        bgp) echo /usr/lib/frr/zebra /usr/lib/frr/bgpd ;;
        vrrp) echo keepalived ;;
      esac
      ;;
    mgmt) [[ $SELECTION != loadshare ]] || echo "bash $STATE_DIR/co-steer" ;;
  esac
}

all_daemons_running() {
  local node daemon
  for node in mgmt $(managed_nodes); do
    for daemon in $(expected_daemons "$node"); do
      daemon_running_in "$node" "$daemon" || return 1
    done
  done
}

cmd_status() {
  require_root
  load_lab_record
  local node daemon line ok=0 member
  printf 'lab: %s members, %s selection, state in %s' "$MEMBERS" "$SELECTION" "$STATE_DIR"
  if [[ -n $(recorded_value OWNER_PID) ]]; then
    printf ', lives for process %s%s' "$(recorded_value OWNER_PID)" "$(abandoned_lab_owner >/dev/null && echo ' (exited: abandoned)')"
  fi
  printf '\n'
  for node in client server $(managed_nodes); do
    if ! ip netns list | grep -qx "$(ns_of "$node")\( .*\)\{0,1\}"; then
      printf '%-6s namespace %s missing\n' "$node" "$(ns_of "$node")"
      ok=1
      continue
    fi
    line=""
    for daemon in $(expected_daemons "$node"); do
      if daemon_running_in "$node" "$daemon"; then line+=" ${daemon##*/}:up"; else line+=" ${daemon##*/}:DOWN" ok=1; fi
    done
    if [[ $node == fw* ]]; then
      line+=" version:$(cat "$(node_dir "$node")/version" 2>/dev/null)"
      if [[ $SELECTION == loadshare ]]; then
        line+=" role:$(member_view "$node" role) accepting:$(member_view "$node" accepting)"
        line+=" mark:$(member_view "$node" mark)"
      else
        line+=" state:$(vrrp_state_of "$node")"
      fi
      line+=" conntrack:$(in_ns "$node" conntrack -C 2>/dev/null)"
    fi
    [[ -n $line ]] || line=" namespace up"
    printf '%-6s%s\n' "$node" "$line"
  done
  if [[ $SELECTION == loadshare ]]; then
    if daemon_running_in mgmt "bash $STATE_DIR/co-steer"; then
      printf 'steering: running; new connections to: %s\n' "$(accepting_members)"
    else
      printf 'steering: DOWN (%s/steering.log)\n' "$STATE_DIR"
      ok=1
    fi
    return $ok
  fi
  for node in rtr-c rtr-s; do
    printf '%s next hop member: %s' "$node" "$(router_next_hop_member "$node")"
    [[ $SELECTION != bgp ]] || printf ' (%s of %s BGP sessions established)' "$(established_sessions "$node")" "$MEMBERS"
    printf '\n'
  done
  member=$(active_member)
  printf 'active member: %s\n' "$member"
  [[ $member == fw* ]] || ok=1
  return $ok
}

require_member() {
  if ! [[ $1 =~ ^fw[0-9]+$ ]] || (($(member_index "$1") < 1 || $(member_index "$1") > MEMBERS)); then
    die "$2 $1: the members are $(member_names | paste -sd' ')"
  fi
}

cmd_active() {
  require_root
  load_lab_record
  if [[ $SELECTION == loadshare ]]; then accepting_members; else active_member; fi
}

cmd_role() {
  require_root
  load_lab_record
  local member=${1:?role needs a member, e.g. fw2}
  require_member "$member" role
  [[ $SELECTION != loadshare ]] ||
    die "role: a load-sharing lab has no active member to move; members join and leave with their co-cluster (lab.sh ssh $member \$STATE/$member/bin/co-cluster disconnect|connect|...)"
  case ${2:-} in
    "") ;;
    --force) FORCE=1 ;;
    *) die "role $member $2: the only option is --force" ;;
  esac
  take_lab_lock
  move_role "$member"
}

cmd_upgrade() {
  require_root
  load_lab_record
  local member=${1:?upgrade needs a member, e.g. fw2}
  require_member "$member" upgrade
  in_ns "$member" "$(node_dir "$member")/bin/co-upgrade" "${@:2}"
}

cmd_ssh() {
  load_lab_record
  exec ssh -F "$STATE_DIR/ssh/config" "$@"
}

cmd_exec() {
  require_root
  local node=${1:?exec needs a node, e.g. client}
  shift
  exec ip netns exec "$(ns_of "$node")" "$@"
}

main() {
  local command=${1:-}
  (($#)) && shift
  case "$command" in
    up) cmd_up "$@" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    active) cmd_active ;;
    role) cmd_role "$@" ;;
    upgrade) cmd_upgrade "$@" ;;
    ssh) cmd_ssh "$@" ;;
    exec) cmd_exec "$@" ;;
    *) usage ;;
  esac
}

main "$@"
