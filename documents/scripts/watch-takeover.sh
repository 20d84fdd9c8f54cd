#!/bin/bash
# HADrill-WatchTakeover (run on the standby before the fault): poll lcdstatus -q and ps -ef locally
# every PollMillis and report what it saw: "seen", one entry per change of any resource of the
# hierarchy or of the daemons ({epoch_ms, resources: {tag: state}, daemons: [...]}). Whether and when the
# takeover was complete is decided from "seen" by one Python function (hadrill.verdicts.takeover_verdict);
# the watcher only stops polling when every resource of the hierarchy is ISP here and hulobsd, hulrcvd
# and hulsndd all run (the same rule), or TimeoutSeconds pass. Prints a timeline, one
# "TIMELINE <epoch ms> <event>" line per change, and the same timeline in the result.
# Mode=status answers instead whether a watcher is running on this node and since when (the drill asks
# before the fault): the watcher keeps "<pid> <started ms> <polls> <last poll ms>" in a state file.
# Exit codes: 0 takeover complete (status: a watcher is running), 1 no takeover before the timeout
#   (status: no watcher running), 2 parameter missing, 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare tag poll_ms timeout_s mode
hadrill_params tag=HulftTag poll_ms=PollMillis timeout_s=TimeoutSeconds mode=Mode

state_file="${HADRILL_ROOT}/run/hadrill/watch-takeover.state"
if [[ "$mode" == status ]]; then
  w_pid="" w_started="" w_polls="" w_last=""
  if [[ -f "$state_file" ]]; then
    read -r w_pid w_started w_polls w_last <"$state_file" || true
  fi
  numbers='^[0-9]{1,15} [0-9]{1,15} [0-9]{1,15} [0-9]{1,15}$'
  if ! [[ "${w_pid} ${w_started} ${w_polls} ${w_last}" =~ $numbers ]] || ! kill -0 "$w_pid" 2>/dev/null; then
    hadrill_fail 1 "no watcher running on ${HADRILL_NODE_NAME:-$(uname -n)}"
  fi
  hadrill_result true false "watcher ${w_pid} running since ${w_started} (${w_polls} polls)" \
    int:watch_started_epoch_ms "$w_started" int:polls "$w_polls" int:last_poll_epoch_ms "$w_last" \
    str:clock "$(clock_tracking)"
  exit 0
fi
mkdir -p "${state_file%/*}"

printf -v period '%d.%03d' "$((10#$poll_ms / 1000))" "$((10#$poll_ms % 1000))"
timeline=""
# event <epoch ms> <text>
event() {
  printf 'TIMELINE %s %s\n' "$1" "$2"
  timeline+="${timeline:+,}$(hadrill_obj int:epoch_ms "$1" str:event "$2")"
}

hadrill_now_ms
started="$HADRILL_NOW_MS"
deadline=$((started + 10#$timeout_s * 1000))
printf '%s %s 0 %s\n' "$$" "$started" "$started" >"$state_file"
event "$started" "watch started on ${HADRILL_NODE_NAME:-$(uname -n)} (every ${poll_ms} ms)"
last_state="" last_up="" last_tree="" polls=0 seen=""
# observe <epoch ms>: add what this poll saw (every resource of the hierarchy, the daemons) to "seen".
observe() {
  local line resources="" daemons="" d
  while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    resources+="${resources:+,}$(hadrill_str "${line%%=*}"):$(hadrill_str "${line#*=}")"
  done <<<"$LK_TREE_STATES"
  for d in $HULFT_UP; do
    daemons+="${daemons:+,}$(hadrill_str "$d")"
  done
  seen+="${seen:+,}$(hadrill_obj int:epoch_ms "$1" json:resources "{${resources}}" json:daemons "[${daemons}]")"
}
# all_in_service: every resource of the hierarchy seen ISP (and at least one seen).
all_in_service() {
  local line
  [[ -n "$LK_TREE_STATES" ]] || return 1
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == *=ISP ]] || return 1
  done <<<"$LK_TREE_STATES"
}

while :; do
  polls=$((polls + 1))
  lk_scan "$(lcdstatus -q 2>/dev/null || true)" "$tag"
  hulft_daemons_up "$(ps -ef 2>/dev/null || true)"
  # Stamped after looking: an event is never dated before it was seen.
  hadrill_now_ms
  now="$HADRILL_NOW_MS"
  if [[ "$LK_ROOT_STATE" != "$last_state" ]]; then
    event "$now" "hierarchy ${tag} ${LK_ROOT_STATE}"
    last_state="$LK_ROOT_STATE"
  fi
  if [[ "$HULFT_UP" != "$last_up" ]]; then
    event "$now" "daemons up: ${HULFT_UP:-none}"
  fi
  printf '%s %s %s %s\n' "$$" "$started" "$polls" "$now" >"$state_file"
  if [[ "$LK_TREE_STATES" != "$last_tree" || "$HULFT_UP" != "$last_up" || -z "$seen" ]]; then
    observe "$now"
    last_tree="$LK_TREE_STATES" last_up="$HULFT_UP"
  fi
  if all_in_service && [[ "$HULFT_UP" == "hulobsd hulrcvd hulsndd" ]]; then
    event "$now" "takeover complete"
    hadrill_result true false "takeover complete on this node after $(((now - started) / 1000)) s of watching (${polls} polls)" \
      int:takeover_epoch_ms "$now" int:watch_started_epoch_ms "$started" int:polls "$polls" \
      json:timeline "[${timeline}]" json:seen "[${seen}]" str:clock "$(clock_tracking)"
    exit 0
  fi
  if (( now >= deadline )); then
    event "$now" "timeout"
    hadrill_result false false "no takeover within ${timeout_s} s: hierarchy ${tag} is ${LK_ROOT_STATE}, daemons up: ${HULFT_UP:-none}" \
      int:exit_code 1 int:watch_started_epoch_ms "$started" int:polls "$polls" json:timeline "[${timeline}]" \
      json:seen "[${seen}]" str:clock "$(clock_tracking)"
    exit 1
  fi
  hadrill_pause "$period"
done
