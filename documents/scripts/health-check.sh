#!/bin/bash
# HADrill-HealthCheck (after recovery, on each node): LifeKeeper up, every comm path ALIVE, the mirror
# in sync, the hierarchy ISP (active) or OSU (standby) down to every child, the HULFT daemons running
# only on the active node, the data mount only on the active node. With WaitSeconds > 0 it keeps
# checking until healthy (a rebooted node needs time to start LifeKeeper and resync the mirror).
# The raw lcdstatus -q text is in the result for the Lambda's own parser.
# Exit codes: 0 healthy, 1 unhealthy (the failing checks are in the result), 2 parameter missing,
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare role tag mirror_tag data_mount wait_s
hadrill_params role=ExpectedRole tag=HulftTag mirror_tag=MirrorTag data_mount=DataMount wait_s=WaitSeconds

checks="" failures=""
check() { # check <name> <passed true|false> <detail>
  checks+="${checks:+,}$(hadrill_obj str:name "$1" bool:passed "$2" str:detail "$3")"
  if [[ "$2" != true ]]; then
    failures+="${failures:+; }$1: $3"
  fi
}

evaluate() {
  local lk=false text="" mirror_text wanted tree bad="" entry mounted=false
  checks="" failures=""
  if lktest >/dev/null 2>&1 && [[ -e "$LKROOT/config/LK_INITDONE" ]]; then
    lk=true
    text="$(lcdstatus -q 2>&1)" || true
  fi
  check "LifeKeeper running" "$lk" "$([[ $lk == true ]] && echo "lktest ok, LK_INITDONE present" || echo "not running or not initialized")"
  LCD_TEXT="$text"
  lk_scan "$text" "$tag"
  if (( LK_PATHS_TOTAL == 0 )); then
    check "comm paths ALIVE" false "no communication path listed"
  elif [[ -n "$LK_PATHS_DEAD" ]]; then
    check "comm paths ALIVE" false "not ALIVE: $(printf '%s' "$LK_PATHS_DEAD" | tr '\n' ';')"
  else
    check "comm paths ALIVE" true "${LK_PATHS_TOTAL} path(s) ALIVE"
  fi
  mirror_text="$(mirror_status "$mirror_tag" 2>&1)" || true
  if hadrill_mirror_in_sync "$mirror_text"; then
    check "mirror in sync" true "${mirror_tag} fully operational"
  else
    check "mirror in sync" false "${mirror_tag}: $(printf '%s' "$mirror_text" | tr -s ' \n' ' ')"
  fi
  wanted=ISP
  [[ "$role" == standby ]] && wanted=OSU
  tree="$LK_TREE_STATES"
  if [[ -z "$tree" ]]; then
    check "hierarchy ${tag} ${wanted}" false "${tag} is not defined on this node"
  else
    while IFS= read -r entry; do
      [[ -z "$entry" || "${entry#*=}" == "$wanted" ]] || bad+="${bad:+, }${entry}"
    done <<<"$tree"
    if [[ -n "$bad" ]]; then
      check "hierarchy ${tag} ${wanted}" false "expected ${wanted}: ${bad}"
    else
      check "hierarchy ${tag} ${wanted}" true "$(grep -c . <<<"$tree") resource(s) ${wanted}"
    fi
  fi
  hulft_daemons_up "$(ps -ef 2>/dev/null || true)"
  if [[ "$role" == active ]]; then
    if [[ "$HULFT_UP" == "hulobsd hulrcvd hulsndd" ]]; then
      check "HULFT daemons running" true "$HULFT_UP"
    else
      check "HULFT daemons running" false "running: ${HULFT_UP:-none}"
    fi
  elif [[ -z "$HULFT_UP" ]]; then
    check "no HULFT daemons on standby" true "none running"
  else
    check "no HULFT daemons on standby" false "running on the standby: ${HULFT_UP}"
  fi
  if mountpoint -q "${HADRILL_ROOT}${data_mount}"; then
    mounted=true
  fi
  if [[ "$role" == active && "$mounted" == true ]] || [[ "$role" == standby && "$mounted" == false ]]; then
    check "${data_mount} mount" true "$([[ $mounted == true ]] && echo mounted || echo "not mounted") on the ${role} node"
  else
    check "${data_mount} mount" false "$([[ $mounted == true ]] && echo mounted || echo "not mounted") on the ${role} node"
  fi
}

hadrill_now_ms
deadline=$((HADRILL_NOW_MS + 10#$wait_s * 1000))
while :; do
  evaluate
  hadrill_now_ms
  if [[ -z "$failures" ]] || (( HADRILL_NOW_MS >= deadline )); then
    break
  fi
  hadrill_pause 0.25
done

if [[ -z "$failures" ]]; then
  hadrill_result true false "healthy as ${role}" json:checks "[${checks}]" str:lcdstatus "$LCD_TEXT"
  exit 0
fi
hadrill_result false false "unhealthy as ${role}: ${failures}" int:exit_code 1 json:checks "[${checks}]" \
  str:lcdstatus "$LCD_TEXT"
exit 1
