#!/bin/bash
# HADrill-VirtualIpResource (run on the primary): protect the virtual IP with LifeKeeper's IP resource
# and, above it, the EC2 Recovery Kit resource in the route-table scenario (the kit moves the /32
# route of the VIP to the active node's ENI), then extend the hierarchy to the standby. ins_list and
# eqv_list are checked first, so a rerun is a no-op. Command lines: lk_create_ip, lk_create_ec2,
# lk_extend_ec2 in vendor.sh (lkcli, whose options for ip and ec2 are unverified, or the kits' scripts
# with HADRILL_RESOURCE_TOOL=kit-scripts; docs/vendor-commands.md).
# Exit codes: 0 created and extended (or already), 2 parameter missing, 3 LifeKeeper not running,
#   4 create failed, 5 extend failed, 6 the EC2 resource is not ISP here afterwards, 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=vendor.sh
. "$(dirname "${BASH_SOURCE[0]}")/vendor.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare target_node vip ip_tag ec2_tag netmask interface target_priority switchback
hadrill_params target_node=TargetNode vip=VirtualIp ip_tag=IpTag ec2_tag=Ec2Tag netmask=Netmask \
  interface=Interface target_priority=TargetPriority switchback=SwitchbackType

node="${HADRILL_NODE_NAME:-$(uname -n)}"
lktest >/dev/null 2>&1 || hadrill_fail 3 "LifeKeeper is not running on ${node}"

if lk_exists "$ec2_tag"; then
  hadrill_step "create: ${ec2_tag} already exists"
else
  if lk_exists "$ip_tag"; then
    hadrill_step "IP resource ${ip_tag}: already exists"
  else
    lk_create_ip "$ip_tag" "$vip" "$netmask" "$interface" >&2 \
      || hadrill_fail 4 "creating IP resource ${ip_tag} for ${vip} on ${node} failed"
    hadrill_step "IP resource ${ip_tag} created"
  fi
  lk_create_ec2 "$ec2_tag" "$ip_tag" >&2 \
    || hadrill_fail 4 "creating EC2 resource ${ec2_tag} (route table, ${vip}) on ${node} failed"
  hadrill_changed "EC2 resource ${ec2_tag} created"
fi

if lk_extended_to "$ec2_tag" "$target_node"; then
  hadrill_step "extend to ${target_node}: already extended"
else
  lk_extend_ec2 "$ec2_tag" "$target_node" "$target_priority" "$switchback" >&2 \
    || hadrill_fail 5 "extending ${ec2_tag} to ${target_node} failed"
  hadrill_changed "extended to ${target_node}"
fi

lk_scan_now "$ec2_tag"
if [[ "$LK_ROOT_STATE" != ISP ]]; then
  hadrill_fail 6 "virtual IP resource ${ec2_tag} is ${LK_ROOT_STATE} on ${node}; expected ISP"
fi

fields=(str:tag "$ec2_tag" str:ip_tag "$ip_tag" str:virtual_ip "$vip")
if [[ "$HADRILL_CHANGED" == true ]]; then
  hadrill_result true true "virtual IP ${vip}: $(hadrill_joined "; " "${HADRILL_STEPS[@]}")" "${fields[@]}"
else
  hadrill_result true false "virtual IP ${vip} already protected by ${ec2_tag} and extended to ${target_node}; nothing changed" "${fields[@]}"
fi
