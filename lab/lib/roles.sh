# shellcheck shell=bash
# Which member is active, waiting for the routers to agree, and moving the role.
# Sourced by lab.sh.

vtysh_on() {
  local node=$1
  shift
  local args=() command
  for command in "$@"; do args+=(-c "$command"); done
  vtysh -N "$(ns_of "$node")" "${args[@]}"
}

# BGP: the member whose address is the router's next hop for the protected network.
# VRRP: the member holding the virtual address the router's route points to. "-": none.
router_next_hop_member() {
  local router=$1 net via member
  if [[ $router == rtr-c ]]; then net=$SERVER_NET; else net=$CLIENT_NET; fi
  via=$(ip -n "$(ns_of "$router")" -4 route show "$net" | awk '{for (i = 1; i < NF; i++) if ($i == "via") print $(i + 1)}')
  for member in $(member_names); do
    if [[ $via == "$(member_outside_addr "$member")" || $via == "$(member_inside_addr "$member")" ]] ||
      { [[ $via == "$OUTSIDE_VIP" || $via == "$INSIDE_VIP" ]] &&
        ip -n "$(ns_of "$member")" -4 -o addr show | grep -q " $via/"; }; then
      echo "$member"
      return
    fi
  done
  echo -
}

# The member both routers send traffic through, "split" if they disagree, "-" if none.
active_member() {
  local c s
  c=$(router_next_hop_member rtr-c)
  s=$(router_next_hop_member rtr-s)
  if [[ $c == "$s" ]]; then echo "$c"; else echo split; fi
}

established_sessions() {
  vtysh_on "$1" "show bgp neighbors json" 2>/dev/null | grep -c '"bgpState":"Established"' || true
}

bgp_converged_on() {
  local member=$1 router
  for router in rtr-c rtr-s; do
    (($(established_sessions "$router") == MEMBERS)) || return 1
    [[ $(router_next_hop_member "$router") == "$member" ]] || return 1
  done
}

vrrp_state_of() {
  awk 'END {print $3}' "$(node_dir "$1")/vrrp-state" 2>/dev/null
}

vrrp_converged_on() {
  local member=$1 other
  [[ $(vrrp_state_of "$member") == MASTER ]] || return 1
  for other in $(member_names); do
    [[ $other == "$member" || $(vrrp_state_of "$other") == BACKUP ]] || return 1
  done
  [[ $(active_member) == "$member" ]]
}

converged_on() {
  case $SELECTION in
    bgp) bgp_converged_on "$1" ;;
    vrrp) vrrp_converged_on "$1" ;;
    loadshare) loadshare_converged ;;
  esac
}

# The route-map change and soft clear that make a member active or standby; the same
# commands an frr-bgp driver sends over SSH (see lab/README.md).
set_member_announcement() {
  local member=$1 role=$2 set_line
  if [[ $role == active ]]; then
    set_line="no set as-path prepend"
  else
    set_line="set as-path prepend $STANDBY_PREPEND"
  fi
  vtysh_on "$member" "configure terminal" "route-map co-announce permit 10" "$set_line" \
    "end" "clear bgp * soft" "write memory" >/dev/null
}

# BGP: commit the synced states on the new active before any traffic reaches it,
# turn the routing policy, wait until both routers use the new member, then let the
# notify script finish the handover (commit what arrived meanwhile, resync the peers).
# A member that cannot commit (conntrackd down) would drop every session it lacks state
# for: the move stops there unless FORCE=1 (lab.sh role --force), which shows exactly that.
move_role_bgp() {
  local new=$1 member committed
  if ! committed=$(in_ns "$new" conntrackd -C "$(node_dir "$new")/conntrackd.conf" -c 2>&1); then
    if ((!FORCE)); then
      log "$new cannot commit the synced states (conntrackd -c: ${committed:-no output}); the sessions it lacks would break. Start its conntrackd, or move anyway with lab.sh role $new --force"
      return 2
    fi
    log "$new cannot commit the synced states (conntrackd -c: ${committed:-no output}); moving anyway (--force): sessions it has no state for will break"
  fi
  set_member_announcement "$new" active
  for member in $(member_names); do
    [[ $member == "$new" ]] || set_member_announcement "$member" standby
  done
  wait_until 30 bgp_converged_on "$new" || return 1
  notify_member "$new" MASTER
  for member in $(member_names); do
    [[ $member == "$new" ]] || notify_member "$member" BACKUP
  done
}

# VRRP: a track-file offset of +100 lifts the new member above every configured
# priority; keepalived's notify script commits the states on the new master.
move_role_vrrp() {
  local new=$1 member
  for member in $(member_names); do
    if [[ $member == "$new" ]]; then
      printf '100\n' >"$(node_dir "$member")/vrrp-priority"
    else
      printf '0\n' >"$(node_dir "$member")/vrrp-priority"
    fi
  done
  wait_until 30 vrrp_converged_on "$new"
}

move_role() {
  local new=$1 started status=0
  started=$(now_ms)
  "move_role_$SELECTION" "$new" || status=$?
  ((status != 2)) || die "the role stays where it is"
  ((status == 0)) || die "the routers did not move to $new within 30 s (lab.sh status shows where they point)"
  log "$new is active; routers converged in $(($(now_ms) - started)) ms"
}
