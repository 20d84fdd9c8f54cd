#!/bin/bash
# HADrill-InstallRecoveryKit: install the HULFT Recovery Kit rpm for LifeKeeper (rpm -ivh --force, as
# in the reference procedure) from the staged ISO or rpm. Skipped when that version is installed.
# Exit codes: 0 installed or already installed, 2 parameter missing, 3 media missing or no rpm of that
#   version on it, 6 rpm failed, 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare kit_file rpm_name rpm_version staging_dir
hadrill_params kit_file=RecoveryKitFile rpm_name=RpmName rpm_version=RpmVersion staging_dir=StagingDir

wanted="${rpm_name}-${rpm_version}"
installed="$(rpm -q "$rpm_name" 2>/dev/null)" || installed=""
if [[ "$installed" == "$wanted" || "$installed" == "$wanted".* ]]; then
  hadrill_result true false "${installed} is already installed; nothing changed" str:package "$installed"
  exit 0
fi

source_file="${HADRILL_ROOT}${staging_dir}/${kit_file}"
[[ -r "$source_file" ]] || hadrill_fail 3 "Recovery Kit media ${staging_dir}/${kit_file} is not staged"

hadrill_workdir kit
work="$HADRILL_WORK"

rpm_file=""
if [[ "$source_file" == *.rpm ]]; then
  rpm_file="$source_file"
else
  mkdir "$work/iso"
  hadrill_mount_iso "$source_file" "$work/iso" || hadrill_fail 3 "cannot mount ${kit_file} read-only"
  for candidate in "$work/iso/${wanted}".*.rpm "$work/iso"/*/"${wanted}".*.rpm; do
    if [[ -f "$candidate" ]]; then
      rpm_file="$candidate"
      break
    fi
  done
  [[ -n "$rpm_file" ]] || hadrill_fail 3 "no ${wanted} rpm on ${kit_file}"
fi

rpm -ivh --force "$rpm_file" >&2 || hadrill_fail 6 "rpm -ivh ${rpm_file##*/} failed"
installed="$(rpm -q "$rpm_name" 2>/dev/null)" || hadrill_fail 6 "rpm reports ${rpm_name} missing after install"
message="installed ${installed}"
hadrill_result true true "$message" str:package "$installed"
