#!/bin/bash
# HADrill-ConformanceProbe (both nodes, the first step of setup and of a dry run): check, without
# changing anything, the vendor assumptions the other documents rest on, and report one row each:
# assumption -> ok / MISMATCH (what was seen, and the override or fix that settles it) / unchecked
# (cannot be checked in this state, says why). The rows (docs/vendor-commands.md names the sources):
#   package-*          LifeKeeper core, DataKeeper, the EC2 and HULFT Recovery Kits by their rpm names
#                      (HADRILL_PKG_* in the vendor overrides rename them)
#   lkcli              lkcli on PATH (LifeKeeper 9.5 or later)
#   lkcli-<verb>-<kind>  for every lkcli call in vendor.sh's lk_* functions, `lkcli resource <verb>
#                      <kind> --help` lists each option the function passes; a missing one for hulft,
#                      ip or ec2 selects the kits' own scripts (HADRILL_RESOURCE_TOOL=kit-scripts)
#   kit-scripts        with HADRILL_RESOURCE_TOOL=kit-scripts: extmgrDoExtend.pl and lcdremexec exist
#   lcdstatus          lcdstatus -q starts with the short status header (the Lambda re-parses it)
#   mirror-commands    DataKeeper's mirror_status is on PATH
#   mirror-wording     mirror_status of the mirror (when one exists) reads as vendor.sh expects
#   installer-switch   the staged HULFT installer's usage text names the switch hulft_run_installer
#                      passes (the ISO is mounted read-only in a private temporary directory)
#   data-device        DataDevice is a block device, empty, an LVM physical volume or holding Fstype
#                      (or mirrored already)
#   peer-<address>     the peer answers lkping at each comm path address (ICMP between the nodes)
#   lifekeeper-defaults  /etc/default/LifeKeeper is writable (LicenseAndStart sets NOBCASTPING=1)
# The raw outputs it read are in the result ("raw"), for the Lambda to save to the reports bucket.
# Exit codes: 0 every row ok or unchecked, 1 at least one MISMATCH (the rows say which),
#   2 parameter missing, 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare peer_addresses configure_base data_device fstype mirror_tag media_file staging_dir
hadrill_params peer_addresses=PeerAddresses configure_base=ConfigureBase data_device=DataDevice \
  fstype=Fstype mirror_tag=MirrorTag media_file=HulftMediaFile staging_dir=StagingDir

# Package names and the resource tool; /etc/hadrill/vendor-overrides.sh (sourced by vendor.sh above)
# may set any of them. The names are our reading (docs/vendor-commands.md: unverified, overridable).
: "${HADRILL_PKG_LIFEKEEPER:=steeleye-lk}"
: "${HADRILL_PKG_DATAKEEPER:=steeleye-lkDR}"
: "${HADRILL_PKG_EC2_KIT:=steeleye-lkECC}"
: "${HADRILL_PKG_HULFT_KIT:=steeleye-lkHUL}"
: "${HADRILL_RESOURCE_TOOL:=lkcli}"
overrides="/etc/hadrill/vendor-overrides.sh"
node="${HADRILL_NODE_NAME:-$(uname -n)}"
raw_limit=6000

rows=()
raw_fields=()
mismatches=()
checked=0

# row <id> <ok|MISMATCH|unchecked> <assumption> <what was seen> [<fix>]
row() {
  rows+=("$(hadrill_obj str:id "$1" str:status "$2" str:assumption "$3" str:saw "$4" str:fix "${5:-}")")
  checked=$((checked + 1))
  if [[ "$2" == MISMATCH ]]; then
    mismatches+=("$1")
  fi
}

# keep <command line> <its output>: the raw text, cut at raw_limit characters.
keep() {
  raw_fields+=("$(hadrill_str "$1"):$(hadrill_str "${2:0:${raw_limit}}")")
}

# run <command...>: RUN_OUT (stdout and stderr) and RUN_RC, never failing the script.
run() {
  RUN_RC=0
  RUN_OUT="$("$@" 2>&1)" || RUN_RC=$?
}

# one_line <text>: the text on one line (lines joined by " / "), at most 200 characters.
one_line() {
  local text="${1//$'\n'/ / }"
  while [[ "$text" == *"  "* ]]; do
    text="${text//  / }"
  done
  printf '%s' "${text:0:200}"
}

# has_word <text> <word>: the word (an option such as --tag) stands alone in the text.
has_word() {
  local pattern="(^|[^A-Za-z0-9_-])${2}([^A-Za-z0-9_-]|$)"
  [[ "$1" =~ $pattern ]]
}

# ---- packages ----------------------------------------------------------------------------------------
lk_version_seen=""
for entry in "lifekeeper:HADRILL_PKG_LIFEKEEPER:LifeKeeper core" \
  "datakeeper:HADRILL_PKG_DATAKEEPER:DataKeeper for Linux" \
  "ec2-kit:HADRILL_PKG_EC2_KIT:EC2 Recovery Kit"; do
  IFS=: read -r id variable label <<<"$entry"
  package="${!variable}"
  run rpm -q "$package"
  keep "rpm -q ${package}" "$RUN_OUT"
  if (( RUN_RC == 0 )); then
    row "package-${id}" ok "${label} is installed as the rpm ${package}" "$(one_line "$RUN_OUT")"
    if [[ "$id" == lifekeeper ]]; then
      lk_version_seen="${RUN_OUT#"${package}"-}"
      lk_version_seen="${lk_version_seen%%-*}"
    fi
  else
    row "package-${id}" MISMATCH "${label} is installed as the rpm ${package}" "$(one_line "$RUN_OUT")" \
      "install ${label}, or set ${variable}=<its package name> in ${overrides}"
  fi
done
run rpm -q "$HADRILL_PKG_HULFT_KIT"
keep "rpm -q ${HADRILL_PKG_HULFT_KIT}" "$RUN_OUT"
if (( RUN_RC == 0 )); then
  row package-hulft-kit ok "the HULFT Recovery Kit is the rpm ${HADRILL_PKG_HULFT_KIT}" "$(one_line "$RUN_OUT")"
else
  row package-hulft-kit unchecked "the HULFT Recovery Kit is the rpm ${HADRILL_PKG_HULFT_KIT}" \
    "not installed yet: InstallRecoveryKit installs it"
fi

# ---- lkcli and the options vendor.sh passes ---------------------------------------------------------
# Every "lkcli resource <verb> <kind>" line in the lk_* functions (as overridden), with its options.
declare -A call_options=() call_functions=()
while read -r _ _ function_name; do
  [[ "$function_name" == lk_* ]] || continue
  while IFS= read -r line; do
    pattern='lkcli[[:space:]]+resource[[:space:]]+(create|extend)[[:space:]]+([A-Za-z0-9_]+)'
    [[ "$line" =~ $pattern ]] || continue
    call="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
    for word in $line; do
      if [[ "$word" =~ ^--[A-Za-z][A-Za-z0-9_-]*$ ]] && ! has_word "${call_options[$call]:-}" "$word"; then
        call_options[$call]+="${call_options[$call]:+ }${word}"
      fi
    done
    if ! has_word "${call_functions[$call]:-}" "$function_name"; then
      call_functions[$call]+="${call_functions[$call]:+ }${function_name}"
    fi
  done < <(declare -f "$function_name")
done < <(declare -F)

selected_tool="$HADRILL_RESOURCE_TOOL"
lkcli_path="$(command -v lkcli || true)"
if [[ -n "$lkcli_path" ]]; then
  row lkcli ok "lkcli is on PATH (LifeKeeper 9.5 or later)" "${lkcli_path} (LifeKeeper ${lk_version_seen:-version unknown})"
elif [[ "$HADRILL_RESOURCE_TOOL" == kit-scripts ]]; then
  row lkcli unchecked "lkcli is on PATH (LifeKeeper 9.5 or later)" "not found; HADRILL_RESOURCE_TOOL=kit-scripts"
else
  row lkcli MISMATCH "lkcli is on PATH (LifeKeeper 9.5 or later)" \
    "lkcli not found (LifeKeeper ${lk_version_seen:-not installed})" \
    "set HADRILL_RESOURCE_TOOL=kit-scripts in ${overrides}"
  selected_tool="kit-scripts"
fi
while IFS= read -r call; do
  [[ -n "$call" && -n "$lkcli_path" ]] || continue
  read -r verb kind <<<"$call"
  # hulft, ip and ec2 have the kits' own scripts as the fallback (HADRILL_RESOURCE_TOOL); dk has none.
  kit_kind=false
  [[ "$kind" == hulft || "$kind" == ip || "$kind" == ec2 ]] && kit_kind=true
  if [[ "$kit_kind" == true && "$HADRILL_RESOURCE_TOOL" == kit-scripts ]]; then
    continue
  fi
  assumption="lkcli resource ${verb} ${kind} --help lists ${call_options[$call]}"
  run lkcli resource "$verb" "$kind" --help
  keep "lkcli resource ${verb} ${kind} --help" "$RUN_OUT"
  missing=""
  for option in ${call_options[$call]}; do
    has_word "$RUN_OUT" "$option" || missing+="${missing:+ }${option}"
  done
  if [[ -z "$missing" ]]; then
    row "lkcli-${verb}-${kind}" ok "$assumption" "all listed"
  elif [[ "$kit_kind" == true ]]; then
    row "lkcli-${verb}-${kind}" MISMATCH "$assumption" "not listed: ${missing} (exit ${RUN_RC})" \
      "set HADRILL_RESOURCE_TOOL=kit-scripts in ${overrides}"
    selected_tool="kit-scripts"
  else
    row "lkcli-${verb}-${kind}" MISMATCH "$assumption" "not listed: ${missing} (exit ${RUN_RC})" \
      "redefine ${call_functions[$call]} in ${overrides} with the options this lkcli lists"
  fi
done < <(printf '%s\n' "${!call_options[@]}" | sort)

if [[ "$HADRILL_RESOURCE_TOOL" == kit-scripts ]]; then
  extend_script="${LKROOT}/lkadm/bin/extmgrDoExtend.pl"
  if [[ -x "$extend_script" ]] && command -v lcdremexec >/dev/null; then
    row kit-scripts ok "the kits' create scripts, lcdremexec and extmgrDoExtend.pl exist" "$extend_script"
  else
    row kit-scripts MISMATCH "the kits' create scripts, lcdremexec and extmgrDoExtend.pl exist" \
      "${extend_script} or lcdremexec missing" "set HADRILL_RESOURCE_TOOL=lkcli in ${overrides}"
  fi
fi

# ---- lcdstatus -q ------------------------------------------------------------------------------------
header_pattern='^[[:space:]]*(LOCAL|BACKUP)[[:space:]]+TAG[[:space:]]+ID[[:space:]]+STATE[[:space:]]+PRIO[[:space:]]+PRIMARY'
lk_running=false
if lktest >/dev/null 2>&1; then
  lk_running=true
fi
if [[ "$lk_running" == true ]]; then
  run lcdstatus -q
  keep "lcdstatus -q" "$RUN_OUT"
  first="$(sed -n '/[^[:space:]]/{p;q}' <<<"$RUN_OUT")"
  if [[ "$first" =~ $header_pattern ]]; then
    row lcdstatus ok "lcdstatus -q prints the short status (LOCAL TAG ID STATE PRIO PRIMARY)" "$(one_line "$first")"
  else
    row lcdstatus MISMATCH "lcdstatus -q prints the short status (LOCAL TAG ID STATE PRIO PRIMARY)" \
      "$(one_line "${first:-no output} (exit ${RUN_RC})")" \
      "none to set: attach the saved raw output to a bug report (hadrill.lcdstatus must learn this format)"
  fi
elif [[ "$configure_base" == yes ]]; then
  row lcdstatus unchecked "lcdstatus -q prints the short status (LOCAL TAG ID STATE PRIO PRIMARY)" \
    "LifeKeeper is not running yet: LicenseAndStart starts it"
else
  row lcdstatus MISMATCH "lcdstatus -q prints the short status (LOCAL TAG ID STATE PRIO PRIMARY)" \
    "LifeKeeper is not running" "start LifeKeeper (lkstart) here, or run setup with configureBase: true"
fi

# ---- DataKeeper's mirror commands and the mirror_status wording -------------------------------------
mirror_path="$(command -v mirror_status || true)"
if [[ -n "$mirror_path" ]]; then
  row mirror-commands ok "DataKeeper's mirror_status is on PATH" "$mirror_path"
else
  row mirror-commands MISMATCH "DataKeeper's mirror_status is on PATH" "mirror_status not found" \
    "install DataKeeper for Linux (${HADRILL_PKG_DATAKEEPER}); its commands must be on PATH or in ${LKROOT}/bin"
fi
mirror_defined=false
if [[ "$lk_running" == true ]] && lk_exists "$mirror_tag"; then
  mirror_defined=true
fi
wording="mirror_status reads as vendor.sh expects (a '% Synced' figure; 'Fully Operational' when in sync)"
if [[ "$mirror_defined" == true && -n "$mirror_path" ]]; then
  run mirror_status "$mirror_tag"
  keep "mirror_status ${mirror_tag}" "$RUN_OUT"
  percent="$(hadrill_mirror_percent "$RUN_OUT")"
  in_sync=no
  if hadrill_mirror_in_sync "$RUN_OUT"; then
    in_sync=yes
  fi
  if [[ "$percent" == "?" || ( "$percent" == 100 && "$in_sync" == no ) ]]; then
    row mirror-wording MISMATCH "$wording" "$(one_line "$RUN_OUT")" \
      "define hadrill_mirror_in_sync and hadrill_mirror_percent for this wording in ${overrides}"
  else
    row mirror-wording ok "$wording" "${percent} % synced, in sync: ${in_sync}"
  fi
else
  row mirror-wording unchecked "$wording" "no mirror ${mirror_tag} here yet: DataMirror creates it"
fi

# ---- the HULFT installer's silent switch (from its usage text) ----------------------------------------
switch=""
switch_pattern='installer[[:space:]]+(-[A-Za-z0-9][A-Za-z0-9_-]*)'
if [[ "$(declare -f hulft_run_installer 2>/dev/null || true)" =~ $switch_pattern ]]; then
  switch="${BASH_REMATCH[1]}"
fi
iso="${HADRILL_ROOT}${staging_dir}/${media_file}"
assumption="the HULFT installer's usage text names the switch hulft_run_installer passes (${switch:-none})"
if [[ -z "$switch" ]]; then
  row installer-switch unchecked "$assumption" "hulft_run_installer passes no switch to ./installer"
elif [[ ! -r "$iso" ]]; then
  row installer-switch unchecked "$assumption" "${staging_dir}/${media_file} is not staged yet: StageMedia copies it"
else
  hadrill_workdir probe
  work="$HADRILL_WORK"
  mkdir "$work/iso"
  usage=""
  if hadrill_mount_iso "$iso" "$work/iso"; then
    # Read, never run: the installer's own usage lines (a binary's strings, or a script's text).
    usage="$(tar -xOf "$work/iso/64bit/linux_x86/hulft.tar" --wildcards '*installer' 2>/dev/null \
      | tr -c '[:print:]\n' '\n' | grep -iE 'usage|silent|-[A-Za-z]+ ' | head -n 20 || true)"
    umount "$HADRILL_MOUNTED" >&2 || true
    HADRILL_MOUNTED=""
  fi
  keep "installer usage text (${media_file})" "$usage"
  if [[ -n "$usage" ]] && has_word "$usage" "$switch"; then
    row installer-switch ok "$assumption" "$(one_line "$(grep -m 1 -F -- "$switch" <<<"$usage" || true)")"
  else
    row installer-switch MISMATCH "$assumption" "$(one_line "${usage:-no usage text found in the installer}")" \
      "redefine hulft_run_installer in ${overrides} with the installer's silent switch"
  fi
fi

# ---- the data device ---------------------------------------------------------------------------------
assumption="${data_device} is a block device, empty or holding ${fstype}"
if [[ "$mirror_defined" == true ]]; then
  row data-device ok "$assumption" "mirrored already (${mirror_tag})"
else
  run lk_device_fstype "$data_device"
  keep "lsblk -dno FSTYPE ${data_device}" "$RUN_OUT"
  if (( RUN_RC != 0 )); then
    row data-device MISMATCH "$assumption" "$(one_line "$RUN_OUT")" \
      "set lifekeeper.data_device in the cluster config to the /data volume's device"
  elif [[ -z "$RUN_OUT" ]]; then
    row data-device ok "$assumption" "no file system yet (DataMirror creates ${fstype})"
  elif [[ "$RUN_OUT" == LVM2_member ]]; then
    row data-device ok "$assumption" "an LVM physical volume (DataMirror mirrors an LVM volume on it)"
  elif [[ "$RUN_OUT" == "$fstype" ]]; then
    row data-device ok "$assumption" "holds ${fstype} (DataMirror mirrors it as it is)"
  else
    row data-device MISMATCH "$assumption" "holds ${RUN_OUT}" \
      "set lifekeeper.data_fstype: ${RUN_OUT} in the cluster config, or attach an empty volume"
  fi
fi

# ---- the peer answers lkping (ICMP between the nodes) ------------------------------------------------
assumption="the peer answers lkping (ICMP echo allowed between the nodes)"
if [[ "$peer_addresses" == none ]]; then
  row peer unchecked "$assumption" "no comm path address of the peer is known"
elif ! command -v lkping >/dev/null; then
  row peer MISMATCH "$assumption" "lkping not found on PATH or in ${LKROOT}/bin" \
    "install LifeKeeper (${HADRILL_PKG_LIFEKEEPER}), which provides lkping"
else
  IFS=, read -ra addresses <<<"$peer_addresses"
  for address in "${addresses[@]}"; do
    run lkping -c 1 -w 2 "$address"
    keep "lkping -c 1 -w 2 ${address}" "$RUN_OUT"
    if (( RUN_RC == 0 )); then
      row "peer-${address}" ok "$assumption" "${address} answered"
    else
      row "peer-${address}" MISMATCH "$assumption" \
        "no answer from ${address} (exit ${RUN_RC}): $(one_line "$(tail -n 2 <<<"$RUN_OUT")")" \
        "allow ICMP echo between the two nodes (security group and host firewall): DataKeeper and the IP kit check the peer with lkping"
    fi
  done
fi

# ---- /etc/default/LifeKeeper writable ----------------------------------------------------------------
defaults="${HADRILL_ROOT}/etc/default/LifeKeeper"
assumption="/etc/default/LifeKeeper can be written (LicenseAndStart sets NOBCASTPING=1 there)"
if [[ -f "$defaults" && -w "$defaults" ]]; then
  row lifekeeper-defaults ok "$assumption" "writable"
elif [[ -f "$defaults" ]]; then
  row lifekeeper-defaults MISMATCH "$assumption" "not writable" \
    "make /etc/default/LifeKeeper writable for root (read-only file system or immutable attribute?)"
else
  row lifekeeper-defaults MISMATCH "$assumption" "missing" \
    "install LifeKeeper (${HADRILL_PKG_LIFEKEEPER}), which creates /etc/default/LifeKeeper"
fi

# ---- the result ----------------------------------------------------------------------------------------
checks="$(IFS=,; printf '[%s]' "${rows[*]}")"
raw="$(IFS=,; printf '{%s}' "${raw_fields[*]}")"
fields=(
  str:node "$node"
  str:resource_tool "$selected_tool"
  str:resource_tool_set "$HADRILL_RESOURCE_TOOL"
  json:checks "$checks"
  json:raw "$raw"
)
if (( ${#mismatches[@]} == 0 )); then
  hadrill_result true false "conformance of ${node}: ${checked} checks, no mismatch" "${fields[@]}"
  exit 0
fi
hadrill_result false false "conformance of ${node}: MISMATCH ${mismatches[*]}" "${fields[@]}" int:exit_code 1
exit 1
