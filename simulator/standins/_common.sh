# shellcheck shell=bash
# Sourced by every stand-in: where this simulated node's state lives.
SIM_STATE="${HADRILL_SIM_STATE:?this command only runs inside the HADrill simulator}"
SIM_NODE="${HADRILL_SIM_NODE:?this command only runs inside the HADrill simulator}"
# shellcheck disable=SC2034  # used by the stand-ins that source this file
NODE_STATE="${SIM_STATE}/nodes/${SIM_NODE}/state"
CLUSTER_STATE="${SIM_STATE}/cluster"

# Knob "a command that hangs": the named stand-in never answers (the document then times out).
sim_hang_if_knobbed() {
  if [[ -e "${CLUSTER_STATE}/knobs/hang.$1" ]]; then
    exec sleep 100000
  fi
}

# Resource tags may contain "/" (file system tags); state files encode it: "${NODE_STATE}/res/${tag//\//%2F}".
# The stand-ins read their one-line state files with `read` and build paths with expansions, not with
# command substitutions: each of those forks a subshell, and a fleet drill runs thousands of stand-ins.
