# shellcheck shell=bash
# Per-node configuration and daemons: sshd on every managed node, and on each member
# nftables, conntrackd and its role daemon (FRR or keepalived). Sourced by lab.sh.

node_dir() { printf '%s/%s\n' "$STATE_DIR" "$1"; }
frr_config_dir() { printf '%s/%s\n' "$FRR_CONFIG_ROOT" "$(ns_of "$1")"; }
frr_run_dir() { printf '%s/%s\n' "$FRR_RUN_ROOT" "$(ns_of "$1")"; }

role_daemon() {
  case $SELECTION in
    bgp) echo frr ;;
    vrrp) echo keepalived ;;
    loadshare) echo none ;; # the routers' steering decides (lib/steering.sh)
  esac
}

new_ssh_key() {
  rm -f "$1" "$1.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1"
}

# One client key for the drivers, a host key per node, and a known_hosts naming each
# node by management address, short name and namespace name.
write_ssh_files() {
  local node addr hosts=""
  mkdir -p "$STATE_DIR/ssh"
  new_ssh_key "$STATE_DIR/ssh/id_ed25519" cutover-lab-client
  cp "$STATE_DIR/ssh/id_ed25519.pub" "$STATE_DIR/ssh/authorized_keys"
  : >"$STATE_DIR/ssh/known_hosts"
  for node in $(managed_nodes); do
    addr=$(node_mgmt_addr "$node")
    new_ssh_key "$(node_dir "$node")/ssh_host_ed25519_key" "$(ns_of "$node")"
    printf '%s,%s,%s %s\n' "$addr" "$node" "$(ns_of "$node")" \
      "$(cut -d' ' -f1,2 "$(node_dir "$node")/ssh_host_ed25519_key.pub")" \
      >>"$STATE_DIR/ssh/known_hosts"
    hosts+="Host $node $(ns_of "$node")"$'\n'"  HostName $addr"$'\n'
  done
  render_template ssh_config "$STATE_DIR/ssh/config" STATE_DIR="$STATE_DIR" HOSTS="$hosts"
}

start_sshd() {
  local node=$1 dir
  dir=$(node_dir "$node")
  mkdir -p /run/sshd # privilege separation directory; Debian makes it only in its unit
  render_template sshd_config "$dir/sshd_config" NODE="$node" NODE_DIR="$dir" \
    STATE_DIR="$STATE_DIR" MGMT_ADDR="$(node_mgmt_addr "$node")"
  in_ns "$node" /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log" </dev/null >/dev/null 2>&1
}

# FRR's -N pathspace: /etc/frr/co-NODE and /var/run/frr/co-NODE, owned by user frr.
prepare_frr_dirs() {
  local node=$1 conf run
  conf=$(frr_config_dir "$node")
  run=$(frr_run_dir "$node")
  mkdir -p "$conf" "$run"
  render_template vtysh.conf "$conf/vtysh.conf"
  chown -R frr:frr "$conf" "$run"
  ln -sfn "$conf" "$(node_dir "$node")/frr"
}

start_router_frr() {
  local node=$1 daemon
  for daemon in zebra bfdd bgpd; do
    in_ns "$node" setsid "/usr/lib/frr/$daemon" -N "$(ns_of "$node")" -d -P 0 \
      -f "$(frr_config_dir "$node")/frr.conf" </dev/null >>"$(node_dir "$node")/frr.out" 2>&1
  done
}

# rtr-c learns the server network from the members, rtr-s the client network.
write_router_frr_config() {
  local node=$1 asn protected_net member addr route_maps="" neighbors="" policies=""
  if [[ $node == rtr-c ]]; then
    asn=$RTR_C_ASN protected_net=$SERVER_NET
  else
    asn=$RTR_S_ASN protected_net=$CLIENT_NET
  fi
  for member in $(member_names); do
    if [[ $node == rtr-c ]]; then addr=$(member_outside_addr "$member"); else addr=$(member_inside_addr "$member"); fi
    route_maps+=$(render_template frr-from-member.block - MEMBER="$member")$'\n'
    neighbors+=" neighbor $addr peer-group co-members"$'\n'
    neighbors+=" neighbor $addr description $member"$'\n'
    policies+="  neighbor $addr route-map co-from-$member in"$'\n'
  done
  prepare_frr_dirs "$node"
  render_template frr-router.conf "$(frr_config_dir "$node")/frr.conf" \
    NS="$(ns_of "$node")" FRR_RUN_DIR="$(frr_run_dir "$node")" ASN="$asn" \
    ROUTER_ID="$(node_mgmt_addr "$node")" MEMBER_ASN="$MEMBER_ASN" \
    PROTECTED_NET="$protected_net" FROM_MEMBER_ROUTE_MAPS="$route_maps" \
    NEIGHBORS="${neighbors%$'\n'}" NEIGHBOR_POLICIES="${policies%$'\n'}"
  chown frr:frr "$(frr_config_dir "$node")/frr.conf"
}

write_member_frr_config() {
  local member=$1 announce_set=""
  [[ $member == fw1 ]] || announce_set=" set as-path prepend $STANDBY_PREPEND"
  prepare_frr_dirs "$member"
  render_template frr-member.conf "$(frr_config_dir "$member")/frr.conf" \
    NS="$(ns_of "$member")" FRR_RUN_DIR="$(frr_run_dir "$member")" \
    SERVER_NET="$SERVER_NET" CLIENT_NET="$CLIENT_NET" ANNOUNCE_SET="$announce_set" \
    MEMBER_ASN="$MEMBER_ASN" ROUTER_ID="$(member_mgmt_addr "$member")" \
    RTR_C_ADDR="$RTR_C_OUTSIDE_ADDR" RTR_C_ASN="$RTR_C_ASN" \
    RTR_S_ADDR="$RTR_S_INSIDE_ADDR" RTR_S_ASN="$RTR_S_ASN"
  chown frr:frr "$(frr_config_dir "$member")/frr.conf"
}

# FTFW's reliable delivery tracks one sequence of messages: with several senders on one
# multicast group a receiver keeps only part of the states (seen here: a quarter of each
# peer's). Load sharing, where every member must hold every other's states, uses NOTRACK.
conntrackd_sync_mode() {
  if [[ $SELECTION == loadshare ]]; then echo NOTRACK; else echo FTFW; fi
}

conntrackd_transport_block() {
  local member=$1
  if ((MEMBERS == 2)); then
    local peer=fw2
    [[ $member == fw1 ]] || peer=fw1
    render_template conntrackd-udp.block - SYNC_ADDR="$(member_sync_addr "$member")" \
      PEER_SYNC_ADDR="$(member_sync_addr "$peer")"
  else
    # Load sharing: members of one version sync among themselves only, as versions that
    # cannot read each other's sync messages would (Check Point: "Release version
    # mismatch"); co-upgrade moves a member to its new version's group.
    local group=3780
    [[ $SELECTION != loadshare ]] ||
      group=$("$(node_dir "$member")/bin/co-sync-group" "$INITIAL_VERSION")
    render_template conntrackd-multicast.block - SYNC_ADDR="$(member_sync_addr "$member")" \
      SYNC_GROUP="$group"
  fi
}

write_member_files() {
  local member=$1 dir script
  dir=$(node_dir "$member")
  mkdir -p "$dir/bin"
  printf '%s\n' "$INITIAL_VERSION" >"$dir/version"
  printf '0\n' >"$dir/vrrp-priority"
  rm -f "$dir/vrrp-state"
  render_template nftables.conf "$dir/nftables.conf" NODE="$member" \
    CLIENT_NET="$CLIENT_NET" SERVER_NET="$SERVER_NET" SERVICE_PORT="$SERVICE_PORT"
  for script in co-services co-notify co-upgrade co-cluster co-sync-group; do
    render_template "member/$script" "$dir/bin/$script" NODE="$member" NS="$(ns_of "$member")" \
      NODE_DIR="$dir" ROLE_DAEMON="$(role_daemon)" UPGRADE_SECONDS="$UPGRADE_SECONDS" \
      FRR_CONFIG_DIR="$(frr_config_dir "$member")" FRR_RUN_DIR="$(frr_run_dir "$member")" \
      CLIENT_NET="$CLIENT_NET" SERVER_NET="$SERVER_NET" \
      RTR_C_ADDR="$RTR_C_OUTSIDE_ADDR" RTR_S_ADDR="$RTR_S_INSIDE_ADDR"
    chmod 0755 "$dir/bin/$script"
  done
  render_template conntrackd.conf "$dir/conntrackd.conf" NODE="$member" NODE_DIR="$dir" \
    TRANSPORT="$(conntrackd_transport_block "$member")" SYNC_MODE="$(conntrackd_sync_mode)" \
    OUTSIDE_NET="$OUTSIDE_NET" \
    INSIDE_NET="$INSIDE_NET" SYNC_NET="$SYNC_NET" MGMT_NET="$MGMT_NET"
  if [[ $SELECTION == bgp ]]; then
    write_member_frr_config "$member"
  elif [[ $SELECTION == vrrp ]]; then
    render_template keepalived.conf "$dir/keepalived.conf" NODE="$member" NS="$(ns_of "$member")" \
      NODE_DIR="$dir" PRIORITY="$(member_vrrp_priority "$member")" \
      OUTSIDE_VIP="$OUTSIDE_VIP" INSIDE_VIP="$INSIDE_VIP"
  fi
}

start_member() {
  in_ns "$1" "$(node_dir "$1")/bin/co-services" start
}

start_services() {
  local node member
  for node in $(managed_nodes); do mkdir -p "$(node_dir "$node")"; done
  write_ssh_files
  for node in $(managed_nodes); do start_sshd "$node"; done
  case $SELECTION in
    bgp)
      for node in rtr-c rtr-s; do
        write_router_frr_config "$node"
        start_router_frr "$node"
      done
      ;;
    vrrp) add_static_routes_to_vips ;;
    loadshare) setup_steering_routers ;;
  esac
  for member in $(member_names); do
    write_member_files "$member"
    start_member "$member"
  done
  [[ $SELECTION != loadshare ]] || start_steering
  if [[ $SELECTION == bgp ]]; then
    # fw1 announces without prepending; the others are standbys.
    for member in $(member_names); do
      if [[ $member == fw1 ]]; then
        notify_member "$member" MASTER
      else
        notify_member "$member" BACKUP
      fi
    done
  fi
}

notify_member() {
  in_ns "$1" "$(node_dir "$1")/bin/co-notify" INSTANCE bgp "$2" 0
}
