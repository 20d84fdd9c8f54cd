"""The one place where the shapes of SSM document parameters are defined.

Both the SSM documents (``allowedPattern``) and the pydantic models use these strings, so the two
cannot disagree. They are written in the regex subset shared by Python ``re``, the Rust ``regex``
crate (pydantic-core) and Java (SSM): anchors, classes, groups, counted repetition; no
look-around, no backslash classes. None of them admits a space, ``;``, ``$``, a backtick,
quotes, ``|``, ``&``, ``<``, ``>``, parentheses or a newline, so no value can become shell syntax
even if a script were ever to interpolate it.
"""

from __future__ import annotations

_OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
_LABEL = "[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"

IPV4 = f"^{_OCTET}([.]{_OCTET}){{3}}$"
HOSTNAME = f"^{_LABEL}([.]{_LABEL}){{0,8}}$"
# An absolute path whose segments never start with a dot (so no "." or ".." segments).
ABSOLUTE_PATH = "^(/[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}){1,16}$"
FILE_NAME = "^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$"
S3_BUCKET = "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"
# Segments that never start with a dot (no "." or ".." segment, no empty one) and a last segment that
# is a FILE_NAME: the staged file is named after it.
_SEGMENT = "[A-Za-z0-9_][A-Za-z0-9._+=-]{0,254}"
S3_KEY = f"^({_SEGMENT}/){{0,15}}[A-Za-z0-9_][A-Za-z0-9._+-]{{0,254}}$"
SHA256 = "^[a-f0-9]{64}$"
SECRET_ID = "^[A-Za-z0-9_][A-Za-z0-9/_+=.@:-]{0,2047}$"  # noqa: S105 - a pattern for secret names
INSTALL_ROLE = "^(active|standby)$"
HULFT_VERSION = "^[0-9]{2}[.][0-9]{2}[.][0-9]{2}$"  # as HULFT writes it: 08.01.02
RPM_NAME = "^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$"
RPM_VERSION = "^[0-9][A-Za-z0-9._+]{0,63}-[A-Za-z0-9._+]{1,63}$"
LK_TAG = "^/?[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){0,8}$"
FILESYSTEM_TAG = "^(none|(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){1,16})$"
NODE_NAME = HOSTNAME
PRIORITY = "^[1-9][0-9]{0,2}$"
SWITCHBACK = "^(intelligent|automatic)$"
FAULT = "^(network-down|network-down-stamp|hulft-daemon-kill|switchover)$"
HULFT_DAEMON = "^(hulobsd|hulrcvd|hulsndd)$"
INTERFACE = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$"  # never a leading dash: it reaches ifdown "$2"
MILLISECONDS = "^[1-9][0-9]{0,5}$"
SECONDS = "^[0-9]{1,5}$"
EXPECTED_ROLE = "^(active|standby)$"
YES_NO = "^(yes|no)$"
# The cluster base (license, comm paths, virtual IP, /data mirror).
_IP_LIST = f"{_OCTET}([.]{_OCTET}){{3}}(,{_OCTET}([.]{_OCTET}){{3}})?"
ADDRESS_LIST = f"^{_IP_LIST}$"  # one or two IPv4 addresses, comma-separated
OPTIONAL_TAG = "^(none|/?[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_][A-Za-z0-9._-]{0,127}){0,8})$"
DEVICE_PATH = "^/dev(/[A-Za-z0-9_][A-Za-z0-9._+-]{0,63}){1,4}$"
FSTYPE = "^(xfs|ext4|ext3)$"
MIRROR_MODE = "^(synchronous|asynchronous)$"
MARKER_ACTION = "^(write|check|remove)$"
WATCH_MODE = "^(watch|status)$"
# The dead-man switch's systemd unit (issue 17): "hadrill-deadman-" and the drill id (hadrill.drill.deadman).
DEAD_MAN_UNIT = "^hadrill-deadman-[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$"
OPTIONAL_DEAD_MAN_UNIT = "^(none|hadrill-deadman-[A-Za-z0-9][A-Za-z0-9_.-]{0,79})$"
OPTIONAL_ADDRESS_LIST = f"^(none|{_IP_LIST})$"  # the conformance probe: "none" when no address is known

# ---- the deployment config and the execution inputs (hadrill.fields builds its types on these) ----
_NAME_LABEL = "[a-z]([a-z0-9-]{0,61}[a-z0-9])?"  # starts with a letter, never ends with a dash
_LOWER_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
CLUSTER_NAME = "^[a-z][a-z0-9-]{1,30}[a-z0-9]$"
NAME = f"^{_NAME_LABEL}$"  # node, subnet and schedule names: one lowercase DNS label
LOGICAL_HOST = f"^{_NAME_LABEL}([.]{_LOWER_LABEL}){{0,8}}$"  # at most 9 labels, like HOSTNAME
# HULEXEP and HULPATH: the installer gets their parent directory, so at least two segments.
HULFT_DIR = "^(/[A-Za-z0-9_][A-Za-z0-9._+-]{0,127}){2,16}$"
SECRET_NAME = "^[A-Za-z0-9_][A-Za-z0-9/_+=.@-]{0,511}$"  # noqa: S105 - a pattern for secret names
ALARM_NAME = "^[A-Za-z0-9_.:/#+=@-]([A-Za-z0-9 _.:/#+=@-]{0,253}[A-Za-z0-9_.:/#+=@-])?$"
DATA_DEVICE = "^/dev/[a-z0-9]{1,63}$"
ROOT_DEVICE = "^/dev/(sd[a-z]1?|xvd[a-z])$"
AZ_NAME = "^[a-z]{2}(-gov)?-[a-z]{1,20}-[0-9]{1,2}[a-z]$"
INSTANCE_TYPE = "^[a-z][a-z0-9-]{0,30}[.][a-z0-9]{1,30}$"
AMI_ID = "^ami-[0-9a-f]{8,17}$"
SSM_PARAMETER_PATH = "^(/[A-Za-z0-9_.-]{1,255}){1,15}$"
INSTANCE_ID = "^i-[0-9a-f]{8,17}$"
ENI_ID = "^eni-[0-9a-f]{8,17}$"
ROUTE_TABLE_ID = "^rtb-[0-9a-f]{8,17}$"
VPC_ID = "^vpc-[0-9a-f]{8,17}$"
TAG_KEY = "^[A-Za-z0-9 _.:/=+@-]{1,128}$"
TAG_VALUE = "^[^\\x00-\\x1f\\x7f-\\x9f]{0,256}$"  # any letter (tags may be Japanese), no control character
