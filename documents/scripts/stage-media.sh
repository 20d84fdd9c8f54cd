#!/bin/bash
# HADrill-StageMedia: copy the HULFT image and the Recovery Kit from S3 into the staging directory and
# verify their SHA-256. A file already staged with the right checksum is not copied again.
# Exit codes: 0 both staged (or already there), 2 parameter missing, 3 download failed,
#   4 checksum mismatch (the bad copy is deleted), 70 unexpected failure.
set -Eeuo pipefail
# hadrill:include-begin
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# hadrill:include-end

# parameters (set by hadrill_params)
declare bucket hulft_key hulft_sha kit_key kit_sha staging_dir
hadrill_params bucket=MediaBucket hulft_key=HulftMediaKey hulft_sha=HulftMediaSha256 kit_key=RecoveryKitKey \
  kit_sha=RecoveryKitSha256 staging_dir=StagingDir

dir="${HADRILL_ROOT}${staging_dir}"
mkdir -p "$dir"
chmod 0700 "$dir"
changed=false
staged=()

sha_of() {
  local out
  out="$(sha256sum "$1")"
  printf '%s' "${out%% *}"
}

# stage <s3 key> <sha256>
stage() {
  local key="$1" sha="$2" file actual
  file="${dir}/${key##*/}"
  if [[ -f "$file" ]] && [[ "$(sha_of "$file")" == "$sha" ]]; then
    staged+=("$(hadrill_str "${key##*/}")")
    return 0
  fi
  rm -f "${file}.part"
  if ! aws s3 cp "s3://${bucket}/${key}" "${file}.part" --only-show-errors >&2; then
    rm -f "${file}.part"
    hadrill_fail 3 "download of s3://${bucket}/${key} failed"
  fi
  actual="$(sha_of "${file}.part")"
  if [[ "$actual" != "$sha" ]]; then
    rm -f "${file}.part"
    hadrill_fail 4 "checksum mismatch for s3://${bucket}/${key}: expected ${sha}, got ${actual}"
  fi
  mv -f "${file}.part" "$file"
  changed=true
  staged+=("$(hadrill_str "${key##*/}")")
}

stage "$hulft_key" "$hulft_sha"
stage "$kit_key" "$kit_sha"

files="$(IFS=,; printf '%s' "${staged[*]}")"
if [[ "$changed" == true ]]; then
  hadrill_result true true "staged in ${staging_dir} and verified" json:files "[${files}]"
else
  hadrill_result true false "already staged in ${staging_dir} with the right checksums; nothing changed" json:files "[${files}]"
fi
