#!/usr/bin/env bash
# The README's "Deploying to a real account" steps 0-8, run as written against the local AWS endpoint
# (moto + a simulated LifeKeeper/HULFT cluster: a test double, not the real products). Every command
# is the production one: the aws CLI, the cdk CLI and hadrill in AWS mode, through AWS_ENDPOINT_URL.
# Differences from a real account, each because of the endpoint: `cdk deploy --method direct` (moto's
# change sets clash across stacks), `--require-approval never` (no one to ask), simulated media and
# license files, and an AMI id that only names an image.
#
# Usage: tools/rehearse-deploy.sh [CONFIG]   (env: PORT, STATE_DIR, KEEP_ENDPOINT=1 to leave it up,
#        FLEET=config/fleet.yaml to add step 10: the fleet app on the same endpoint, its new clusters set
#        up, and a fleet drill over all of them)
# Prints each step's wall time; the last lines are "rehearsal: N steps passed, 0 failed".
set -euo pipefail
cd "${REHEARSAL_REPO:-$(dirname "$0")/..}"  # the repository (a copy of this script runs elsewhere)

CONFIG="${1:-config/default.yaml}"
PORT="${PORT:-4599}"
STATE_DIR="${STATE_DIR:-.hadrill-local}"
WORK="${STATE_DIR}/rehearsal"
export PATH="${PWD}/node_modules/.bin:${PWD}/.venv/bin:${PATH}"
STEPS=0

step() {
  STEP_NAME="$1"
  STEP_START="${EPOCHREALTIME}"
  printf '\n== %s\n' "${STEP_NAME}" >&2
}
done_step() {
  STEPS=$((STEPS + 1))
  awk -v name="${STEP_NAME}" -v start="${STEP_START}" -v end="${EPOCHREALTIME}" \
    'BEGIN { printf "step-time %-34s %6.1f s\n", name, end - start }' | tee -a "${WORK}/times.txt" >&2
}
output_of() {  # output_of STACK KEY
  aws cloudformation describe-stacks --stack-name "$1" \
    --query "Stacks[0].Outputs[?OutputKey=='$2'].OutputValue" --output text
}
# with_checksums SOURCE TARGET: the config with the simulated media's sha256; the first sha256 under
# media: is the HULFT ISO's, the second the Recovery Kit's (config/default.yaml's order).
with_checksums() {
  mkdir -p "$(dirname "$2")"
  awk -v first="${hulft_sha}" -v second="${kit_sha}" '
    /^ *sha256:/ { n++; sub(/"[0-9a-f]+"/, "\"" (n == 1 ? first : second) "\"") } { print }
  ' "$1" >"$2"
}

stop_endpoint() {
  if [[ "${KEEP_ENDPOINT:-0}" != 1 ]]; then
    hadrill local down --state-dir "${STATE_DIR}" || true
  fi
}

step "0. the operator's machine: endpoint up"
mkdir -p "${WORK}"
: >"${WORK}/times.txt"
exports="$(hadrill local up --port "${PORT}" --state-dir "${STATE_DIR}")"
eval "${exports}"
trap stop_endpoint EXIT
aws sts get-caller-identity --output text >&2
CLUSTER="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["cluster_name"])' "${CONFIG}")"
ACCOUNT="$(aws sts get-caller-identity --query Account --output text)"
done_step

step "1. prerequisites: AMI parameter, media"
aws ssm put-parameter --name /hadrill/ami/lifekeeper-node --type String --overwrite \
  --data-type aws:ec2:image --value ami-12c6146b >/dev/null
python -m simulator.media "${WORK}/media" >&2
done_step

step "2. the config with the media checksums"
hulft_sha="$(sha256sum "${WORK}/media/hulft-unix-linux-v812.iso" | cut -d' ' -f1)"
kit_sha="$(sha256sum "${WORK}/media/HULFTARK072814.iso" | cut -d' ' -f1)"
with_checksums "${CONFIG}" "${WORK}/config.yaml"
done_step

step "3. the license secrets"
for secret in lifekeeper-license hulft-license; do
  if aws secretsmanager describe-secret --secret-id "hadrill/${CLUSTER}/${secret}" >/dev/null 2>&1; then
    echo "secret hadrill/${CLUSTER}/${secret} exists" >&2
    continue
  fi
  if [[ "${secret}" == hulft-license ]]; then
    (
      umask 077
      printf '{"serial": "%s", "productKey": "%s"}\n' 0000000000000 SIMULATED-PRODUCT-KEY-00000 >"${WORK}/hulft-license.json"
    )
    file="${WORK}/hulft-license.json"
  else
    file="${WORK}/media/lifekeeper-license.lic"
  fi
  aws secretsmanager create-secret --name "hadrill/${CLUSTER}/${secret}" --secret-string "file://${file}" >/dev/null
done
rm -f "${WORK}/hulft-license.json"
done_step

step "4a. cdk bootstrap"
cdk bootstrap "aws://${ACCOUNT}/${AWS_REGION}" --output "${WORK}/cdk.out" >"${WORK}/bootstrap.log" 2>&1 || { cat "${WORK}/bootstrap.log" >&2; exit 1; }
done_step

step "4b. cdk deploy --all"
cdk deploy --all -c "config=${WORK}/config.yaml" --method direct --require-approval never --output "${WORK}/cdk.out" \
  >"${WORK}/deploy.log" 2>&1 || { tail -40 "${WORK}/deploy.log" >&2; exit 1; }
grep -E '✅|❌' "${WORK}/deploy.log" >&2
done_step

step "5. upload the media"
BUCKET="$(output_of "${CLUSTER}-cluster" MediaBucketName)"
aws s3 cp "${WORK}/media/hulft-unix-linux-v812.iso" "s3://${BUCKET}/media/hulft-unix-linux-v812.iso" >&2
aws s3 cp "${WORK}/media/HULFTARK072814.iso" "s3://${BUCKET}/media/HULFTARK072814.iso" >&2
aws s3 ls "s3://${BUCKET}/media/" >&2
done_step

step "6. notifications"
aws sns subscribe --protocol email --notification-endpoint ops@example.com \
  --topic-arn "$(output_of "${CLUSTER}-orchestration" NotificationTopic)" >/dev/null
done_step

step "7a. setup --dry-run"
hadrill setup --cluster "${CLUSTER}" --region "${AWS_REGION}" --dry-run
done_step
step "7b. setup"
hadrill setup --cluster "${CLUSTER}" --region "${AWS_REGION}"
done_step

step "8a. drill --dry-run"
hadrill drill --cluster "${CLUSTER}" --region "${AWS_REGION}" --dry-run
done_step
step "8b. drill switchover"
hadrill drill --cluster "${CLUSTER}" --region "${AWS_REGION}" --scenario switchover
done_step
step "8c. drill network-down"
hadrill drill --cluster "${CLUSTER}" --region "${AWS_REGION}" --scenario network-down --json >"${WORK}/drill.json"
done_step
step "8d. history and report"
hadrill history --cluster "${CLUSTER}" --region "${AWS_REGION}"
drill_id="$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["drill_id"])' "${WORK}/drill.json")"
hadrill report "${drill_id}" --cluster "${CLUSTER}" --region "${AWS_REGION}" >"${WORK}/report.md"
head -5 "${WORK}/report.md" >&2
done_step

step "8e. a plain aws stepfunctions start-execution (setup rerun)"
execution="$(aws stepfunctions start-execution \
  --state-machine-arn "$(output_of "${CLUSTER}-orchestration" SetupStateMachineArn)" \
  --name "setup-$(date +%Y%m%d-%H%M%S)" \
  --input "{\"cluster\": \"${CLUSTER}\"}" --query executionArn --output text)"
status=RUNNING
for _ in $(seq 600); do
  status="$(aws stepfunctions describe-execution --execution-arn "${execution}" --query status --output text)"
  [[ "${status}" != RUNNING ]] && break
  sleep 0.5
done
echo "setup rerun: ${status}" >&2
[[ "${status}" == SUCCEEDED ]]
done_step

if [[ -n "${FLEET:-}" ]]; then
  step "10a. a fleet: configs, secrets"
  fleet_dir="$(dirname "${FLEET}")"
  mkdir -p "${WORK}/fleet"
  cp "${FLEET}" "${WORK}/fleet/fleet.yaml"
  mapfile -t members < <(python -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["clusters"]))' "${FLEET}")
  fleet_name="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["fleet_name"])' "${FLEET}")"
  new_clusters=()
  for member in "${members[@]}"; do
    with_checksums "${fleet_dir}/${member}" "${WORK}/fleet/${member}"
    name="$(python -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["cluster_name"])' "${fleet_dir}/${member}")"
    [[ "${name}" == "${CLUSTER}" ]] && continue
    new_clusters+=("${name}")
    aws secretsmanager create-secret --name "hadrill/${name}/lifekeeper-license" \
      --secret-string "file://${WORK}/media/lifekeeper-license.lic" >/dev/null
    (
      umask 077
      printf '{"serial": "%s", "productKey": "%s"}\n' 0000000000000 SIMULATED-PRODUCT-KEY-00000 >"${WORK}/hulft-license.json"
    )
    aws secretsmanager create-secret --name "hadrill/${name}/hulft-license" \
      --secret-string "file://${WORK}/hulft-license.json" >/dev/null
    rm -f "${WORK}/hulft-license.json"
  done
  done_step

  step "10b. cdk deploy --all -c fleet=..."
  cdk deploy --all -c "fleet=${WORK}/fleet/fleet.yaml" --method direct --require-approval never \
    --output "${WORK}/cdk.out.fleet" >"${WORK}/deploy-fleet.log" 2>&1 || { tail -40 "${WORK}/deploy-fleet.log" >&2; exit 1; }
  grep -E '✅|❌' "${WORK}/deploy-fleet.log" >&2
  done_step

  step "10c. media and setup of the fleet's new clusters"
  for name in "${new_clusters[@]}"; do
    bucket="$(output_of "${name}-cluster" MediaBucketName)"
    aws s3 cp "${WORK}/media/hulft-unix-linux-v812.iso" "s3://${bucket}/media/hulft-unix-linux-v812.iso" >/dev/null
    aws s3 cp "${WORK}/media/HULFTARK072814.iso" "s3://${bucket}/media/HULFTARK072814.iso" >/dev/null
    hadrill setup --cluster "${name}" --region "${AWS_REGION}"
  done
  done_step

  step "10d. fleet drill --dry-run, then the fleet drill"
  hadrill drill --fleet "${fleet_name}" --region "${AWS_REGION}" --dry-run --max-concurrency 1
  hadrill drill --fleet "${fleet_name}" --region "${AWS_REGION}" --max-concurrency 2 --json >"${WORK}/fleet.json"
  done_step
fi

echo "rehearsal: ${STEPS} passed, 0 failed"
