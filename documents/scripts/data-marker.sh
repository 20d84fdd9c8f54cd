#!/bin/bash
# HADrill-DataMarker (drills: no data loss across a takeover): on the active node, write a marker file
# under the mirrored mount before the fault; on the node that took over, check that the same file with
# the same content is there; remove it after the drill. The file is
# <DataMount>/.hadrill-drill/<Marker> and holds the marker name and when it was written.
# Exit codes: 0 written / found / removed (or already absent), 1 marker missing or different,
#   2 parameter missing, 3 the mount is not mounted on this node, 4 cannot write or remove,
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare action marker data_mount
hadrill_params action=Action marker=Marker data_mount=DataMount

node="${HADRILL_NODE_NAME:-$(uname -n)}"
mountpoint -q "${HADRILL_ROOT}${data_mount}" || hadrill_fail 3 "${data_mount} is not mounted on ${node}: is this the active node?"
directory="${HADRILL_ROOT}${data_mount}/.hadrill-drill"
file="${directory}/${marker}"
path="${data_mount}/.hadrill-drill/${marker}"

case "$action" in
  write)
    hadrill_now_ms
    written="$HADRILL_NOW_MS"
    { mkdir -p "$directory" && printf '%s %s\n' "$marker" "$written" >"$file" && sync "$file"; } 2>/dev/null ||
      hadrill_fail 4 "cannot write ${path} on ${node}"
    hadrill_result true true "wrote ${path} on ${node}" str:path "$path" int:written_epoch_ms "$written"
    ;;
  check)
    if [[ ! -f "$file" ]]; then
      hadrill_fail 1 "${path} is missing on ${node}: data written before the fault is gone" bool:found false
    fi
    read -r name written <"$file" || true
    if [[ "$name" != "$marker" || ! "$written" =~ ^[1-9][0-9]{0,17}$ ]]; then
      hadrill_fail 1 "${path} on ${node} does not hold what was written" bool:found false
    fi
    hadrill_result true false "found ${path} on ${node}, written at ${written}" bool:found true \
      str:path "$path" int:written_epoch_ms "$written"
    ;;
  remove)
    if [[ ! -e "$file" ]]; then
      hadrill_result true false "${path} is already absent on ${node}"
      exit 0
    fi
    rm -f "$file" 2>/dev/null || hadrill_fail 4 "cannot remove ${path} on ${node}"
    hadrill_result true true "removed ${path} on ${node}"
    ;;
esac
