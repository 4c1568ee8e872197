# shellcheck shell=bash
# Removes everything the lab creates, whatever state a previous run left it in. Safe to
# run any number of times. Sourced by lab.sh.

lab_namespaces() {
  ip netns list | awk -v prefix="$LAB_PREFIX" 'index($1, prefix) == 1 {print $1}'
}

# Daemons of the lab that are no longer inside a named namespace (e.g. the namespace
# was deleted by hand while they ran): FRR instances of a co- pathspace, and conntrackd,
# keepalived and sshd started with a configuration under the recorded state directory.
lab_processes_outside_namespaces() {
  local pid cmdline
  for pid in /proc/[0-9]*; do
    pid=${pid#/proc/}
    cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    if [[ $cmdline == *" -N $LAB_PREFIX"* ]] ||
      [[ -n ${RECORDED_STATE_DIR:-} && $cmdline =~ ^(conntrackd|keepalived|/usr/sbin/sshd)\  &&
        $cmdline == *" $RECORDED_STATE_DIR/"* ]]; then
      echo "$pid"
    fi
  done
}

lab_pids() {
  local ns
  for ns in $(lab_namespaces); do ip netns pids "$ns" 2>/dev/null || true; done
  lab_processes_outside_namespaces
}

stop_lab_processes() {
  local pids tries=20
  pids=$(lab_pids | sort -u)
  [[ -n $pids ]] || return 0
  # shellcheck disable=SC2086 # one pid per word
  kill $pids 2>/dev/null || true
  while ((tries-- > 0)); do
    pids=$(lab_pids | sort -u)
    [[ -n $pids ]] || return 0
    sleep 0.1
  done
  log "killing processes that ignored SIGTERM: $(echo $pids)"
  # shellcheck disable=SC2086
  kill -9 $pids 2>/dev/null || true
}

# FRR writes its log into its run directory; keep a copy next to the other logs.
save_frr_logs() {
  local dir node
  [[ -n ${RECORDED_STATE_DIR:-} && -d $RECORDED_STATE_DIR ]] || return 0
  for dir in "$FRR_RUN_ROOT/$LAB_PREFIX"*; do
    [[ -f $dir/frr.log ]] || continue
    node=${dir##*/"$LAB_PREFIX"}
    mkdir -p "$RECORDED_STATE_DIR/$node"
    cp "$dir/frr.log" "$RECORDED_STATE_DIR/$node/frr.log" 2>/dev/null || true
  done
}

teardown_lab() {
  local ns
  RECORDED_STATE_DIR=$(recorded_value STATE_DIR)
  stop_lab_processes
  save_frr_logs
  # The host end first: the kernel destroys a deleted namespace's links asynchronously,
  # so the veth would otherwise outlive `ip netns del` for a moment.
  ip link del "$HOST_MGMT_LINK" 2>/dev/null || true
  for ns in $(lab_namespaces); do ip netns del "$ns" 2>/dev/null || true; done
  wait_until 5 host_mgmt_link_gone || log "warning: $HOST_MGMT_LINK still exists after 5 s"
  # The record with the state link ($LAB_STATE_LINK): rm removes the link, the state
  # directory stays.
  rm -rf "$FRR_CONFIG_ROOT/$LAB_PREFIX"* "$FRR_RUN_ROOT/$LAB_PREFIX"* "$LAB_RECORD_DIR"
}

host_mgmt_link_gone() { ! ip link show "$HOST_MGMT_LINK" >/dev/null 2>&1; }

recorded_value() {
  [[ -f $LAB_RECORD_DIR/lab.env ]] || return 0
  sed -n "s/^LAB_$1=//p" "$LAB_RECORD_DIR/lab.env" | tail -1
}
