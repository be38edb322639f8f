#!/usr/bin/env bash
# `npm run images`: builds, on a machine where no image registry can be reached,
#   local/debian:bookworm      a Debian base made by debootstrap (its tarball cached),
#   local/redis:7              Redis from Debian's package, for the tests' containers,
#   local/node:24-slim         a stand-in for the official node:24-slim (Node 24 from npm's node@24),
#   seniority-augmenter:local  deploy/Dockerfile on that stand-in.
# Starts a local engine when none answers and this is root on Debian, and stops it at the end.
# Override any tag with BASE_IMAGE, REDIS_IMAGE, NODE_IMAGE, AUGMENTER_IMAGE.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/images/engine.sh
. deploy/images/node-stage.sh

CACHE_DIR=${RL_IMAGES_CACHE:-/tmp/rl-images-cache}
BASE_IMAGE=${BASE_IMAGE:-local/debian:bookworm}
REDIS_IMAGE=${REDIS_IMAGE:-local/redis:7}
NODE_IMAGE=${NODE_IMAGE:-local/node:24-slim}
AUGMENTER_IMAGE=${AUGMENTER_IMAGE:-seniority-augmenter:local}
t0=$(date +%s)
say() { printf 'images (%ss): %s\n' "$(($(date +%s) - t0))" "$*"; }
mkdir -p "$CACHE_DIR"

if ! engine_answers; then
  if [ "$(id -u)" != 0 ] || [ ! -f /etc/debian_version ]; then
    echo "images: no Docker engine answers (docker info) and this is not root on Debian: start an engine, then run again" >&2
    exit 1
  fi
  # Set before starting: an engine that never answers is stopped too (engine_stop does nothing
  # when none was started).
  trap 'engine_stop' EXIT
  engine_start
  say "no Docker engine answered: started one (dockerd pid $ENGINE_PID, log $ENGINE_LOG); it is stopped at the end"
  trap 'engine_stop; say "stopped the Docker engine it started"' EXIT
fi

have() { docker image inspect "$1" >/dev/null 2>&1; }
# Runs a build with its output in a log, shown only when it fails.
quiet() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 || {
    tail -30 "$log" >&2
    echo "images: failed: $* (log $log)" >&2
    exit 1
  }
}

if have "$BASE_IMAGE"; then
  say "$BASE_IMAGE is there"
else
  arch=$(dpkg --print-architecture)
  # Keyed by suite, variant and architecture: a re-run on this machine skips debootstrap.
  tarball="$CACHE_DIR/debian-bookworm-minbase-$arch.tar"
  if [ ! -s "$tarball" ]; then
    ensure_debian_packages debootstrap:debootstrap
    rootfs=$(mktemp -d "$CACHE_DIR/rootfs.XXXXXX")
    say "debootstrap --variant=minbase bookworm (log $CACHE_DIR/debootstrap.log)"
    debootstrap --variant=minbase bookworm "$rootfs" >"$CACHE_DIR/debootstrap.log" 2>&1
    # vfs copies every layer whole: what no image needs is left out of the base.
    rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
      "$rootfs"/usr/share/locale/* "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    chmod 755 "$rootfs" # mktemp made it 0700, and it becomes the image's /: non-root users could not enter it
    tar -C "$rootfs" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$rootfs"
  fi
  docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["bash"]' "$tarball" "$BASE_IMAGE" >/dev/null
  say "$BASE_IMAGE imported from $tarball"
fi

quiet "$CACHE_DIR/redis-build.log" docker build --network host --build-arg BASE_IMAGE="$BASE_IMAGE" \
  -t "$REDIS_IMAGE" -f deploy/images/redis.Dockerfile deploy/images
say "$REDIS_IMAGE built (Redis $(docker run --rm --entrypoint redis-server "$REDIS_IMAGE" --version | sed 's/.*v=\([^ ]*\).*/\1/'))"

# Node 24 and npm as the official image has them, from the npm registry.
ctx=$(mktemp -d)
stage_node "$CACHE_DIR" 24 11 "$ctx"
quiet "$CACHE_DIR/node-build.log" docker build --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$NODE_IMAGE" \
  -f deploy/images/node.Dockerfile "$ctx"
rm -rf "$ctx"
say "$NODE_IMAGE built (node $(docker run --rm "$NODE_IMAGE" node --version))"

# The registry may sit behind a proxy whose CA only this machine trusts: hand npm the machine's
# bundle as a build secret (never a layer of the image).
secret=()
cafile=$(npm config get cafile 2>/dev/null || true)
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -s "$cafile" ]; then secret=(--secret "id=npm_ca,src=$cafile"); fi
# BuildKit (for the secret): the docker CLI's buildx plugin where it has one, else Debian's
# docker.io CLI (20.10), which drives the engine's built-in BuildKit itself.
bk=docker
if ! docker buildx version >/dev/null 2>&1 && [ -x /usr/bin/docker ]; then bk=/usr/bin/docker; fi
DOCKER_BUILDKIT=1 quiet "$CACHE_DIR/augmenter-build.log" "$bk" build --progress=plain --network host "${secret[@]}" \
  --build-arg NODE_IMAGE="$NODE_IMAGE" -t "$AUGMENTER_IMAGE" -f deploy/Dockerfile .
size=$(docker image inspect -f '{{.Size}}' "$AUGMENTER_IMAGE")
base_size=$(docker image inspect -f '{{.Size}}' "$NODE_IMAGE")
say "$AUGMENTER_IMAGE built: $((size / 1048576)) MiB ($(((size - base_size) / 1048576)) MiB over $NODE_IMAGE; log $CACHE_DIR/augmenter-build.log)"
