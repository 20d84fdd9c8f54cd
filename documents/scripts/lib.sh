# shellcheck shell=bash
# Shared helpers for the HADrill node scripts (inlined into each SSM document by documents/build.py).
#
# Every script prints exactly one JSON result line, last on stdout:
#   {"ok": bool, "changed": bool, "message": str, ...}
# Everything else (tool output, progress) goes to stderr. Exit codes shared by all scripts:
#   0 done (or already done), 1 the check or wait came out negative, 2 parameter missing,
#   70 unexpected failure (the message names the line); scripts document their own codes 3-69.
#
# Paths: HADRILL_ROOT (default empty) prefixes every absolute path a script touches, so the same
# script runs on a real node and inside the simulator. LifeKeeper's bin directory is appended to
# PATH, never prepended: whatever is first on PATH (the simulator's stand-ins) wins.

HADRILL_ROOT="${HADRILL_ROOT:-}"
LKROOT="${LKROOT:-${HADRILL_ROOT}/opt/LifeKeeper}"
PATH="${PATH}:${LKROOT}/bin:/usr/local/bin"
export LKROOT PATH

# Epoch milliseconds without forking (bash 5: EPOCHREALTIME has microseconds).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_now_ms() {
  local t="${EPOCHREALTIME/[.,]/}"
  # shellcheck disable=SC2034  # read by the scripts that source this file
  HADRILL_NOW_MS="${t:0:${#t}-3}"
}

# hadrill_pause <seconds>: wait without starting a program (a poll loop's `sleep` is one program start per
# poll: ten watchers polling every 100 ms start a hundred a second). read -t on a pipe this shell holds open
# for writing as well never sees data or end of file, so it returns when the time is up.
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_pause() {
  if [[ -z "${HADRILL_PAUSE_FD:-}" ]]; then
    exec {HADRILL_PAUSE_FD}<> <(:)
  fi
  read -r -t "$1" -u "$HADRILL_PAUSE_FD" || true
}

# hadrill_escape <text>: the text escaped for a JSON string, in HADRILL_ESCAPED (no subshell).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_escape() {
  local s="$1"
  s="${s//\\/\\\\}"
  s="${s//\"/\\\"}"
  s="${s//$'\n'/\\n}"
  s="${s//$'\r'/\\r}"
  s="${s//$'\t'/\\t}"
  if [[ "$s" == *[$'\001'-$'\037']* ]]; then
    s="$(printf '%s' "$s" | tr -d '\000-\037')"
  fi
  HADRILL_ESCAPED="$s"
}

# A JSON string literal.
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_str() {
  hadrill_escape "$1"
  printf '"%s"' "$HADRILL_ESCAPED"
}

# A JSON array of strings from the lines of $1 (empty lines skipped), in HADRILL_ARRAY.
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_lines_array() {
  local line out=""
  while IFS= read -r line; do
    [[ -n "$line" ]] || continue
    hadrill_escape "$line"
    out+="${out:+,}\"${HADRILL_ESCAPED}\""
  done <<<"$1"
  HADRILL_ARRAY="[${out}]"
}

# The one way a script writes a JSON key. Every key a script names here is checked against its
# document's result model (hadrill.contracts.SCRIPT_RESULTS) by tests/scripts/test_result_contract.py.
#   hadrill_members <kind>:<key> <value> ...  sets HADRILL_MEMBERS to "key":value,... where kind is
#     str   a string                    int   an integer (no leading zero)    bool  true or false
#     lines a JSON array of the value's non-empty lines
#     json  JSON already built (an object from hadrill_obj, an array of them); keys inside it are data
#   hadrill_obj <kind>:<key> <value> ...      prints the object {"key":value,...}
# A malformed field is a bug in the script: it returns 70 (the ERR trap then names the line).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_members() {
  local spec kind key value out=""
  while (($# > 0)); do
    spec="$1" value="${2-}" kind="${1%%:*}" key="${1#*:}"
    if (($# < 2)) || [[ "$spec" != *:* || ! "$key" =~ ^[a-z][a-z0-9_]*$ ]]; then
      printf 'hadrill_members: bad field %s\n' "$spec" >&2
      return 70
    fi
    shift 2
    case "$kind" in
      str)
        hadrill_escape "$value"
        value="\"${HADRILL_ESCAPED}\""
        ;;
      int) [[ "$value" =~ ^(0|-?[1-9][0-9]{0,17})$ ]] || kind="" ;;
      bool) [[ "$value" == true || "$value" == false ]] || kind="" ;;
      lines)
        hadrill_lines_array "$value"
        value="$HADRILL_ARRAY"
        ;;
      json) [[ -n "$value" ]] || kind="" ;;
      *) kind="" ;;
    esac
    if [[ -z "$kind" ]]; then
      printf 'hadrill_members: %s is not a valid %s\n' "$spec" "${spec%%:*}" >&2
      return 70
    fi
    out+="${out:+,}\"${key}\":${value}"
  done
  HADRILL_MEMBERS="$out"
}

# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_obj() {
  hadrill_members "$@" || return
  printf '{%s}' "$HADRILL_MEMBERS"
}

# hadrill_result <ok> <changed> <message> [<kind>:<key> <value> ...]: the result line (last on stdout).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_result() {
  local ok="$1" changed="$2" message="$3"
  shift 3
  hadrill_members "$@" || return
  hadrill_escape "$message"
  printf '{"ok":%s,"changed":%s,"message":"%s"%s}\n' "$ok" "$changed" "$HADRILL_ESCAPED" "${HADRILL_MEMBERS:+,}${HADRILL_MEMBERS}"
}

# hadrill_fail <exit code> <message> [<kind>:<key> <value> ...]
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_fail() {
  local code="$1" message="$2"
  shift 2
  trap - ERR
  hadrill_result false false "$message" int:exit_code "$code" "$@"
  exit "$code"
}

# hadrill_param <variable> <SSM parameter name>: read SSM_<name> (interpolationType ENV_VAR).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_param() {
  local env_name="SSM_$2"
  if [[ -z "${!env_name+set}" ]]; then
    hadrill_fail 2 "parameter $2 missing: ${env_name} is not set (SSM Agent 3.3.2746.0 or later passes parameters as environment variables)"
  fi
  # allowedPattern is "^...$": in some regex engines "$" also matches before a final line break, and
  # no allowedPattern admits a leading dash (an option to the command it reaches). Refuse both here too.
  case "${!env_name}" in
    *$'\n'* | *$'\r'*) hadrill_fail 2 "parameter $2 contains a line break: refused" ;;
    -*) hadrill_fail 2 "parameter $2 starts with a dash: refused" ;;
  esac
  printf -v "$1" '%s' "${!env_name}"
}

# hadrill_params <variable>=<SSM parameter name> ...: hadrill_param for each, in order.
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_params() {
  local pair
  for pair in "$@"; do
    hadrill_param "${pair%%=*}" "${pair#*=}"
  done
}

# hadrill_joined <separator> <item> ...: the items joined by the separator (a ";" inside an item too).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_joined() {
  local separator="$1" IFS=';' joined
  shift
  joined="$*"
  printf '%s' "${joined//;/"$separator"}"
}

# The steps of an idempotent script, for its result message: hadrill_step <step> notes one (found done
# already, or part of a change), hadrill_changed <step> one that changed the node (HADRILL_CHANGED=true).
# shellcheck disable=SC2034  # read by the scripts that source this file
HADRILL_STEPS=() HADRILL_CHANGED=false
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_step() {
  HADRILL_STEPS+=("$1")
}

# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_changed() {
  HADRILL_STEPS+=("$1")
  # shellcheck disable=SC2034  # read by the scripts that source this file
  HADRILL_CHANGED=true
}

# Scratch space: hadrill_workdir <name> makes a private temporary directory, HADRILL_WORK, removed at exit;
# an image hadrill_mount_iso mounted (HADRILL_MOUNTED) and nobody unmounted is unmounted first.
HADRILL_WORK="" HADRILL_MOUNTED=""
# shellcheck disable=SC2317  # run by the EXIT trap
hadrill_cleanup() {
  if [[ -n "$HADRILL_MOUNTED" ]]; then
    umount "$HADRILL_MOUNTED" >&2 || true
  fi
  if [[ -n "$HADRILL_WORK" ]]; then
    rm -rf "$HADRILL_WORK"
  fi
}

# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_workdir() {
  HADRILL_WORK="$(mktemp -d "${TMPDIR:-/tmp}/hadrill-$1.XXXXXX")"
  trap hadrill_cleanup EXIT
}

# hadrill_mount_iso <image> <directory>: mount the image read-only there (until hadrill_cleanup).
# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_mount_iso() {
  mount -o loop,ro -t iso9660 "$1" "$2" >&2 || return 1
  HADRILL_MOUNTED="$2"
}

# shellcheck disable=SC2317  # a helper: not every document calls it
hadrill_on_error() {
  local code="$1" line="$2"
  # Inside $(...) the trap is inherited (set -E): leave the report to the main shell.
  if ((BASH_SUBSHELL > 0)); then
    exit "$code"
  fi
  trap - ERR
  hadrill_result false false "unexpected failure (exit ${code}) at line ${line}" int:exit_code 70
  exit 70
}
trap 'hadrill_on_error "$?" "$LINENO"' ERR
