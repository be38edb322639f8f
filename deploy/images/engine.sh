# Sourced by deploy/images/*.sh: a Docker engine as these machines allow one
# (../shared/docker-here.md: no iptables, vfs storage), started and stopped by its PID only.
# `--ip 127.0.0.1` makes every published port listen on loopback only, whoever publishes it
# (testcontainers and compose publish on all interfaces by default).

ENGINE_LOG=${ENGINE_LOG:-/tmp/rl-dockerd.log}
ENGINE_PID=""

engine_answers() { docker info >/dev/null 2>&1; }

# Installs Debian packages that are missing; only as root with apt.
ensure_debian_packages() {
  local missing=() cmd pkg
  for pair in "$@"; do
    cmd=${pair%%:*} pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "missing: ${missing[*]} (install Debian's packages: apt-get install ${missing[*]})" >&2
    return 1
  fi
  echo "installing Debian's ${missing[*]}"
  # No service may start from the install (docker.io would start its own dockerd, with iptables
  # and overlay, which this script would then find answering and never stop): policy-rc.d
  # answers 101, "action forbidden", for the install's duration.
  local policy=/usr/sbin/policy-rc.d had_policy=0
  [ -e "$policy" ] && had_policy=1
  [ "$had_policy" = 1 ] || printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  local ok=0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || ok=$?
  [ "$had_policy" = 1 ] || rm -f "$policy"
  return "$ok"
}

engine_start() {
  ensure_debian_packages dockerd:docker.io docker:docker.io
  dockerd --iptables=false --ip6tables=false --storage-driver=vfs --ip 127.0.0.1 >"$ENGINE_LOG" 2>&1 &
  ENGINE_PID=$!
  local i
  for i in $(seq 1 120); do
    engine_answers && return 0
    if ! kill -0 "$ENGINE_PID" 2>/dev/null; then
      echo "dockerd exited at start; its log ($ENGINE_LOG) ends:" >&2
      tail -5 "$ENGINE_LOG" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "dockerd (pid $ENGINE_PID) did not answer within 60 s; see $ENGINE_LOG" >&2
  return 1
}

engine_stop() {
  [ -n "$ENGINE_PID" ] || return 0
  kill "$ENGINE_PID" 2>/dev/null || true
  wait "$ENGINE_PID" 2>/dev/null || true
  ENGINE_PID=""
}
