# `cphaprob state` of a stand-in cluster, as ClusterXL's members agree it in a Load
# Sharing cluster during an Optimal Service Upgrade. Sourced by cphaprob, not run.
#
# $cluster_dir/members lists the cluster, one "<name> <state directory>" line per member
# in ID order. Each member's state directory says what a gateway would know of itself:
# admin_down (clusterXL_admin down) or cpstopped, connectivity_upgrade (cphacu start) and
# fw_ver (its version). From those, like lab/templates/co-steer in the Linux lab:
#   - a member that is admin down or stopped is DOWN and takes nothing;
#   - while every connected member runs one version, all are ACTIVE and share the load;
#   - a connected member newer than the oldest connected version waits in READY, taking
#     nothing, until its Connectivity Upgrade starts: then it is ACTIVE and takes the new
#     connections, and the oldest-version members stay ACTIVE with 0% load (they keep
#     their connections and drain).

cluster_member_version() {
  sed -n "s/.*software version \(R[0-9.]*\).*/\1/p" "$1/fw_ver" 2>/dev/null | head -n 1
}

cluster_member_connected() {
  [ ! -e "$1/admin_down" ] && [ ! -e "$1/cpstopped" ]
}

print_cluster_state() {
  oldest=
  while read -r cs_name cs_dir; do
    [ -n "$cs_name" ] && cluster_member_connected "$cs_dir" || continue
    oldest=$(printf '%s\n%s\n' "$oldest" "$(cluster_member_version "$cs_dir")" |
      sed '/^$/d' | sort -V | head -n 1)
  done < "$cluster_dir/members"

  newer_in_upgrade=0
  while read -r cs_name cs_dir; do
    [ -n "$cs_name" ] && cluster_member_connected "$cs_dir" || continue
    if [ "$(cluster_member_version "$cs_dir")" != "$oldest" ] &&
      [ -e "$cs_dir/connectivity_upgrade" ]; then
      newer_in_upgrade=1
    fi
  done < "$cluster_dir/members"

  # One "<id> <name> <state> <takes new connections 0|1>" line per member.
  rows=
  taking=0
  id=0
  while read -r cs_name cs_dir; do
    [ -n "$cs_name" ] || continue
    id=$((id + 1))
    if ! cluster_member_connected "$cs_dir"; then
      cs_state=DOWN cs_takes=0
    elif [ "$(cluster_member_version "$cs_dir")" = "$oldest" ]; then
      cs_state=ACTIVE cs_takes=$((!newer_in_upgrade))
    elif [ -e "$cs_dir/connectivity_upgrade" ]; then
      cs_state=ACTIVE cs_takes=1
    else
      cs_state=READY cs_takes=0
    fi
    taking=$((taking + cs_takes))
    rows="$rows$id $cs_name $cs_state $cs_takes
"
  done < "$cluster_dir/members"

  echo "Cluster Mode:   Load Sharing (Multicast)"
  echo " "
  printf '%-10s %-15s %-15s %-14s %s\n' ID "Unique Address" "Assigned Load" State Name
  echo " "
  printf '%s' "$rows" | while read -r cs_id cs_name cs_state cs_takes; do
    cs_label=$cs_id
    [ "$cs_name" != "$member_name" ] || cs_label="$cs_id (local)"
    cs_load=0
    [ "$cs_takes" -eq 0 ] || cs_load=$((100 / taking))
    printf '%-10s %-15s %-15s %-14s %s\n' "$cs_label" "192.0.2.$((10 + cs_id))" "$cs_load%" \
      "$cs_state" "$cs_name"
  done
  echo " "
  echo " "
  if [ -e "$state/admin_down" ]; then
    echo "Active PNOTEs: ADMIN"
  else
    echo "Active PNOTEs: None"
  fi
}
