# Shared by the Check Point stand-in commands. Sourced, not run.
#
# State lives in a directory of plain files that tests write and these scripts read:
# $CUTOVER_STANDIN_STATE if set, else the path written in ./state_dir next to the scripts,
# else ../state relative to them (sshd passes no environment, so tests copy the scripts
# to <tmp>/bin and keep the state in <tmp>/state).
standin_dir=$(cd "$(dirname "$0")" && pwd)
if [ -n "${CUTOVER_STANDIN_STATE:-}" ]; then
  state=$CUTOVER_STANDIN_STATE
elif [ -r "$standin_dir/state_dir" ]; then
  state=$(cat "$standin_dir/state_dir")
else
  state=$standin_dir/../state
fi
standin_name=$(basename "$0")

# Every invocation, one line: the command name and its arguments.
printf '%s\n' "$standin_name${*:+ $*}" >> "$state/invocations.log"

# A member of a stand-in cluster (cluster_state.sh) has state/cluster_dir and
# state/member_name. Its invocations also go to the cluster's log, with the time and the
# member's name, so a test reads one order across the members:
# "<unix seconds.nanoseconds> <member> <command and arguments>".
cluster_dir=
if [ -r "$state/cluster_dir" ]; then
  cluster_dir=$(cat "$state/cluster_dir")
  member_name=$(cat "$state/member_name")
  printf '%s %s %s\n' "$(date +%s.%N)" "$member_name" "$standin_name${*:+ $*}" \
    >> "$cluster_dir/invocations.log"
fi

# A test makes a command fail with state/exit.<name>[_<arg1>] holding the exit status.
for standin_exit_file in "$state/exit.$standin_name${1:+_$1}" "$state/exit.$standin_name"; do
  if [ -r "$standin_exit_file" ]; then
    echo "$standin_name: failing as the test asked" >&2
    exit "$(cat "$standin_exit_file")"
  fi
done

# Prints state/<file>, or fails like a missing feature.
print_state_file() {
  if [ -r "$state/$1" ]; then
    cat "$state/$1"
  else
    echo "$standin_name: $1 is not available on this stand-in" >&2
    exit 1
  fi
}
