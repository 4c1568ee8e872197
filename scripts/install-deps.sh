#!/usr/bin/env bash
# Installs every system package cutover needs to build, test and run its lab, from
# Debian bookworm. Idempotent: when everything is present it returns without apt.
set -euo pipefail

build_packages=(
  build-essential cmake pkg-config git
  prometheus-cpp-dev libcivetweb-dev libcurl4-openssl-dev rapidjson-dev libssh-dev
  libyaml-cpp-dev libcli11-dev libgtest-dev libgmock-dev
  clang libclang-rt-14-dev  # the fuzz build (scripts/fuzz.sh): clang's libFuzzer
)
# Real servers the integration tests, the lab and the benchmarks start.
runtime_packages=(
  prometheus prometheus-alertmanager prometheus-haproxy-exporter
  openssh-server openssh-client haproxy keepalived conntrackd conntrack nftables
  iproute2 procps psmisc curl frr
  wrk webhook jq
  patroni etcd-server etcd-client postgresql-15  # the manager blue-green runbook
)

missing=()
for p in "${build_packages[@]}" "${runtime_packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# Debian starts daemons on install; the tests start their own instances on loopback,
# so keep the packaged services from starting (policy-rc.d 101 = action forbidden).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}"
