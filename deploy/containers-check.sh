#!/usr/bin/env bash
# CI step (.ci/run): containers for real on a machine where no image registry can be reached.
# Installs Debian's docker.io, debootstrap and docker-compose when missing, starts a Docker
# engine when none answers (and stops it at the end), builds the images (`npm run images`), then
# runs against real servers:
#   (a) the e2e suite's core file with TEST_SERVERS=containers: Redis in a container; S3 stays
#       s3rver (a local process, said by the run), because MinIO cannot be had here;
#   (b) the augmenter image with `docker run --network host … run --once` against s3rver, the
#       mock model and (second run) Redis, every output line verified;
#   (c) the compose stack: 3 augmenter replicas and Redis on a generated day slice.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/images/engine.sh
t0=$(date +%s)
part() { printf '\n--- containers: %s (%ss)\n' "$1" "$(($(date +%s) - t0))"; }
cleanup() {
  if [ -n "$ENGINE_PID" ]; then
    engine_stop
    echo "containers: stopped the Docker engine this step started"
  fi
}
trap cleanup EXIT

part "Debian packages and a Docker engine"
ensure_debian_packages dockerd:docker.io debootstrap:debootstrap docker-compose:docker-compose redis-server:redis-server
if engine_answers; then
  echo "containers: a Docker engine answers already; using it"
else
  engine_start
  echo "containers: started dockerd (pid $ENGINE_PID, log $ENGINE_LOG)"
fi

part "images (npm run images)"
npm run --silent images

part "(a) e2e core file with TEST_SERVERS=containers"
echo "containers: MinIO cannot be had here (no image, no registry, no binary in npm or Debian):" \
  "Redis runs in a container (local/redis:7); S3 stays s3rver, a local process, and the run says so"
e2e_log=$(mktemp)
TEST_SERVERS=containers REDIS_IMAGE=local/redis:7 \
  npx vitest run apps/augmenter-e2e/test/augmenter.e2e.test.ts 2>&1 | tee "$e2e_log"
if ! grep -q "test servers: redis=container local/redis:7 .* s3=local s3rver" "$e2e_log"; then
  echo "containers: FAIL: the e2e run did not say it used a Redis container and s3rver" >&2
  exit 1
fi

part "(b) the image: docker run --network host seniority-augmenter:local run --once"
vars=(RAW_URI MOD_URI ERRORS_URI S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
  SENIORITY_GRPC_ADDR MODEL_RATE MODEL_VERSION)
run_image="docker run --rm --network host ${vars[*]/#/-e } seniority-augmenter:local run --once"
npx tsx tools/src/run-and-verify.ts --label "image, embedded cache (LMDB in the container)" --files 20 --split 1500 -- sh -c "$run_image"
npx tsx tools/src/run-and-verify.ts --label "image, Redis" --redis local --files 20 --split 1500 -- sh -c "${run_image/ --network host / --network host -e CACHE_URL }"

part "(c) the compose stack: 3 augmenter replicas and Redis (deploy/compose.yaml)"
REDIS_IMAGE=local/redis:7 AUGMENTER_IMAGE=seniority-augmenter:local \
  npx tsx tools/src/run-and-verify.ts --label "compose, 3 replicas" --redis port --files 40 --split 2000 \
  -- bash deploy/images/compose-once.sh

part "done"
