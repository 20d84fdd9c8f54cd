# shellcheck shell=bash
# Vendor command lines and output formats, in one place (inlined into the SSM documents that need them).
#
# Every vendor command, option, file, variable and output format used here has a row in
# docs/vendor-commands.md: where it is used, its public source, and whether it is verified, unverified or
# overridable. Where no public source confirms a detail, the default below is our best reading and a
# site replaces it by defining the same function or variable in
#   ${HADRILL_VENDOR_OVERRIDES:-/etc/hadrill/vendor-overrides.sh}
# which is sourced last when it exists (root-owned, like the rest of /etc).

# ---- HULFT8: the unattended install (docs/vendor-commands.md, section "HULFT8") ----------------------
# The Installation Information file, HULFT8 UNIX/Linux installation manual (UX-INS, "Field list", Table
# 3.1): on the Express route HULEXEP, HULPATH, INSTALLNODE, TMPDIR, PIDDIR, MYHOSTNAME, DATEFMT (and
# more) cannot be specified, and Express installs a non-cluster HULFT under /usr/local/HULFT. A cluster
# node takes the Custom route ("Clustering Environment (ACTIVE node)" / "(STANDBY node)").
# Values the manual pages we reached do not spell out are variables here, overridable like the rest.
HULFT_INSTALL_ROUTE="${HULFT_INSTALL_ROUTE:-CUSTOM}"
# Key that says new install vs update: the manual names INSTALLATIONTYPE (values NEW, UPDATE).
HULFT_INSTALL_TYPE_KEY="${HULFT_INSTALL_TYPE_KEY:-INSTALLATIONTYPE}"
# INSTALLNODE values of the two cluster environments (Express's value is "Default").
HULFT_INSTALLNODE_ACTIVE="${HULFT_INSTALLNODE_ACTIVE:-ACTIVE}"
HULFT_INSTALLNODE_STANDBY="${HULFT_INSTALLNODE_STANDBY:-STANDBY}"
# HULEXEP and HULPATH as the manual's values write them (/usr/local/HULFT/bin, /usr/local/HULFT/etc): the
# directory itself, ending in bin and etc. Set both to "" to pass the parent directories instead.
HULFT_HULEXEP_LEAF="${HULFT_HULEXEP_LEAF-/bin}"
HULFT_HULPATH_LEAF="${HULFT_HULPATH_LEAF-/etc}"
# DATEFMT: the reference procedure chose YYYY/MM/DD in the wizard; the file's spelling is unconfirmed.
HULFT_DATEFMT="${HULFT_DATEFMT:-YYYY/MM/DD}"
# What the detached network-down job runs ($1 = delay seconds, $2 = interface): the reference
# procedure's "service network stop", or ifdown.
# shellcheck disable=SC2016,SC2034  # run by bash -c with positional arguments
HADRILL_NETWORK_DOWN_SCRIPT='sleep "$1"; ifdown "$2" || service network stop'

# hulft_info_lines <role> <install dir> <settings dir> <MYHOSTNAME>: the non-secret lines of the
# Installation Information file (SERIAL and PRODUCTKEY are added by the caller), Custom route.
# active: programs on the local disk, settings on the mirror, the temp and pid paths of the reference
# procedure (<install dir>/tmp, <install dir>/etc), the logical host. standby: programs only; the
# reference procedure's standby wizard asked for nothing beyond HULEXEP, HULPATH and the environment.
# shellcheck disable=SC2317  # a helper: not every document calls it
hulft_info_lines() {
  printf '%s\n' \
    "INSTALLATIONROUTE=${HULFT_INSTALL_ROUTE}" \
    "${HULFT_INSTALL_TYPE_KEY}=NEW" \
    "HULEXEP=$2${HULFT_HULEXEP_LEAF}" \
    "HULPATH=$3${HULFT_HULPATH_LEAF}"
  if [[ "$1" == standby ]]; then
    printf '%s\n' "INSTALLNODE=${HULFT_INSTALLNODE_STANDBY}"
    return 0
  fi
  printf '%s\n' \
    "INSTALLNODE=${HULFT_INSTALLNODE_ACTIVE}" \
    "MYHOSTNAME=$4" \
    "TMPDIR=$2/tmp" \
    "PIDDIR=$2/etc" \
    "DATEFMT=${HULFT_DATEFMT}"
}

# hulft_run_installer <extracted dir> <info file>: the installer reads the Installation Information
# file. The switch (-f) is unconfirmed (docs/vendor-commands.md): override this function if the
# installer's usage text names another.
# shellcheck disable=SC2317  # a helper: not every document calls it
hulft_run_installer() {
  (cd "$1" && ./installer -f "$2")
}

# ---- Creating and extending resources: lkcli, or the kits' own scripts --------------------------------
# No public example runs `lkcli resource create|extend` for hulft, ip or ec2 (docs/vendor-commands.md):
# those lkcli options are our reading. HADRILL_RESOURCE_TOOL picks how the hulft, ip and ec2 resources
# are created and extended (the conformance probe sets it when lkcli's --help lacks an option):
#   lkcli        (default) lkcli resource create|extend <kind> with the options below;
#   kit-scripts  what SIOS's own scripts do without lkcli (aws-quickstart/quickstart-sios-protection-suite,
#                scripts/CreateMirrorHierarchy.pl): the kit's $LKROOT/lkadm/subsys/<app>/<type>/bin/create,
#                then canextend on the target through lcdremexec, then $LKROOT/lkadm/bin/extmgrDoExtend.pl.
# The DataKeeper resource always uses lkcli (the one kind with a public lkcli example).
HADRILL_RESOURCE_TOOL="${HADRILL_RESOURCE_TOOL:-lkcli}"
# <app>/<type> of each kit under $LKROOT/lkadm/subsys (unconfirmed for hulft and ec2; overridable).
HADRILL_KIT_HULFT="${HADRILL_KIT_HULFT:-appsuite/hulft}"
HADRILL_KIT_IP="${HADRILL_KIT_IP:-comm/ip}"
HADRILL_KIT_EC2="${HADRILL_KIT_EC2:-gen/ec2}"

# lk_resource_tool: the selected tool, or a failure naming the variable when its value is unknown.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_resource_tool() {
  case "$HADRILL_RESOURCE_TOOL" in
    lkcli | kit-scripts) printf '%s' "$HADRILL_RESOURCE_TOOL" ;;
    *)
      printf 'HADRILL_RESOURCE_TOOL=%s: expected lkcli or kit-scripts\n' "$HADRILL_RESOURCE_TOOL" >&2
      return 2
      ;;
  esac
}

# lk_by_tool <lkcli command...> -- <kit-scripts command...>: run the command of the selected tool (return 2,
# running neither, when HADRILL_RESOURCE_TOOL is unknown).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_by_tool() {
  local tool
  local -a lkcli_command=()
  tool="$(lk_resource_tool)" || return 2
  while [[ "$1" != -- ]]; do
    lkcli_command+=("$1")
    shift
  done
  shift
  if [[ "$tool" == lkcli ]]; then
    "${lkcli_command[@]}"
  else
    "$@"
  fi
}

# lk_kit_create <app/type> <arguments...>: the kit's create script, on this node.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_kit_create() {
  local kit="$1"
  shift
  "${LKROOT}/lkadm/subsys/${kit}/bin/create" "$@"
}

# lk_kit_extend <app/type> <tag> <target node> <target priority> <switchback> [<extend answers>]: canextend
# on the target (lcdremexec, with this node as the template), then the extend manager, as SIOS's script.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_kit_extend() {
  local kit="$1" tag="$2" target="$3" priority="$4" switchback="$5" answers="${6:-$2}" here
  here="${HADRILL_NODE_NAME:-$(uname -n)}"
  lcdremexec -d "$target" -- "${LKROOT}/lkadm/subsys/${kit}/bin/canextend" "$here" "$tag" || return 1
  "${LKROOT}/lkadm/bin/extmgrDoExtend.pl" -p1 -f, "$tag" "$target" "$priority" "$switchback" "$answers"
}

# lk_create_hulft <tag> <HULEXEP> <HULPATH> <filesystem tag> <switchback> <template priority>
# kit-scripts: the answers of the kit's create dialog, in the order the reference procedure's GUI asked
# them (switchback, HULEXEP, HULPATH, filesystem tag, HULFT tag); the script's argument syntax is not public.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_create_hulft() {
  lk_by_tool lkcli resource create hulft --tag "$1" --hulexep "$2" --hulpath "$3" --fstag "$4" \
    --switchback "$5" --priority "$6" -- lk_kit_create "$HADRILL_KIT_HULFT" "$5" "$2" "$3" "$4" "$1"
}

# lk_extend_hulft <tag> <target node> <target priority> <template priority> <switchback>
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_extend_hulft() {
  lk_by_tool lkcli resource extend hulft --tag "$1" --dest "$2" --target_priority "$3" \
    --template_priority "$4" --switchback "$5" -- lk_kit_extend "$HADRILL_KIT_HULFT" "$1" "$2" "$3" "$5"
}

# lk_switchover <tag> <target node>: bring the hierarchy in service on the target node.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_switchover() {
  lcdremexec -d "$2" -- "$LKROOT/bin/perform_action" -t "$1" -a restore
}

# DataKeeper: the mirror is in sync when mirror_status says "Fully Operational" (assumed wording).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_mirror_in_sync() {
  [[ "$1" == *"Fully Operational"* ]]
}

# lk_scan <lcdstatus -q text> <root tag>: pure-bash reading of the short status, for the scripts that
# poll (the Lambda re-parses the raw text with hadrill.lcdstatus, the reference parser). Sets
#   LK_ROOT_STATE   state of the root tag on this node ("none" when not defined)
#   LK_TREE_STATES  "tag=STATE" for the root and everything indented below it, one per line
#   LK_PATHS_TOTAL  number of comm paths;  LK_PATHS_DEAD  the DEAD ones, one per line
# shellcheck disable=SC2034,SC2317  # the LK_* results are read by the scripts that source this file
lk_scan() {
  local line prefix column root_column=-1 section=""
  local -a f
  LK_ROOT_STATE=none LK_TREE_STATES="" LK_PATHS_TOTAL=0 LK_PATHS_DEAD=""
  while IFS= read -r line; do
    read -ra f <<<"$line"
    if (( ${#f[@]} == 0 )); then
      continue
    elif [[ "${f[0]}" == LOCAL || "${f[0]}" == BACKUP ]] && [[ "${f[1]:-}" == TAG ]]; then
      section=resources
    elif [[ "${f[0]}" == MACHINE ]]; then
      section=paths
    elif [[ "$section" == resources ]] && (( ${#f[@]} >= 6 )); then
      prefix="${line%%"${f[1]}"*}"
      column="${#prefix}"
      if (( root_column >= 0 )) && (( column <= root_column )); then
        root_column=-2
      fi
      if [[ "${f[1]}" == "$2" ]] && (( root_column == -1 )); then
        root_column="$column"
        LK_ROOT_STATE="${f[${#f[@]}-3]}"
      fi
      if (( root_column >= 0 )); then
        LK_TREE_STATES+="${f[1]}=${f[${#f[@]}-3]}"$'\n'
      fi
    elif [[ "$section" == paths ]] && (( ${#f[@]} == 5 )); then
      LK_PATHS_TOTAL=$((LK_PATHS_TOTAL + 1))
      if [[ "${f[3]}" != ALIVE ]]; then
        LK_PATHS_DEAD+="${f[0]} ${f[1]} ${f[2]} ${f[3]}"$'\n'
      fi
    fi
  done <<<"$1"
}

# hulft_daemons_up <ps -ef text>: sets HULFT_UP to the running daemons, space separated. A daemon
# counts when it is the command of a process (the word right after the TIME column), so
# "grep hulsndd" or "tail hulobsd.log" never does.
# shellcheck disable=SC2317  # a helper: not every document calls it
hulft_daemons_up() {
  local d pattern
  HULFT_UP=""
  for d in hulobsd hulrcvd hulsndd; do
    pattern="[0-9]:[0-9][0-9]:[0-9][0-9][[:space:]]+([^[:space:]]*/)?${d}([[:space:]]|$)"
    if [[ "$1" =~ $pattern ]]; then
      HULFT_UP+="${HULFT_UP:+ }${d}"
    fi
  done
}

# ---- The cluster base: license, comm paths, virtual IP, /data mirror ---------------------------------
# Sources (rows in docs/vendor-commands.md): the AWS Quick Start for SIOS Protection Suite
# (aws-quickstart/quickstart-sios-protection-suite, scripts/InstallLicAndStartLK.pl: lkkeyins <file>,
# lkstart, wait for LK_INITDONE; scripts/CreateCommPath.pl: sys_list / sys_create / net_create) and its
# successor aws-ia/cfn-ps-sios-protection-suite (scripts/CreateMirrorHierarchy.pl: the DataKeeper
# resource with `lkcli resource create|extend dk` on an LVM volume). The older Quick Start's
# CreateMirrorHierarchy.pl never calls lkcli (netraid create, then extmgrDoExtend.pl). The lkcli options
# of the IP and EC2 resources were NOT found anywhere public: lk_create_ip, lk_create_ec2 and
# lk_extend_ec2 are our reading (HADRILL_RESOURCE_TOOL above switches them to the kits' scripts).

# lk_install_license <license file>
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_install_license() {
  lkkeyins "$1"
}

# lk_start: start LifeKeeper (the caller waits for LK_INITDONE).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_start() {
  lkstart
}

# lk_version: the LifeKeeper core package's version-release ("" when not installed).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_version() {
  local package
  package="$(rpm -q steeleye-lk 2>/dev/null)" || return 0
  package="${package#steeleye-lk-}"
  printf '%s' "${package%.*}"
}

# lk_system_known <peer>: the peer is in this node's system list (sys_list).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_system_known() {
  sys_list 2>/dev/null | grep -qxF -- "$1"
}

# lk_add_system <this node> <peer>
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_add_system() {
  sys_create -d "$1" -s "$2"
}

# lk_create_commpath <this node> <peer> <local address> <peer address>: one TCP comm path, this side.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_create_commpath() {
  net_create -d "$1" -n TCP -r "$4" -l "$3" -s "$2"
}

# lk_create_ip <tag> <address> <netmask> <interface>: the IP resource the EC2 resource protects.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_create_ip() {
  lk_by_tool lkcli resource create ip --tag "$1" --ipaddr "$2" --netmask "$3" --device "$4" \
    -- lk_kit_create "$HADRILL_KIT_IP" "$1" "$2" "$3" "$4"
}

# lk_create_ec2 <tag> <IP resource tag>: EC2 Recovery Kit, route-table scenario (Backend Cluster).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_create_ec2() {
  lk_by_tool lkcli resource create ec2 --tag "$1" --type RouteTable --ip_resource "$2" \
    -- lk_kit_create "$HADRILL_KIT_EC2" "$1" RouteTable "$2"
}

# lk_extend_ec2 <tag> <target node> <target priority> <switchback>
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_extend_ec2() {
  lk_by_tool lkcli resource extend ec2 --tag "$1" --dest "$2" --target_priority "$3" --switchback "$4" \
    -- lk_kit_extend "$HADRILL_KIT_EC2" "$1" "$2" "$3" "$4"
}

# lk_create_mirror <tag> <mode> <device> <fstype> <mount point> <new|existing>: the DataKeeper
# resource with its file system resource (tagged by the mount point) above it. Flags as in
# aws-ia/cfn-ps-sios-protection-suite scripts/CreateMirrorHierarchy.pl (which only ever passes new).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_create_mirror() {
  lkcli resource create dk --tag "$1" --mode "$2" --device "$3" --fstype "$4" --mount_point "$5" \
    --fstag "$5" --hierarchy "$6"
}

# lk_extend_mirror <tag> <target> <mode> <local address> <peer address> <mount point> <switchback> <priority>
# Flags as in the same aws-ia script (it writes "-raddr" with one dash, a typo we do not copy).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_extend_mirror() {
  lkcli resource extend dk --tag "$1" --dest "$2" --mode "$3" --laddr "$4" --raddr "$5" --fstag "$6" \
    --switchback "$7" --target_priority "$8"
}

# lk_exists <tag>: ins_list lists a resource of that tag on this node.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_exists() {
  [[ -n "$(ins_list -t "$1" 2>/dev/null || true)" ]]
}

# lk_extended_to <tag> <node>: eqv_list names the node among the resource's equivalencies.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_extended_to() {
  local equivalencies
  equivalencies="$(eqv_list -t "$1" 2>/dev/null)" || equivalencies=""
  grep -qwF -- "$2" <<<"$equivalencies"
}

# lk_scan_now <root tag>: lk_scan of this node's lcdstatus -q now.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_scan_now() {
  lk_scan "$(lcdstatus -q 2>&1 || true)" "$1"
}

# lk_has_dependency <parent> <child> [<node>]: dep_list shows child under parent (on node).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_has_dependency() {
  local -a dest_opt=()
  [[ -n "${3:-}" ]] && dest_opt=(-d "$3")
  dep_list "${dest_opt[@]}" -c "$1" 2>/dev/null | tr '\001' ' ' | grep -qwF -- "$2"
}

# lk_add_dependency <parent> <child> [<node>]
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_add_dependency() {
  local -a dest_opt=()
  [[ -n "${3:-}" ]] && dest_opt=(-d "$3")
  dep_create "${dest_opt[@]}" -p "$1" -c "$2"
}

# lk_device_fstype <device>: the file system on the device ("" when none); fails when there is no
# such block device.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_device_fstype() {
  lsblk -dno FSTYPE "$1"
}

# lk_device_type <device>: lsblk's TYPE of the device (disk, part, lvm, ...); fails when there is none.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_device_type() {
  lsblk -dno TYPE "$1"
}

# The DataKeeper mirror sits on an LVM logical volume that fills the data disk, not on the whole disk:
# SIOS's newest AWS scripts (aws-ia/cfn-ps-sios-protection-suite, scripts/CreateMirrorHierarchy.pl)
# moved from one GPT partition to LVM because the partition was not seen after a reboot. The names
# are ours (the script uses Sample_VGroup/Sample_LVolume); avoid "-" in them (device-mapper doubles it).
HADRILL_DATA_VG="${HADRILL_DATA_VG:-hadrill_data}"
HADRILL_DATA_LV="${HADRILL_DATA_LV:-data}"

# lk_volume_device: the device-mapper path of the data volume, the device DataKeeper mirrors.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_volume_device() {
  printf '/dev/mapper/%s-%s' "$HADRILL_DATA_VG" "$HADRILL_DATA_LV"
}

# lk_on <node> <command...>: run the command on the node ("" = here), through lcdremexec as SIOS's
# script does for the target server.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_on() {
  local on_node="$1"
  shift
  if [[ -z "$on_node" ]]; then
    "$@"
  else
    lcdremexec -d "$on_node" -- "$@"
  fi
}

# lk_volume_exists [<node>]: the data volume's logical volume exists (lvdisplay VG/LV).
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_volume_exists() {
  lk_on "${1:-}" lvdisplay "${HADRILL_DATA_VG}/${HADRILL_DATA_LV}" >/dev/null 2>&1
}

# lk_create_volume <disk> [<node>]: the volume group on the disk (unless it exists) and one logical
# volume using all of it: vgcreate -f VG DISK; lvcreate -y --name LV -l 100%FREE VG.
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_create_volume() {
  local on_node="${2:-}"
  if ! lk_on "$on_node" vgdisplay "$HADRILL_DATA_VG" >/dev/null 2>&1; then
    lk_on "$on_node" vgcreate -f "$HADRILL_DATA_VG" "$1" || return 1
  fi
  lk_on "$on_node" lvcreate -y --name "$HADRILL_DATA_LV" -l 100%FREE "$HADRILL_DATA_VG"
}

# lk_mount_device <device> <fstype> <mount point>
# shellcheck disable=SC2317  # a helper: not every document calls it
lk_mount_device() {
  mount -t "$2" "$1" "$3"
}

# hadrill_mirror_percent <mirror_status text>: the "% Synced" figure (assumed wording, like
# hadrill_mirror_in_sync), or "?" when the text has none.
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_mirror_percent() {
  local pattern='% Synced:[[:space:]]*([0-9]+)'
  if [[ "$1" =~ $pattern ]]; then
    printf '%s' "${BASH_REMATCH[1]}"
  else
    printf '?'
  fi
}

# ---- chrony: the node's clock (docs/vendor-commands.md, row 87) -------------------------------------
# clock_tracking: what `chronyc -n tracking` prints (the drill reads this node's clock offset from it);
# empty where chrony is missing or does not answer within 3 s.
# shellcheck disable=SC2317  # a helper: not every document calls it
clock_tracking() {
  timeout 3 chronyc -n tracking 2>/dev/null || true
}

HADRILL_VENDOR_OVERRIDES="${HADRILL_VENDOR_OVERRIDES:-/etc/hadrill/vendor-overrides.sh}"
if [[ -f "$HADRILL_VENDOR_OVERRIDES" ]]; then
  # shellcheck source=/dev/null
  . "$HADRILL_VENDOR_OVERRIDES"
fi
