#!/bin/bash
# HADrill-InstallHulft: unattended HULFT install as the active (primary: programs + settings on the
# mirror) or standby (secondary: programs only) cluster node, from the staged ISO:
#   mount it read-only, extract 64bit/linux_x86/hulft.tar, write the Installation Information file,
#   run the installer (vendor.sh says how), remove the file, record the install.
# The serial and product key are read from Secrets Manager here on the node, written only to a 0600
# file inside a 0700 directory that is removed on exit, never echoed, never passed on a command line.
# The standby gets its TMPDIR and PIDDIR (<HULEXEP>/tmp, <HULEXEP>/etc) with mode 0750 (the reference
# procedure used 777). A second run with the same version and role changes nothing and says so.
# Exit codes: 0 installed or already installed, 2 parameter missing, 3 media missing or unreadable,
#   4 secret unreadable or malformed, 5 another version or role is installed (no upgrades here),
#   6 the installer failed, 7 the data mount is not mounted on the active node, 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end
set +x

# parameters (set by hadrill_params)
declare role logical_host secret_id media_file version staging_dir install_dir settings_dir data_mount
hadrill_params role=Role logical_host=LogicalHost secret_id=SecretId media_file=HulftMediaFile \
  version=HulftVersion staging_dir=StagingDir install_dir=HulftInstallDir settings_dir=HulftSettingsDir \
  data_mount=DataMount

root="${HADRILL_ROOT}"
marker="${root}${install_dir}/.hadrill-installed"
wanted="${version} ${role}"
if [[ -f "$marker" ]]; then
  installed="$(<"$marker")"
  if [[ "$installed" == "$wanted" ]]; then
    hadrill_result true false "HULFT ${version} (${role}) is already installed; nothing changed" \
      str:installed "$installed"
    exit 0
  fi
  hadrill_fail 5 "HULFT '${installed}' is installed, wanted '${wanted}': upgrades and role changes are not automated"
fi
if [[ -e "${root}${install_dir}/bin/hulsndd" ]]; then
  hadrill_fail 5 "HULFT programs exist in ${install_dir}/bin but were not installed by this document: not touching them"
fi

iso="${root}${staging_dir}/${media_file}"
[[ -r "$iso" ]] || hadrill_fail 3 "HULFT media ${staging_dir}/${media_file} is not staged"
if [[ "$role" == active ]] && ! mountpoint -q "${root}${data_mount}"; then
  hadrill_fail 7 "${data_mount} is not mounted here: the active install puts HULPATH on the mirror, run it where the hierarchy is in service"
fi

umask 077
hadrill_workdir hulft
work="$HADRILL_WORK"
mkdir "$work/iso" "$work/extract"

hadrill_mount_iso "$iso" "$work/iso" || hadrill_fail 3 "cannot mount ${media_file} read-only"
tar -xf "$work/iso/64bit/linux_x86/hulft.tar" -C "$work/extract" >&2 \
  || hadrill_fail 3 "cannot extract 64bit/linux_x86/hulft.tar from ${media_file}"
umount "$HADRILL_MOUNTED" >&2
HADRILL_MOUNTED=""

# The secret: {"serial": "<13 digits>", "productKey": "<25 characters>"}. Errors are reported by their
# last line only (the CLI's error text never contains the secret value).
if ! secret="$(aws secretsmanager get-secret-value --secret-id "$secret_id" --query SecretString --output text 2>"$work/aws.err")"; then
  hadrill_fail 4 "cannot read secret ${secret_id}: $(tail -n 1 "$work/aws.err")"
fi
serial_re='"serial"[[:space:]]*:[[:space:]]*"([0-9]{13})"'
key_re='"productKey"[[:space:]]*:[[:space:]]*"([A-Za-z0-9-]{25,29})"'
[[ "$secret" =~ $serial_re ]] || hadrill_fail 4 "secret ${secret_id} has no serial of 13 digits"
serial="${BASH_REMATCH[1]}"
[[ "$secret" =~ $key_re ]] || hadrill_fail 4 "secret ${secret_id} has no productKey of 25 characters"
product_key="${BASH_REMATCH[1]}"
unset secret

info="$work/install.info"
{
  printf 'SERIAL=%s\n' "$serial"
  printf 'PRODUCTKEY=%s\n' "$product_key"
  hulft_info_lines "$role" "$install_dir" "$settings_dir" "$logical_host"
} >"$info"
chmod 0600 "$info"
umask 022

rc=0
hulft_run_installer "$work/extract" "$info" >"$work/installer.log" 2>&1 || rc=$?
rm -f "$info"
# Show the installer's last lines with the secrets masked.
while IFS= read -r line; do
  line="${line//"$serial"/*************}"
  printf '%s\n' "${line//"$product_key"/*************************}" >&2
done < <(tail -n 20 "$work/installer.log")
unset serial product_key
if (( rc != 0 )); then
  hadrill_fail 6 "the HULFT installer failed with exit ${rc} (its last lines are on stderr)"
fi

if [[ "$role" == standby ]]; then
  mkdir -p "${root}${install_dir}/tmp" "${root}${install_dir}/etc"
  chmod 0750 "${root}${install_dir}/tmp" "${root}${install_dir}/etc"
fi
printf '%s\n' "$wanted" >"$marker"
chmod 0644 "$marker"
hadrill_result true true "HULFT ${version} installed as ${role} (HULEXEP ${install_dir}, HULPATH ${settings_dir}, MYHOSTNAME ${logical_host})" \
  str:installed "$wanted"
