#!/bin/sh
# A Patroni 3.0.2 cluster of two PostgreSQL 15 nodes (one etcd 3.4) inside one network
# namespace, on its loopback only. Used to capture the fixtures of the patroni parsers.
#
#   patroni_pair_lab.sh up [NS]     tear down leftovers, then start (NS default ptt-lab)
#   patroni_pair_lab.sh down [NS]   stop everything, delete the namespace and its files
#
# etcd 127.0.0.1:2379; node p1: PostgreSQL 5432, REST API 8008; node p2: 5433, 8009.
# Scope "blue". Lab settings from ../shared/reference/patroni.md: data on tmpfs, etcd
# without fsync and with short election timers, small PostgreSQL, fsync off.
set -u
NS=${2:-ptt-lab}
DIR=/run/$NS

down() {
  if ip netns list | grep -q "^$NS\b"; then
    ip netns pids "$NS" 2>/dev/null | xargs -r kill 2>/dev/null
    sleep 1
    ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null
    ip netns del "$NS"
  fi
  if mountpoint -q "$DIR" 2>/dev/null; then umount "$DIR"; fi
  rm -rf "$DIR"
  return 0
}

node_conf() {  # name, pg port, api port
  cat <<CONF
scope: blue
name: $1
restapi:
  listen: 127.0.0.1:$3
  connect_address: 127.0.0.1:$3
etcd3:
  hosts: 127.0.0.1:2379
bootstrap:
  dcs:
    ttl: 30
    loop_wait: 2
    retry_timeout: 10
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      parameters:
        shared_buffers: 16MB
        max_connections: 40
        fsync: "off"
  initdb: [{encoding: UTF8}]
postgresql:
  listen: 127.0.0.1:$2
  connect_address: 127.0.0.1:$2
  data_dir: $DIR/$1/data
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: $DIR/$1/pgpass
  authentication:
    replication: {username: replicator, password: rep-pass}
    superuser: {username: postgres, password: su-pass}
  parameters:
    unix_socket_directories: $DIR/$1
CONF
}

up() {
  down
  mkdir -p "$DIR" && mount -t tmpfs -o size=512m tmpfs "$DIR" || return 1
  ip netns add "$NS" && ip -n "$NS" link set lo up || return 1
  mkdir -p "$DIR/etcd" "$DIR/p1" "$DIR/p2"
  ip netns exec "$NS" setsid etcd --name e1 --data-dir "$DIR/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster e1=http://127.0.0.1:2380 --unsafe-no-fsync \
    --heartbeat-interval 200 --election-timeout 2000 >"$DIR/etcd.log" 2>&1 </dev/null &
  node_conf p1 5432 8008 >"$DIR/p1/patroni.yml"
  node_conf p2 5433 8009 >"$DIR/p2/patroni.yml"
  chown -R postgres:postgres "$DIR/p1" "$DIR/p2"
  chmod 700 "$DIR/p1" "$DIR/p2"
  sleep 2
  for n in p1 p2; do
    ip netns exec "$NS" setsid runuser -u postgres -- /usr/bin/patroni "$DIR/$n/patroni.yml" \
      >"$DIR/$n/patroni.log" 2>&1 </dev/null &
    sleep 8
  done
}

case "${1:-}" in
  up) up || { down; exit 1; } ;;
  down) down ;;
  *) echo "usage: $0 up|down [NS]" >&2; exit 2 ;;
esac
