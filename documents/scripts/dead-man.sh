# shellcheck shell=bash
# The dead-man switch on a node (issue 17): a restore that needs no orchestrator. Before a fault that
# takes the node itself away (network-down), the drill arms a systemd transient timer that reboots this
# node at the drill's deadline: a reboot brings LifeKeeper back as standby, the vendor-documented way
# back after a takeover (an ifup is not). A transient timer lives under /run, so the reboot it causes,
# or the recovery's own reboot, removes it; the recovery stops it when the node never went away.
# When it fires it first writes a stamp on local disk, so the drill can tell "fired" from "disarmed".
# systemd-run and systemctl: rows in docs/vendor-commands.md (section "OS").

HADRILL_DEAD_MAN_DIR="${HADRILL_DEAD_MAN_DIR:-${HADRILL_ROOT:-}/var/lib/hadrill/dead-man}"

# dead_man_stamp <unit>: the stamp file the timer writes when it fires.
# shellcheck disable=SC2317  # a helper: not every document calls it
dead_man_stamp() {
  printf '%s/%s.fired' "$HADRILL_DEAD_MAN_DIR" "$1"
}

# dead_man_arm <seconds> <unit>: a transient timer <unit>.timer that, <seconds> from now, runs a small
# script (next to the stamp) that writes the stamp (epoch ms) and reboots the node. The timer's command
# line holds no "$" and no "%": systemd expands both in a unit's command line. AccuracySec=1s: systemd's
# default accuracy is one minute.
# shellcheck disable=SC2317  # a helper: not every document calls it
dead_man_arm() {
  local seconds="$1" unit="$2" stamp action
  stamp="$(dead_man_stamp "$unit")"
  action="${HADRILL_DEAD_MAN_DIR}/${unit}.sh"
  mkdir -p "$HADRILL_DEAD_MAN_DIR" || return 1
  rm -f "$stamp"
  # shellcheck disable=SC2016  # the action's own variables expand when the timer runs it
  printf '#!/bin/bash\nt="${EPOCHREALTIME/[.,]/}"\nprintf "%%s\\n" "${t:0:${#t}-3}" >%q\nsync\nsystemctl reboot\n' \
    "$stamp" >"$action" || return 1
  systemd-run --unit="$unit" --description="hadrill dead-man switch: reboot after the drill's deadline" \
    --on-active="${seconds}s" --timer-property=AccuracySec=1s /bin/bash "$action" >&2
}

# dead_man_disarm <unit>: sets DEAD_MAN_OUTCOME to fired (the stamp is there: DEAD_MAN_FIRED_MS),
# disarmed (the timer was running here and is stopped now) or gone (no timer: a reboot removed it).
# shellcheck disable=SC2317,SC2034  # a helper (not every document calls it); the caller reads both
dead_man_disarm() {
  local unit="$1" stamp
  stamp="$(dead_man_stamp "$unit")"
  DEAD_MAN_FIRED_MS=""
  if [[ -f "$stamp" ]]; then
    DEAD_MAN_OUTCOME=fired
    DEAD_MAN_FIRED_MS="$(<"$stamp")"
  elif systemctl is-active --quiet "${unit}.timer"; then
    systemctl stop "${unit}.timer" >&2 || return 1
    DEAD_MAN_OUTCOME=disarmed
  else
    DEAD_MAN_OUTCOME=gone
  fi
}
