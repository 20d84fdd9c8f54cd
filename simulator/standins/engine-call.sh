#!/bin/bash
# Stand-in for the node commands whose effect the simulator's engine computes (LifeKeeper actions,
# HULFT installer and cluster commands, rpm, mount, network stop, pkill, the aws CLI). The command
# name is this link's name; the request goes to the engine's inbox and the answer is printed here.
# Which docs/vendor-commands.md row each answer imitates is said in simulator/commands.py.
set -euo pipefail
# shellcheck source=_common.sh
. "${HADRILL_SIM_STANDINS:-$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")}/_common.sh"
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
# Wake the engine (it sleeps on this FIFO between ticks; simulator/engine.py). Opened read-write, so
# the open never blocks, whether or not the engine is there.
if [[ -p "${inbox}/.wake" ]]; then
  printf w 1<>"${inbox}/.wake"
fi
# Wait 5 ms between looks without starting a process: a read that times out on a FIFO nobody writes.
nap=""
if [[ -p "${inbox}/.nap" ]]; then
  exec {nap}<>"${inbox}/.nap"
fi

limit=$((600 * 200))
for ((i = 0; i < limit; i++)); do
  if [[ -e "${req}.done" ]]; then
    read -r rc <"${req}.done"
    out="" err=""
    IFS= read -r -d '' out <"${req}.out" || true
    IFS= read -r -d '' err <"${req}.err" || true
    printf '%s' "$out"
    printf '%s' "$err" >&2
    rm -f "${req}.done" "${req}.out" "${req}.err"
    exit "$rc"
  fi
  if [[ -e "${CLUSTER_STATE}/closed" ]]; then
    echo "${cmd}: the simulated cluster is closed" >&2
    exit 1
  fi
  if [[ -n "$nap" ]]; then
    read -r -t 0.005 -u "$nap" _ || true
  else
    sleep 0.005
  fi
done
echo "${cmd}: no answer from the simulator" >&2
exit 1
