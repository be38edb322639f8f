#!/usr/bin/env bash
# Proves the README's commands on a fresh machine: a container from the Debian base with only
# Node 20 (npm's node@20, with npm 11) and git clones this repository's HEAD and runs `npm ci`, then
#   start: `npm start`
#   test:  `npm test` (the whole suite: about 10 minutes on 2 cores); as root, the tests install
#          Debian's redis-server, redis-tools and memcached themselves
#   apt:   as root, two test files that start redis-server and memcached: the tests install
#          Debian's packages first (a shorter proof of that path than the whole suite)
#   bare:  as a user who cannot install packages, `npm test` stops at once with one line naming
#          what to install (redis-server, redis-cli, memcached are not there).
# Usage: deploy/images/fresh-machine-check.sh start|test|apt|bare …  (after `npm run images`; needs
# an engine answering). Prints each command's wall time.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/images/node-stage.sh
CACHE_DIR=${RL_IMAGES_CACHE:-/tmp/rl-images-cache}
BASE_IMAGE=${BASE_IMAGE:-local/debian:bookworm}
IMAGE=local/fresh-node20
ctx=$(mktemp -d)
# npm 11: the lockfile is npm 11's; npm 10.9 refuses it (`Missing: yaml@2.9.1 from lock file`).
stage_node "$CACHE_DIR" 20 11 "$ctx"
docker build -q --network host --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" \
  -f deploy/images/fresh-machine.Dockerfile "$ctx" >/tmp/fresh-machine-build.log 2>&1 ||
  { tail -20 /tmp/fresh-machine-build.log >&2; exit 1; }
rm -rf "$ctx"
repo=$(mktemp -d)
git clone -q --bare --no-local . "$repo/repo.git"
chmod -R a+rX "$repo"
trap 'rm -rf "$repo"' EXIT
# This machine reaches npm through a proxy whose CA only it trusts (../shared/docker-here.md).
ca=()
cafile=$(npm config get cafile 2>/dev/null || true)
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -s "$cafile" ]; then
  ca=(-v "$cafile:/etc/rl-ca.crt:ro" -e NODE_EXTRA_CA_CERTS=/etc/rl-ca.crt -e npm_config_cafile=/etc/rl-ca.crt)
fi
# t <command…>: runs it and prints its wall time.
t='t() { local s rc; s=$(date +%s); "$@"; rc=$?; echo "fresh machine: \`$*\` took $(($(date +%s) - s)) s (exit $rc)"; return $rc; }'
clone='git clone -q "$src" ~/repo && cd ~/repo'
for what in "$@"; do
  case $what in
    start) script="$t; src=/repo.git; $clone && t npm ci --no-audit --no-fund && t npm start" ;;
    test) script="$t; src=/repo.git; $clone && t npm ci --no-audit --no-fund && t npm test" ;;
    apt) script="$t; src=/repo.git; $clone && npm ci --no-audit --no-fund >/dev/null 2>&1 && t npx vitest run tools/src/test-env/test-environment.test.ts apps/augmenter-e2e/test/augmenter.e2e.test.ts" ;;
    # git refuses a repository another user owns: the user gets a copy of its own.
    bare) script="cp -r /repo.git /tmp/repo.git && chown -R user /tmp/repo.git && su user -c '$t; src=/tmp/repo.git; $clone && npm ci --no-audit --no-fund >/dev/null 2>&1 && t npm test'" ;;
    *)
      echo "usage: $0 start|test|apt|bare …" >&2
      exit 2
      ;;
  esac
  echo "fresh machine ($what): Node 20 and git only: $(docker run --rm "$IMAGE" sh -c 'echo node $(node --version), npm $(npm --version), $(git --version); command -v redis-server memcached || echo no redis-server, no memcached')"
  # `bare` (no redis-server, no root) must stop with its one line, so a non-zero exit is its
  # pass; every other check must succeed.
  if docker run --rm --network host "${ca[@]}" -v "$repo/repo.git:/repo.git:ro" "$IMAGE" bash -c "$script"; then
    [ "$what" != bare ] || { echo "fresh machine (bare): npm test should have stopped" >&2; exit 1; }
  else
    [ "$what" = bare ] || { echo "fresh machine ($what): FAILED" >&2; exit 1; }
  fi
done
