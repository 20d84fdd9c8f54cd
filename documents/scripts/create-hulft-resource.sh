#!/bin/bash
# HADrill-CreateHulftResource (run on the primary): create the HULFT resource hierarchy (switchback
# type, HULEXEP, HULPATH, file system tag, template priority) and extend it to the standby (target
# priority). With VipTag set, the hierarchy also depends on the virtual IP resource (dep_create on both
# nodes), so a takeover brings up the IP, then /data, then the daemons. ins_list, eqv_list and dep_list
# are checked first, so a rerun is a no-op. The create and extend command lines are lk_create_hulft /
# lk_extend_hulft in vendor.sh (lkcli, or the kit's scripts with HADRILL_RESOURCE_TOOL=kit-scripts;
# docs/vendor-commands.md says why neither is confirmed). A VipTag naming no resource is skipped and
# said so in the message.
# Exit codes: 0 created and extended (or already), 2 parameter missing, 3 LifeKeeper not running,
#   4 create failed, 5 extend failed, 6 the hierarchy is not ISP here afterwards, 7 dep_create failed,
#   70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare target_node tag hulexep hulpath fs_tag template_priority target_priority switchback vip_tag
hadrill_params target_node=TargetNode tag=HulftTag hulexep=Hulexep hulpath=Hulpath fs_tag=FilesystemTag \
  template_priority=TemplatePriority target_priority=TargetPriority switchback=SwitchbackType vip_tag=VipTag

lktest >/dev/null 2>&1 || hadrill_fail 3 "LifeKeeper is not running on this node"

if lk_exists "$tag"; then
  hadrill_step "create: already exists"
else
  lk_create_hulft "$tag" "$hulexep" "$hulpath" "$fs_tag" "$switchback" "$template_priority" >&2 \
    || hadrill_fail 4 "creating resource ${tag} failed"
  hadrill_changed "create: created"
fi

# ensure_vip_dependency [<node>]: the hierarchy depends on the virtual IP resource (here, or on node).
ensure_vip_dependency() {
  local on_node="${1:-}" label="${1:-this node}"
  if lk_has_dependency "$tag" "$vip_tag" "$on_node"; then
    hadrill_step "depends on ${vip_tag} on ${label}: already"
  else
    lk_add_dependency "$tag" "$vip_tag" "$on_node" >&2 || hadrill_fail 7 "dep_create ${tag} -> ${vip_tag} on ${label} failed"
    hadrill_changed "depends on ${vip_tag} on ${label}: added"
  fi
}
vip_present=false
vip_note=""
if [[ "$vip_tag" != none ]]; then
  if lk_exists "$vip_tag"; then
    vip_present=true
    ensure_vip_dependency
  else
    vip_note="; no resource ${vip_tag}: no dependency on the virtual IP"
    hadrill_step "${vip_note#; }"
  fi
fi

if lk_extended_to "$tag" "$target_node"; then
  hadrill_step "extend to ${target_node}: already extended"
else
  lk_extend_hulft "$tag" "$target_node" "$target_priority" "$template_priority" "$switchback" >&2 \
    || hadrill_fail 5 "extending ${tag} to ${target_node} failed"
  hadrill_changed "extend to ${target_node}: extended"
fi
if [[ "$vip_present" == true ]]; then
  ensure_vip_dependency "$target_node"
fi

lk_scan_now "$tag"
if [[ "$LK_ROOT_STATE" != ISP ]]; then
  hadrill_fail 6 "hierarchy ${tag} is ${LK_ROOT_STATE} on this node after create; expected ISP"
fi

if [[ "$HADRILL_CHANGED" == true ]]; then
  hadrill_result true true "hierarchy ${tag}: $(hadrill_joined "; " "${HADRILL_STEPS[@]}")" str:tag "$tag"
else
  hadrill_result true false "hierarchy ${tag} already created and extended to ${target_node}; nothing changed${vip_note}" \
    str:tag "$tag"
fi
