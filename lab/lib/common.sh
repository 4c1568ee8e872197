# shellcheck shell=bash
# Names, addresses and small helpers shared by the lab's commands. Sourced by lab.sh.
#
# Everything the lab creates on this machine carries the prefix "co-": namespaces
# (co-client, co-fw1, ...), the host's management link (co-mgmt), FRR's pathspace
# directories (/etc/frr/co-*, /var/run/frr/co-*) and the lab's record (/run/co-lab, with
# the link /run/co-lab/state to the state directory), so `down` can find leftovers of
# any run. Addresses are private test ranges that exist only inside the namespaces,
# except the host's one address on the management link.

readonly LAB_PREFIX=co-
readonly LAB_RECORD_DIR=/run/co-lab
# The state directory at a fixed path while the lab is up (one lab per machine):
# configurations name the lab's files under it (examples/lab/*.yml) and are used as shipped.
readonly LAB_STATE_LINK=$LAB_RECORD_DIR/state
readonly LAB_LOCK_FILE=/run/co-lab.lock
readonly HOST_MGMT_LINK=co-mgmt
readonly FRR_CONFIG_ROOT=/etc/frr
readonly FRR_RUN_ROOT=/var/run/frr

readonly CLIENT_NET=10.99.1.0/24
readonly CLIENT_ADDR=10.99.1.10
readonly RTR_C_CLIENT_ADDR=10.99.1.1
readonly SERVER_NET=10.99.2.0/24
readonly SERVER_ADDR=10.99.2.10
readonly RTR_S_SERVER_ADDR=10.99.2.1
readonly OUTSIDE_NET=10.99.10.0/24
readonly RTR_C_OUTSIDE_ADDR=10.99.10.1
readonly OUTSIDE_VIP=10.99.10.100
readonly INSIDE_NET=10.99.20.0/24
readonly RTR_S_INSIDE_ADDR=10.99.20.1
readonly INSIDE_VIP=10.99.20.100
readonly SYNC_NET=172.31.99.0/24
readonly MGMT_NET=172.31.250.0/24
readonly HOST_MGMT_ADDR=172.31.250.1
readonly RTR_C_MGMT_ADDR=172.31.250.2
readonly RTR_S_MGMT_ADDR=172.31.250.3

readonly RTR_C_ASN=65001
readonly RTR_S_ASN=65002
readonly MEMBER_ASN=65010
# A standby announces the protected prefixes with this many extra copies of its AS.
readonly STANDBY_PREPEND="$MEMBER_ASN $MEMBER_ASN $MEMBER_ASN"

readonly MAX_MEMBERS=8

log() { printf 'lab: %s\n' "$*" >&2; }
die() {
  printf 'lab: error: %s\n' "$*" >&2
  exit 1
}

# When a process started, in clock ticks since boot (field 22 of /proc/PID/stat, read
# after the command name, which may hold spaces); fails when there is no such process.
process_start_time() {
  [[ $1 =~ ^[0-9]+$ ]] || return 1
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  awk '{print $20}' <<<"${stat##*) }"
}

# Namespace of a lab node: client, server, rtr-c, rtr-s, mgmt, sync, fw1.. -> co-<node>.
ns_of() { printf '%s%s\n' "$LAB_PREFIX" "$1"; }

member_names() {
  local i
  for ((i = 1; i <= MEMBERS; i++)); do printf 'fw%d\n' "$i"; done
}

member_index() { printf '%s\n' "${1#fw}"; }
member_outside_addr() { printf '10.99.10.%d\n' $((10 + $(member_index "$1"))); }
member_inside_addr() { printf '10.99.20.%d\n' $((10 + $(member_index "$1"))); }
member_sync_addr() { printf '172.31.99.%d\n' "$(member_index "$1")"; }
member_outside_mac() { printf '02:99:10:00:00:%02x\n' "$(member_index "$1")"; }
member_inside_mac() { printf '02:99:20:00:00:%02x\n' "$(member_index "$1")"; }
member_mgmt_addr() { printf '172.31.250.%d\n' $((10 + $(member_index "$1"))); }
# fw1 150, fw2 140, ...: fw1 is master until a track-file offset says otherwise.
member_vrrp_priority() { printf '%d\n' $((160 - 10 * $(member_index "$1"))); }

node_mgmt_addr() {
  case "$1" in
    rtr-c) printf '%s\n' "$RTR_C_MGMT_ADDR" ;;
    rtr-s) printf '%s\n' "$RTR_S_MGMT_ADDR" ;;
    fw*) member_mgmt_addr "$1" ;;
  esac
}

# Nodes that run sshd (the drivers' way in) and, with BGP selection, FRR.
managed_nodes() {
  printf '%s\n' rtr-c rtr-s
  member_names
}

# Closes fd 9 (the lab lock, see take_lab_lock) so daemons started here do not hold it.
in_ns() {
  local node=$1
  shift
  ip netns exec "$(ns_of "$node")" "$@" 9>&-
}

# Replaces every @KEY@ in template $1 by the value given as KEY=value and writes $2
# ("-": standard output).
render_template() {
  local template=$1 target=$2 text pair
  shift 2
  text=$(<"$LAB_DIR/templates/$template")
  for pair in "$@"; do
    text=${text//@${pair%%=*}@/${pair#*=}}
  done
  if [[ $text =~ @[A-Z_]+@ ]]; then
    die "template $template: no value for ${BASH_REMATCH[0]} (pass it to render_template)"
  fi
  if [[ $target == - ]]; then
    printf '%s\n' "$text"
  else
    printf '%s\n' "$text" >"$target"
  fi
}

# Polls "$@" every 0.2 s until it succeeds or $1 seconds pass; false on timeout.
wait_until() {
  local timeout=$1 deadline
  shift
  deadline=$(($(date +%s%N) + timeout * 1000000000))
  until "$@" >/dev/null 2>&1; do
    (($(date +%s%N) < deadline)) || return 1
    sleep 0.2
  done
}

now_ms() { printf '%d\n' $(($(date +%s%N) / 1000000)); }
