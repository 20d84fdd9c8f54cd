#!/bin/bash
# HADrill-NodeStatus: report one node as it is, raw, for the Lambda to interpret with hadrill.*:
#   LifeKeeper up (lktest, LK_INITDONE), lcdstatus -q text, HULFT daemon lines from ps -ef,
#   whether the HULFT resource exists here (ins_list), /data mounted, mirror_status text, verdict and
#   "% Synced" figure,
#   the hosts entry, installed packages, HULFT install.
# Exit codes: 0 report printed (ok=true: the report itself says what is wrong), 2 parameter missing,
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare logical_host hulft_tag mirror_tag install_dir data_mount
hadrill_params logical_host=LogicalHost hulft_tag=HulftTag mirror_tag=MirrorTag install_dir=HulftInstallDir \
  data_mount=DataMount

node="${HADRILL_NODE_NAME:-$(uname -n)}"
hosts_file="${HADRILL_HOSTS_FILE:-${HADRILL_ROOT}/etc/hosts}"

lk_running=false
if lktest >/dev/null 2>&1; then
  lk_running=true
fi
lk_initdone=false
if [[ -e "$LKROOT/config/LK_INITDONE" ]]; then
  lk_initdone=true
fi
lcd=""
hulft_defined=false
if [[ "$lk_running" == true ]]; then
  lcd="$(lcdstatus -q 2>&1)" || true
  if lk_exists "$hulft_tag"; then
    hulft_defined=true
  fi
fi

# Only HULFT's lines, in the ps -ef format of the reference procedure (the pattern does not match
# grep's own command line).
# shellcheck disable=SC2009
ps_lines="$(ps -ef 2>/dev/null | grep -E 'hul(obs|rcv|snd)d' || true)"

data_mounted=false
if mountpoint -q "${HADRILL_ROOT}${data_mount}"; then
  data_mounted=true
fi

mirror_text="$(mirror_status "$mirror_tag" 2>&1)" || true
mirror_in_sync=false
if hadrill_mirror_in_sync "$mirror_text"; then
  mirror_in_sync=true
fi
# The "% Synced" figure as vendor.sh reads it ("?" when the text has none): overridable with the wording.
mirror_percent="$(hadrill_mirror_percent "$mirror_text")"

hosts_entry=""
if [[ -r "$hosts_file" ]]; then
  hosts_entry="$(awk -v h="$logical_host" '$1 !~ /^#/ { for (i = 2; i <= NF; i++) if ($i == h) { print $1 " " h; exit } }' "$hosts_file")"
fi

packages="$(rpm -qa 'steeleye-lk*' 2>/dev/null | sort || true)"

hulft_installed=""
marker="${HADRILL_ROOT}${install_dir}/.hadrill-installed"
if [[ -f "$marker" ]]; then
  hulft_installed="$(<"$marker")"
fi

hadrill_result true false "status of ${node}" \
  str:node "$node" \
  bool:lk_running "$lk_running" \
  bool:lk_initdone "$lk_initdone" \
  str:lcdstatus "$lcd" \
  str:hulft_tag "$hulft_tag" \
  bool:hulft_defined "$hulft_defined" \
  str:ps "$ps_lines" \
  bool:data_mounted "$data_mounted" \
  bool:mirror_in_sync "$mirror_in_sync" \
  str:mirror_status "$mirror_text" \
  str:mirror_percent "$mirror_percent" \
  str:hosts_entry "$hosts_entry" \
  lines:packages "$packages" \
  str:hulft_installed "$hulft_installed"
