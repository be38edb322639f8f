#!/usr/bin/env bash
# The compose stack (compose.yaml + compose.host-network.yaml), run once: up, wait until every
# augmenter replica has exited, down. Exits 0 only when all of them exited 0. REDIS_PORT and the
# augmenter's variables come from the caller (tools/src/run-and-verify.ts --redis port).
set -euo pipefail
cd "$(dirname "$0")/.."
dc=(docker-compose -p rl-compose-check -f compose.yaml -f compose.host-network.yaml)
trap '"${dc[@]}" down -v >/dev/null 2>&1 || true' EXIT
"${dc[@]}" up -d --no-build
ids=$("${dc[@]}" ps -q augmenter)
replicas=$(echo "$ids" | wc -w)
echo "compose: $replicas augmenter replicas ($("${dc[@]}" images -q augmenter | sort -u | wc -l) image), Redis $(docker inspect -f '{{.Config.Image}}' "$("${dc[@]}" ps -q redis)") on 127.0.0.1:$REDIS_PORT"
# shellcheck disable=SC2086 # one argument per container id
codes=$(timeout 900 docker wait $ids | tr '\n' ' ') || {
  echo "compose: the replicas had not all exited after 900 s" >&2
  "${dc[@]}" logs --no-color --tail 20 augmenter
  exit 1
}
echo "compose: replicas exited with codes $codes"
# Each replica's run summary: how the files were shared out.
"${dc[@]}" logs --no-color augmenter | grep -E "\| files +[0-9]+ done" || true
failed=0
for c in $codes; do [ "$c" = 0 ] || failed=1; done
if [ "$failed" = 1 ] || [ "$replicas" != 3 ]; then
  "${dc[@]}" logs --no-color --tail 20 augmenter redis
  echo "compose: expected 3 replicas exiting 0" >&2
  exit 1
fi
