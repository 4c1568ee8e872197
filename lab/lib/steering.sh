# shellcheck shell=bash
# Load-sharing selection (--selection loadshare): both routers steer each connection to a
# member by connection mark and policy routing, driven by the steering loop co-steer
# (lab/templates/co-steer) from what the members' co-cluster scripts record. Sourced by
# lab.sh.

# Each member's connections carry its mark (fwN starts with mark N); table 100+mark
# routes them to the member that carries them. rtr-c marks new connections round robin
# over the accepting members, rtr-s by the member they came through (its MAC on
# br-inside); co-steer rewrites both chains new_connections. rp_filter is off: the routes
# back depend on the mark.
setup_steering_routers() {
  local member i macs=""
  for member in $(member_names); do
    i=$(member_index "$member")
    macs+="${macs:+, }$(member_inside_mac "$member") : $i"
    in_ns rtr-c ip rule add fwmark "$i" table $((100 + i)) priority $((100 + i))
    in_ns rtr-s ip rule add fwmark "$i" table $((100 + i)) priority $((100 + i))
    in_ns rtr-c ip route add "$SERVER_NET" via "$(member_outside_addr "$member")" table $((100 + i))
    in_ns rtr-s ip route add "$CLIENT_NET" via "$(member_inside_addr "$member")" table $((100 + i))
  done
  for node in rtr-c rtr-s; do
    in_ns "$node" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  done
  in_ns rtr-c nft -f - <<NFT
table ip co_steer {
  chain new_connections {
  }
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    iifname "client" ct state new jump new_connections
    iifname "client" meta mark set ct mark
  }
}
NFT
  in_ns rtr-s nft -f - <<NFT
table ip co_steer {
  chain new_connections {
    ct mark set ether saddr map { $macs }
  }
  chain prerouting {
    type filter hook prerouting priority mangle; policy accept;
    iifname "br-inside" ct state new jump new_connections
    iifname "server" meta mark set ct mark
  }
}
NFT
}

start_steering() {
  local member
  for member in $(member_names); do
    printf 'connected=1\ngeneration=0\n' >"$(node_dir "$member")/cluster-admin"
    rm -f "$(node_dir "$member")/cluster-view"
  done
  render_template co-steer "$STATE_DIR/co-steer" STATE_DIR="$STATE_DIR" MEMBERS="$MEMBERS" \
    CLIENT_NET="$CLIENT_NET" SERVER_NET="$SERVER_NET"
  chmod 0755 "$STATE_DIR/co-steer"
  in_ns mgmt setsid -f "$STATE_DIR/co-steer" </dev/null >>"$STATE_DIR/steering.out" 2>&1
}

member_view() { sed -n "s/^$2=//p" "$(node_dir "$1")/cluster-view" 2>/dev/null; }

# The members that take new connections, as the steering sees them.
accepting_members() {
  local member list=""
  for member in $(member_names); do
    [[ $(member_view "$member" accepting) == 1 ]] && list+="${list:+ }$member"
  done
  echo "${list:--}"
}

loadshare_converged() {
  local member
  for member in $(member_names); do
    [[ -s $(node_dir "$member")/cluster-view ]] || return 1
  done
  [[ $(member_view fw1 accepting) == 1 ]]
}
