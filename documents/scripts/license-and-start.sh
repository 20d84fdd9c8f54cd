#!/bin/bash
# HADrill-LicenseAndStart (both nodes, first step of the cluster base): when LifeKeeper is not running,
# install its license key from Secrets Manager (lkkeyins), start it (lkstart) and wait until it is
# initialised (LK_INITDONE); report the version. Also sets NOBCASTPING=1 in /etc/default/LifeKeeper,
# which the EC2 Recovery Kit's route-table scenario requires (no broadcast ping checks of IP resources
# across Availability Zones). A running LifeKeeper is licensed (it does not start without a key), so
# a rerun changes nothing. The license text only ever sits in a 0600 file in a 0700 directory that is
# removed on exit; it is never printed.
# Exit codes: 0 running (or already), 2 parameter missing, 3 LifeKeeper not installed, 4 license secret
#   unreadable or not a license file, 5 lkkeyins failed, 6 lkstart failed or not initialised in time,
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare secret_id wait_s
hadrill_params secret_id=SecretId wait_s=WaitSeconds

node="${HADRILL_NODE_NAME:-$(uname -n)}"
initialised() {
  lktest >/dev/null 2>&1 && [[ -e "$LKROOT/config/LK_INITDONE" ]]
}

[[ -n "$(lk_version)" ]] || hadrill_fail 3 "LifeKeeper is not installed on ${node} (no steeleye-lk package)"
defaults="${HADRILL_ROOT}/etc/default/LifeKeeper"
[[ -f "$defaults" ]] || hadrill_fail 3 "LifeKeeper is not installed on ${node} (no /etc/default/LifeKeeper)"

if ! grep -qx 'NOBCASTPING=1' "$defaults"; then
  if grep -q '^NOBCASTPING=' "$defaults"; then
    sed -i 's/^NOBCASTPING=.*/NOBCASTPING=1/' "$defaults"
  else
    printf 'NOBCASTPING=1\n' >>"$defaults"
  fi
  hadrill_changed "NOBCASTPING=1 set"
fi

if initialised && [[ "$HADRILL_CHANGED" == false ]]; then
  version="$(lk_version)"
  hadrill_result true false "LifeKeeper ${version:-?} already licensed and running on ${node}; nothing changed" \
    str:version "$version" bool:started false
  exit 0
fi
if ! lktest >/dev/null 2>&1; then
  umask 077
  hadrill_workdir lk
  work="$HADRILL_WORK"
  license="$work/license.lic"
  # The CLI's error text never contains the secret value; only its last line is reported.
  if ! aws secretsmanager get-secret-value --secret-id "$secret_id" --query SecretString --output text \
    >"$license" 2>"$work/aws.err"; then
    hadrill_fail 4 "cannot read the LifeKeeper license secret ${secret_id} on ${node}: $(tail -n 1 "$work/aws.err")"
  fi
  if ! grep -qE '^(FEATURE|INCREMENT)[[:space:]]' "$license"; then
    hadrill_fail 4 "secret ${secret_id} is not a LifeKeeper license file (no FEATURE or INCREMENT line)"
  fi
  # lkkeyins output may echo key material: keep it out of the result, report its exit code.
  if ! lk_install_license "$license" >"$work/lkkeyins.out" 2>&1; then
    hadrill_fail 5 "lkkeyins rejected the license from ${secret_id} on ${node}"
  fi
  rm -f "$license" "$work/lkkeyins.out"
  hadrill_step "license installed from ${secret_id}"
  lk_start >&2 || hadrill_fail 6 "lkstart failed on ${node}"
  hadrill_changed "lkstart"
elif [[ ! -e "$LKROOT/config/LK_INITDONE" ]]; then
  hadrill_step "already starting"
else
  hadrill_step "already running"
fi

hadrill_now_ms
started_ms="$HADRILL_NOW_MS"
deadline=$((started_ms + 10#$wait_s * 1000))
until initialised; do
  hadrill_now_ms
  if ((HADRILL_NOW_MS >= deadline)); then
    hadrill_fail 6 "LifeKeeper did not finish initialising on ${node} within ${wait_s} s (no LK_INITDONE)"
  fi
  hadrill_pause 0.1
done
hadrill_now_ms
waited_ms=$((HADRILL_NOW_MS - started_ms))
version="$(lk_version)"
summary="$(hadrill_joined ", " "${HADRILL_STEPS[@]}")"
hadrill_result true "$HADRILL_CHANGED" "LifeKeeper ${version:-?} running on ${node}: ${summary}, initialised after $((waited_ms / 1000)).$(printf '%03d' $((waited_ms % 1000))) s" \
  str:version "$version" bool:started true int:init_wait_ms "$waited_ms"
