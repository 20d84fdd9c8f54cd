#!/bin/bash
# Stand-in for the node commands whose effect the simulator's engine computes (LifeKeeper actions,
# HULFT installer and cluster commands, rpm, mount, network stop, pkill, the aws CLI). The command
# name is this link's name; the request goes to the engine's inbox and the answer is printed here.
# Which docs/vendor-commands.md row each answer imitates is said in simulator/commands.py.
set -euo pipefail
# shellcheck source=_common.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/_common.sh"
cmd="${0##*/}"
sim_hang_if_knobbed "$cmd"

inbox="${CLUSTER_STATE}/inbox"
req="${inbox}/${EPOCHREALTIME/[.,]/}-$$-${RANDOM}"
{
  printf '%s\n' "$SIM_NODE" "$cmd" "$PWD"
  if (( $# > 0 )); then
    printf '%s\0' "$@"
  fi
} >"${req}.tmp"
mv "${req}.tmp" "${req}.req"

limit=$((600 * 200))
for ((i = 0; i < limit; i++)); do
  if [[ -e "${req}.done" ]]; then
    rc="$(<"${req}.done")"
    cat "${req}.out"
    cat "${req}.err" >&2
    rm -f "${req}.done" "${req}.out" "${req}.err"
    exit "$rc"
  fi
  if [[ -e "${CLUSTER_STATE}/closed" ]]; then
    echo "${cmd}: the simulated cluster is closed" >&2
    exit 1
  fi
  sleep 0.005
done
echo "${cmd}: no answer from the simulator" >&2
exit 1
