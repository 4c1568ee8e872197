# shellcheck shell=bash
# Namespaces, links, bridges, addresses and the routes that do not depend on the
# selection mode. Sourced by lab.sh.

create_namespace() {
  local ns
  ns=$(ns_of "$1")
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # IPv4 only: no link-local addresses, router solicitations or DAD on the lab's links.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
}

# A veth pair created directly inside the two namespaces, so its names never touch the
# host's interface list: connect_nodes NODE_A IF_A NODE_B IF_B.
connect_nodes() {
  ip link add "$2" netns "$(ns_of "$1")" type veth peer name "$4" netns "$(ns_of "$3")"
  ip -n "$(ns_of "$1")" link set "$2" up
  ip -n "$(ns_of "$3")" link set "$4" up
}

create_bridge() {
  local node=$1 bridge=$2
  ip -n "$(ns_of "$node")" link add "$bridge" type bridge
  ip -n "$(ns_of "$node")" link set "$bridge" up
}

attach_to_bridge() {
  ip -n "$(ns_of "$1")" link set "$2" master "$3"
}

add_address() {
  ip -n "$(ns_of "$1")" addr add "$3" dev "$2"
}

isolate_management() {
  local node=$1
  mkdir -p "$STATE_DIR/$node"
  render_template router-nftables.conf "$STATE_DIR/$node/nftables.conf" NODE="$node"
  in_ns "$node" nft -f "$STATE_DIR/$node/nftables.conf"
}

enable_forwarding() {
  in_ns "$1" sysctl -qw net.ipv4.ip_forward=1
}

# The host reaches every managed node's sshd through one veth into the co-mgmt bridge.
create_management_network() {
  local node
  create_namespace mgmt
  create_bridge mgmt br-mgmt
  ip link add "$HOST_MGMT_LINK" type veth peer name host netns "$(ns_of mgmt)"
  sysctl -qw "net.ipv6.conf.$HOST_MGMT_LINK.disable_ipv6=1"
  ip addr add "$HOST_MGMT_ADDR/24" dev "$HOST_MGMT_LINK"
  ip link set "$HOST_MGMT_LINK" up
  ip -n "$(ns_of mgmt)" link set host up
  attach_to_bridge mgmt host br-mgmt
  for node in $(managed_nodes); do
    connect_nodes "$node" mgmt mgmt "$node"
    attach_to_bridge mgmt "$node" br-mgmt
    add_address "$node" mgmt "$(node_mgmt_addr "$node")/24"
  done
}

# client -- rtr-c ==br-outside== fw1..fwN ==br-inside== rtr-s -- server, plus the sync
# link (a veth between fw1 and fw2, or a bridge in co-sync for more members).
create_data_path() {
  local member
  connect_nodes client eth0 rtr-c client
  add_address client eth0 "$CLIENT_ADDR/24"
  add_address rtr-c client "$RTR_C_CLIENT_ADDR/24"
  in_ns client ip route add default via "$RTR_C_CLIENT_ADDR"

  connect_nodes server eth0 rtr-s server
  add_address server eth0 "$SERVER_ADDR/24"
  add_address rtr-s server "$RTR_S_SERVER_ADDR/24"
  in_ns server ip route add default via "$RTR_S_SERVER_ADDR"

  create_bridge rtr-c br-outside
  add_address rtr-c br-outside "$RTR_C_OUTSIDE_ADDR/24"
  create_bridge rtr-s br-inside
  add_address rtr-s br-inside "$RTR_S_INSIDE_ADDR/24"
  isolate_management rtr-c
  isolate_management rtr-s
  enable_forwarding rtr-c
  enable_forwarding rtr-s

  for member in $(member_names); do
    connect_nodes "$member" outside rtr-c "$member"
    ip -n "$(ns_of "$member")" link set outside address "$(member_outside_mac "$member")"
    attach_to_bridge rtr-c "$member" br-outside
    add_address "$member" outside "$(member_outside_addr "$member")/24"
    connect_nodes "$member" inside rtr-s "$member"
    ip -n "$(ns_of "$member")" link set inside address "$(member_inside_mac "$member")"
    attach_to_bridge rtr-s "$member" br-inside
    add_address "$member" inside "$(member_inside_addr "$member")/24"
  done

  if ((MEMBERS == 2)); then
    connect_nodes fw1 sync fw2 sync
  else
    create_namespace sync
    create_bridge sync br-sync
    for member in $(member_names); do
      connect_nodes "$member" sync sync "$member"
      attach_to_bridge sync "$member" br-sync
    done
  fi
  for member in $(member_names); do
    add_address "$member" sync "$(member_sync_addr "$member")/24"
  done
}

create_topology() {
  local node
  for node in client server rtr-c rtr-s $(member_names); do
    create_namespace "$node"
  done
  create_management_network
  create_data_path
}

# VRRP selection: the routers send the protected prefixes to the members' virtual address.
add_static_routes_to_vips() {
  in_ns rtr-c ip route replace "$SERVER_NET" via "$OUTSIDE_VIP"
  in_ns rtr-s ip route replace "$CLIENT_NET" via "$INSIDE_VIP"
}
