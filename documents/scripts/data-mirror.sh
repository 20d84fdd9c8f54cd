#!/bin/bash
# HADrill-DataMirror (run on the primary): the DataKeeper resource that replicates the /data volume to
# the standby, with its file system resource (tagged by the mount point) above it.
# DataKeeper mirrors a partition or an LVM volume, not a whole disk: when DataDevice is a whole disk, the
# mirror goes on an LVM logical volume filling it (as SIOS's newest AWS scripts do; vendor.sh
# lk_create_volume, names overridable), made on both nodes; a partition or logical volume given as
# DataDevice is mirrored as it is. A whole disk that already holds a file system is left alone (the step
# stops). The file system is created only when the mirrored device has none (--hierarchy new); a device
# that already holds one is mounted and replicated as it is (--hierarchy existing); a different file
# system type stops the step. Then the mirror is extended to the standby over the first comm path's
# addresses, and the step waits (at most WaitSeconds) until the mirror is fully synced, reporting the
# resync progress. ins_list, eqv_list and lvdisplay are checked first, so a rerun on a configured
# cluster changes nothing. Every vendor command here has a row in docs/vendor-commands.md.
# Exit codes: 0 mirrored and in sync (or already), 2 parameter missing, 3 LifeKeeper not running,
#   4 data device missing, a whole disk holding a file system, or the volume cannot be made, 5 create
#   failed, 6 extend failed (or no comm path to the target, or no volume on it), 7 the file system
#   resource is not ISP here, 8 not in sync within WaitSeconds (the result carries the progress),
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare target_node tag mount device fstype mode target_priority switchback wait_s
hadrill_params target_node=TargetNode tag=MirrorTag mount=DataMount device=DataDevice fstype=Fstype \
  mode=MirrorMode target_priority=TargetPriority switchback=SwitchbackType wait_s=WaitSeconds

node="${HADRILL_NODE_NAME:-$(uname -n)}"
lktest >/dev/null 2>&1 || hadrill_fail 3 "LifeKeeper is not running on ${node}"

# What DataKeeper mirrors: the device itself when it is a partition or logical volume, else (a whole
# disk) the LVM volume on it.
device_type="$(lk_device_type "$device" 2>/dev/null)" || device_type=""
on_volume=false
mirrored="$device"
case "$device_type" in
  part | lvm) ;;
  disk) on_volume=true mirrored="$(lk_volume_device)" ;;
  "") ;;
  *) hadrill_fail 4 "${device} is a ${device_type} device: give a disk, a partition or an LVM volume" ;;
esac

if lk_exists "$tag"; then
  hadrill_step "create: ${tag} already exists"
else
  [[ -n "$device_type" ]] || hadrill_fail 4 "data device ${device} not found on ${node}"
  if [[ "$on_volume" == true ]] && ! lk_volume_exists; then
    whole="$(lk_device_fstype "$device" 2>/dev/null)" || whole=""
    if [[ -n "$whole" && "$whole" != LVM2_member ]]; then
      hadrill_fail 4 "${device} holds a ${whole} file system on the whole disk: DataKeeper mirrors a partition or an LVM volume; not touching it (move the data, or give the partition as DataDevice)"
    fi
    lk_create_volume "$device" >&2 \
      || hadrill_fail 4 "cannot create LVM volume ${HADRILL_DATA_VG}/${HADRILL_DATA_LV} on ${device} on ${node}"
    hadrill_step "LVM volume ${HADRILL_DATA_VG}/${HADRILL_DATA_LV} on ${device}"
  fi
  found="$(lk_device_fstype "$mirrored" 2>/dev/null)" || hadrill_fail 4 "data device ${mirrored} not found on ${node}"
  if [[ -z "$found" ]]; then
    hierarchy=new
    hadrill_step "new ${fstype} file system on ${mirrored}"
  elif [[ "$found" == "$fstype" ]]; then
    hierarchy=existing
    if ! mountpoint -q "${HADRILL_ROOT}${mount}"; then
      lk_mount_device "$mirrored" "$fstype" "${HADRILL_ROOT}${mount}" >&2 \
        || hadrill_fail 4 "cannot mount the existing ${found} file system of ${mirrored} on ${mount}"
    fi
    hadrill_step "existing ${found} file system on ${mirrored} kept"
  else
    hadrill_fail 4 "${mirrored} already holds a ${found} file system, not ${fstype}: not touching it"
  fi
  lk_create_mirror "$tag" "$mode" "$mirrored" "$fstype" "$mount" "$hierarchy" >&2 \
    || hadrill_fail 5 "creating DataKeeper resource ${tag} (${mode}, ${mirrored} on ${mount}) on ${node} failed"
  hadrill_changed "${tag} created (${mode})"
fi

if lk_extended_to "$tag" "$target_node"; then
  hadrill_step "extend to ${target_node}: already extended"
else
  # The replication addresses: those of the first comm path to the target (as SIOS's CreateMirrorHierarchy.pl
  # does with net_list; docs/vendor-commands.md).
  addresses=""
  while read -r machine network pair _state _prio; do
    if [[ "$machine" == "$target_node" && "$network" == TCP && "$pair" == */* ]]; then
      addresses="$pair"
      break
    fi
  done < <(lcdstatus -q 2>/dev/null | sed -n '/^MACHINE/,$p' | tail -n +2)
  [[ -n "$addresses" ]] || hadrill_fail 6 "no TCP comm path from ${node} to ${target_node} to replicate over"
  # The target needs the same volume (same names, so the same device path) before the extend.
  if [[ "$on_volume" == true ]] && ! lk_volume_exists "$target_node"; then
    lk_create_volume "$device" "$target_node" >&2 \
      || hadrill_fail 6 "cannot create LVM volume ${HADRILL_DATA_VG}/${HADRILL_DATA_LV} on ${device} on ${target_node}"
    hadrill_step "LVM volume ${HADRILL_DATA_VG}/${HADRILL_DATA_LV} on ${target_node}"
  fi
  lk_extend_mirror "$tag" "$target_node" "$mode" "${addresses%%/*}" "${addresses#*/}" "$mount" "$switchback" \
    "$target_priority" >&2 || hadrill_fail 6 "extending ${tag} to ${target_node} failed"
  hadrill_changed "extended to ${target_node} over ${addresses}"
fi

lk_scan_now "$mount"
if [[ "$LK_ROOT_STATE" != ISP ]]; then
  hadrill_fail 7 "file system resource ${mount} is ${LK_ROOT_STATE} on ${node}; expected ISP"
fi

# Wait for the full resync, noting each change of the synced percentage.
hadrill_now_ms
started_ms="$HADRILL_NOW_MS"
deadline=$((started_ms + 10#$wait_s * 1000))
progress="" last=""
while :; do
  text="$(mirror_status "$tag" 2>&1)" || true
  percent="$(hadrill_mirror_percent "$text")"
  hadrill_now_ms
  elapsed=$((HADRILL_NOW_MS - started_ms))
  if [[ "$percent" != "$last" ]]; then
    progress+="${progress:+,}$(hadrill_obj int:ms "$elapsed" str:percent "$percent")"
    printf 'resync %s: %s%% after %d ms\n' "$tag" "$percent" "$elapsed" >&2
    last="$percent"
  fi
  hadrill_mirror_in_sync "$text" && break
  if ((HADRILL_NOW_MS >= deadline)); then
    hadrill_fail 8 "mirror ${tag} not in sync after ${wait_s} s: ${percent}% synced ($(printf '%s' "$text" | tr -s ' \n' ' ' | sed 's/ *$//')); a rerun waits again" \
      json:resync "$(hadrill_obj bool:in_sync false int:waited_ms "$elapsed" str:percent "$percent" json:progress "[${progress}]")"
  fi
  hadrill_pause 0.1
done

fields=(str:tag "$tag" str:filesystem_tag "$mount"
  json:resync "$(hadrill_obj bool:in_sync true int:waited_ms "$elapsed" str:percent "$percent" json:progress "[${progress}]")")
if [[ "$HADRILL_CHANGED" == true ]]; then
  summary="$(hadrill_joined "; " "${HADRILL_STEPS[@]}")"
  hadrill_result true true "mirror ${tag} of ${mount}: ${summary}; in sync after ${elapsed} ms" "${fields[@]}"
else
  hadrill_result true false "mirror ${tag} of ${mount} already created, extended to ${target_node} and in sync; nothing changed" \
    "${fields[@]}"
fi
