#!/bin/bash
# HADrill-CommPaths (both nodes, each creates its own side): add the peer to LifeKeeper's system list
# (sys_create) and one TCP comm path per address pair (net_create; two pairs give two paths, TCP 7365),
# then wait until every one of them is ALIVE in lcdstatus -q. Paths already listed are left alone, so
# a rerun changes nothing. A path only comes ALIVE once the peer has created its side too: the
# workflow runs this on both nodes at once.
# Exit codes: 0 every path ALIVE (created or already there), 2 parameter missing, 3 LifeKeeper not
#   running, 4 LocalAddresses and PeerAddresses differ in count, 5 sys_create or net_create failed,
#   6 a path is not ALIVE within WaitSeconds (the result names node, peer and addresses),
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare peer local_list peer_list wait_s
hadrill_params peer=PeerNode local_list=LocalAddresses peer_list=PeerAddresses wait_s=WaitSeconds

node="${HADRILL_NODE_NAME:-$(uname -n)}"
lktest >/dev/null 2>&1 || hadrill_fail 3 "LifeKeeper is not running on ${node}: license and start it first"
IFS=, read -ra locals <<<"$local_list"
IFS=, read -ra peers <<<"$peer_list"
if ((${#locals[@]} != ${#peers[@]})); then
  hadrill_fail 4 "LocalAddresses has ${#locals[@]} address(es), PeerAddresses ${#peers[@]}: one pair per comm path"
fi

# path_state <lcdstatus -q text> <peer> <local/peer addresses>: ALIVE, DEAD or "none" (not listed).
path_state() {
  local line section="" state=none
  local -a f
  while IFS= read -r line; do
    read -ra f <<<"$line"
    if ((${#f[@]} == 0)); then
      continue
    elif [[ "${f[0]}" == MACHINE ]]; then
      section=paths
    elif [[ "$section" == paths ]] && ((${#f[@]} == 5)) && [[ "${f[0]}" == "$2" && "${f[2]}" == "$3" ]]; then
      state="${f[3]}"
    fi
  done <<<"$1"
  printf '%s' "$state"
}

if lk_system_known "$peer"; then
  hadrill_step "system ${peer}: already known"
else
  lk_add_system "$node" "$peer" >&2 || hadrill_fail 5 "sys_create of ${peer} failed on ${node}"
  hadrill_changed "system ${peer}: added"
fi

status="$(lcdstatus -q 2>&1)" || status=""
wanted=()
for i in "${!locals[@]}"; do
  pair="${locals[$i]}/${peers[$i]}"
  wanted+=("$pair")
  if [[ "$(path_state "$status" "$peer" "$pair")" != none ]]; then
    hadrill_step "path ${pair}: already there"
  else
    lk_create_commpath "$node" "$peer" "${locals[$i]}" "${peers[$i]}" >&2 \
      || hadrill_fail 5 "net_create of comm path ${node} -> ${peer} ${pair} failed"
    hadrill_changed "path ${pair}: created"
  fi
done

hadrill_now_ms
started_ms="$HADRILL_NOW_MS"
deadline=$((started_ms + 10#$wait_s * 1000))
while :; do
  status="$(lcdstatus -q 2>&1)" || status=""
  not_alive=""
  for pair in "${wanted[@]}"; do
    state="$(path_state "$status" "$peer" "$pair")"
    [[ "$state" == ALIVE ]] || not_alive+="${not_alive:+; }${node} -> ${peer} TCP ${pair} is ${state/none/not listed}"
  done
  [[ -n "$not_alive" ]] || break
  hadrill_now_ms
  if ((HADRILL_NOW_MS >= deadline)); then
    hadrill_fail 6 "comm path not ALIVE after ${wait_s} s: ${not_alive}" lines:paths "$(printf '%s\n' "${wanted[@]}")"
  fi
  hadrill_pause 0.1
done

paths="$(printf '%s\n' "${wanted[@]}")"
if [[ "$HADRILL_CHANGED" == true ]]; then
  summary="$(hadrill_joined "; " "${HADRILL_STEPS[@]}")"
  hadrill_result true true "comm paths ${node} -> ${peer}: ${summary}; ${#wanted[@]} path(s) ALIVE" lines:paths "$paths"
else
  hadrill_result true false "comm paths ${node} -> ${peer} already there and ALIVE (${#wanted[@]}); nothing changed" lines:paths "$paths"
fi
