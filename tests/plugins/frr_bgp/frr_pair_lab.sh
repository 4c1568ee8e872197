#!/bin/sh
# A router peering over eBGP with two firewall members that announce the same protected
# prefix, each FRR instance (zebra + bgpd) in its own network namespace and pathspace.
# Used by frr_bgp_integration_test and to capture the fixtures.
#
#   frr_pair_lab.sh up [PREFIX]    tear down leftovers, then start (PREFIX default frrt-)
#   frr_pair_lab.sh down [PREFIX]  stop the daemons, delete namespaces and pathspace dirs
#
# Router <PREFIX>r (AS 64600): 10.251.1.1 to member <PREFIX>m1 (10.251.1.2, AS 64601) and
# 10.251.2.1 to member <PREFIX>m2 (10.251.2.2, AS 64601). Both members announce
# 10.251.100.0/24. The router's inbound route-maps cutover-m1-in (local-preference 200)
# and cutover-m2-in (100) make m1 active. Each member sends its announcement through its
# outbound route-map cutover-announce (empty at start: no prepending).
set -u
P=${2:-frrt-}
R=${P}r
MEMBERS="${P}m1 ${P}m2"
ALL="$R $MEMBERS"

down() {
  for ns in $ALL; do
    for pidfile in /var/run/frr/$ns/bgpd.pid /var/run/frr/$ns/zebra.pid; do
      [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
  done
  sleep 0.3
  for ns in $ALL; do
    for pidfile in /var/run/frr/$ns/bgpd.pid /var/run/frr/$ns/zebra.pid; do
      [ -f "$pidfile" ] && kill -9 "$(cat "$pidfile")" 2>/dev/null
    done
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/frr/$ns" "/var/run/frr/$ns"
  done
  return 0
}

start_frr() {  # namespace, frr.conf text
  mkdir -p "/etc/frr/$1" "/var/run/frr/$1"
  printf '%s\n' "$2" > "/etc/frr/$1/frr.conf"
  printf 'service integrated-vtysh-config\n' > "/etc/frr/$1/vtysh.conf"
  chown -R frr:frr "/etc/frr/$1" "/var/run/frr/$1"
  ip netns exec "$1" /usr/lib/frr/zebra -N "$1" -d -f "/etc/frr/$1/frr.conf" || return 1
  ip netns exec "$1" /usr/lib/frr/bgpd -N "$1" -d -f "/etc/frr/$1/frr.conf" || return 1
}

member_conf() {  # router id
  cat <<CONF
frr defaults traditional
hostname $2

router bgp 64601
 bgp router-id $1
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor ${3} remote-as 64600
 neighbor ${3} timers 1 3
 neighbor ${3} timers connect 1
 address-family ipv4 unicast
  network 10.251.100.0/24
  neighbor ${3} route-map cutover-announce out
 exit-address-family
exit
route-map cutover-announce permit 10
exit
CONF
}

up() {
  down
  for ns in $ALL; do ip netns add "$ns" || return 1; ip -n "$ns" link set lo up; done
  i=1
  for m in $MEMBERS; do
    ip link add "${P}v$i" netns "$R" type veth peer name eth0 netns "$m" || return 1
    ip -n "$R" addr add "10.251.$i.1/24" dev "${P}v$i"
    ip -n "$R" link set "${P}v$i" up
    ip -n "$m" addr add "10.251.$i.2/24" dev eth0
    ip -n "$m" link set eth0 up
    i=$((i + 1))
  done
  start_frr "$R" "frr defaults traditional
hostname router
router bgp 64600
 bgp router-id 10.251.1.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.251.1.2 remote-as 64601
 neighbor 10.251.1.2 timers 1 3
 neighbor 10.251.1.2 timers connect 1
 neighbor 10.251.2.2 remote-as 64601
 neighbor 10.251.2.2 timers 1 3
 neighbor 10.251.2.2 timers connect 1
 address-family ipv4 unicast
  neighbor 10.251.1.2 route-map cutover-m1-in in
  neighbor 10.251.2.2 route-map cutover-m2-in in
 exit-address-family
exit
route-map cutover-m1-in permit 10
 set local-preference 200
exit
route-map cutover-m2-in permit 10
 set local-preference 100
exit" || return 1
  start_frr "${P}m1" "$(member_conf 10.251.1.2 m1 10.251.1.1)" || return 1
  start_frr "${P}m2" "$(member_conf 10.251.2.2 m2 10.251.2.1)" || return 1
}

case "${1:-}" in
  up) up || { down; exit 1; } ;;
  down) down ;;
  *) echo "usage: $0 up|down [PREFIX]" >&2; exit 2 ;;
esac
