#!/bin/bash
# HADrill-InjectFault (run on the primary):
#   network-down       the reference procedure's "service network stop" / ifdown, in a detached job
#                      that starts DelaySeconds after this command, so the command can report first;
#                      fault_epoch_ms is the prediction (now + DelaySeconds). The job stamps the moment
#                      the interface actually went down ("<requested ms> <down ms>") into a file on the
#                      node's root disk, which survives the reboot the recovery may need.
#   network-down-stamp read that stamp back (run once the node is recovered): stamp_epoch_ms is the
#                      observed start of the fault; exit 5 when there is none.
#   hulft-daemon-kill  SIGKILL one HULFT daemon; LifeKeeper is expected to recover it locally.
#   switchover         planned: bring the hierarchy in service on TargetNode (blocks until done).
# Instance stop and reboot are EC2 API calls, not this document.
# Exit codes: 0 fault injected, 2 parameter missing or TargetNode missing for switchover,
#   3 precondition (daemon not running here / hierarchy not in service here), 4 the fault command
#   failed, 5 no network-down stamp to read, or the dead-man switch could not be armed (nothing
#   injected), 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# shellcheck source=dead-man.sh
. "$(dirname "${BASH_SOURCE[0]}")/dead-man.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare fault tag daemon target_node interface delay_s
hadrill_params fault=Fault tag=HulftTag daemon=Daemon target_node=TargetNode interface=Interface \
  delay_s=DelaySeconds
# The dead-man switch (issue 17): DeadManSeconds 0 arms nothing.
declare dead_man_seconds dead_man_unit
hadrill_params dead_man_seconds=DeadManSeconds dead_man_unit=DeadManUnit

node="${HADRILL_NODE_NAME:-$(uname -n)}"
# Where the detached network-down job stamps the moment the interface went down: the root disk (not
# /run or /tmp, which a reboot empties).
stamp_file="${HADRILL_ROOT}/var/lib/hadrill/network-down.stamp"
# What the job runs after the vendor's network-down commands succeed ($3 = requested ms, $4 = the file):
# stamp, then write it through to the disk (the node may be rebooted next).
# shellcheck disable=SC2016  # run by bash -c with positional arguments
stamp_script='t="${EPOCHREALTIME/[.,]/}"; printf "%s %s\n" "$3" "${t:0:${#t}-3}" >"$4.new" && mv -f "$4.new" "$4" && sync "$4"'
# The dead-man switch is armed before the fault, or there is no fault: a node-local timer reboots this
# node at the drill's deadline even if the orchestrator is gone by then (exit 5: nothing injected).
if [[ "$fault" == network-down && "$((10#$dead_man_seconds))" -gt 0 ]]; then
  [[ "$dead_man_unit" != none ]] || hadrill_fail 2 "DeadManSeconds needs DeadManUnit"
  dead_man_arm "$((10#$dead_man_seconds))" "$dead_man_unit" ||
    hadrill_fail 5 "could not arm the dead-man switch ${dead_man_unit} on ${node}: no fault injected"
fi
case "$fault" in
  network-down)
    clock="$(clock_tracking)"
    hadrill_now_ms
    requested_ms="$HADRILL_NOW_MS"
    fault_ms=$((requested_ms + 10#$delay_s * 1000))
    mkdir -p "${stamp_file%/*}"
    rm -f "$stamp_file"
    setsid bash -c "{ ${HADRILL_NETWORK_DOWN_SCRIPT}; } && { ${stamp_script}; }" hadrill-network-down \
      "$delay_s" "$interface" "$requested_ms" "$stamp_file" </dev/null >/dev/null 2>&1 &
    hadrill_result true true "network on ${node} (${interface}) goes down in ${delay_s} s; the node will stop answering" \
      str:fault network-down int:fault_epoch_ms "$fault_ms" int:requested_epoch_ms "$requested_ms" str:clock "$clock"
    ;;
  network-down-stamp)
    [[ -s "$stamp_file" ]] || hadrill_fail 5 "no network-down stamp on ${node} (${stamp_file})"
    read -r stamped_request stamped_down <"$stamp_file" || true
    [[ "${stamped_request:-}" =~ ^[1-9][0-9]{0,14}$ && "${stamped_down:-}" =~ ^[1-9][0-9]{0,14}$ ]] \
      || hadrill_fail 5 "the network-down stamp on ${node} is unreadable"
    hadrill_result true false "the network on ${node} went down at ${stamped_down} (epoch ms)" \
      str:fault network-down-stamp int:requested_epoch_ms "$stamped_request" int:stamp_epoch_ms "$stamped_down" \
      str:clock "$(clock_tracking)"
    ;;
  hulft-daemon-kill)
    hulft_daemons_up "$(ps -ef 2>/dev/null || true)"
    [[ " ${HULFT_UP} " == *" ${daemon} "* ]] || hadrill_fail 3 "${daemon} is not running on ${node}: is this the active node?"
    clock="$(clock_tracking)"  # before the kill: the watcher starts when this command answers
    hadrill_now_ms
    fault_ms="$HADRILL_NOW_MS"
    pkill -KILL -x "$daemon" || hadrill_fail 4 "pkill ${daemon} failed"
    hadrill_result true true "killed ${daemon} on ${node}; LifeKeeper should restart it here" \
      str:fault hulft-daemon-kill str:daemon "$daemon" int:fault_epoch_ms "$fault_ms" str:clock "$clock"
    ;;
  switchover)
    [[ "$target_node" != none && "$target_node" != "$node" ]] || hadrill_fail 2 "switchover needs TargetNode, the standby's LifeKeeper name"
    lk_scan_now "$tag"
    [[ "$LK_ROOT_STATE" == ISP ]] || hadrill_fail 3 "hierarchy ${tag} is ${LK_ROOT_STATE} on ${node}, not in service: nothing to switch over"
    hadrill_now_ms
    fault_ms="$HADRILL_NOW_MS"
    lk_switchover "$tag" "$target_node" >&2 || hadrill_fail 4 "switchover of ${tag} to ${target_node} failed"
    hadrill_now_ms
    hadrill_result true true "hierarchy ${tag} switched over from ${node} to ${target_node}" \
      str:fault switchover int:fault_epoch_ms "$fault_ms" int:completed_epoch_ms "$HADRILL_NOW_MS" \
      str:clock "$(clock_tracking)"
    ;;
  *)
    hadrill_fail 2 "unknown fault ${fault}"
    ;;
esac
