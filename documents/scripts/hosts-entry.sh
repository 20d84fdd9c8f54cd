#!/bin/bash
# HADrill-HostsEntry: make /etc/hosts map the logical host to the virtual IP ("<VIP> <logical host>"),
# the same line on both nodes. Idempotent: when the line is already there nothing is written.
# Another mapping of the same host name is removed (other names on that line are kept).
# Exit codes: 0 done or already present, 2 parameter missing, 3 hosts file missing or not writable,
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare vip host
hadrill_params vip=VirtualIp host=LogicalHost

hosts_file="${HADRILL_HOSTS_FILE:-${HADRILL_ROOT}/etc/hosts}"
[[ -f "$hosts_file" ]] || hadrill_fail 3 "hosts file ${hosts_file} not found"
wanted="${vip} ${host}"

current="$(awk -v h="$host" '$1 !~ /^#/ { for (i = 2; i <= NF; i++) if ($i == h) { print $1; break } }' "$hosts_file")"
if [[ "$current" == "$vip" ]]; then
  hadrill_result true false "already present: ${wanted}" str:entry "$wanted"
  exit 0
fi

new_file="$(mktemp "${hosts_file}.hadrill.XXXXXX")"
trap 'rm -f "$new_file"' EXIT
awk -v h="$host" '
  $1 ~ /^#/ || NF < 2 { print; next }
  {
    out = $1; kept = 0
    for (i = 2; i <= NF; i++) if ($i != h) { out = out " " $i; kept++ }
    if (kept == NF - 1) print; else if (kept > 0) print out
  }' "$hosts_file" >"$new_file"
printf '%s\n' "$wanted" >>"$new_file"
# Write in place (keeps the file's owner, mode and SELinux label).
cat "$new_file" >"$hosts_file" || hadrill_fail 3 "cannot write ${hosts_file}"

message="added: ${wanted}"
if [[ -n "$current" ]]; then
  message="replaced ${current} ${host} with: ${wanted}"
fi
hadrill_result true true "$message" str:entry "$wanted"
