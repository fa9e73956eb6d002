#!/usr/bin/env bash
# Starts Tombstone the way deploy/Dockerfile's runtime stage does, on this machine: checks that
# the binary's shared libraries are present (deploy/packages-runtime.txt), drops root to an
# unprivileged user, raises the file-descriptor limit and execs `tombstone serve` in the
# foreground (so its PID is this script's: SIGTERM drains, SIGHUP reloads).
#
# usage: deploy/run.sh [--config FILE] [extra serve options]
# env: TOMBSTONE_BIN     binary (default: /usr/local/bin/tombstone if present, else <repo>/build/bin/tombstone)
#      TOMBSTONE_CONFIG  config file (default: /etc/tombstone/tombstone.yaml); --config wins
#      TOMBSTONE_USER    user to run as when started as root (default: tombstone, if that user
#                        exists; the image runs as uid 10001). Set it empty to stay root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
config=${TOMBSTONE_CONFIG:-/etc/tombstone/tombstone.yaml}
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) config=${2:?--config needs a file}; shift ;;
    --config=*) config=${1#--config=} ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) extra+=("$1") ;;
  esac
  shift
done

if [[ -n ${TOMBSTONE_BIN:-} ]]; then
  binary=$TOMBSTONE_BIN
elif [[ -x /usr/local/bin/tombstone ]]; then
  binary=/usr/local/bin/tombstone
else
  binary=$repo/build/bin/tombstone
fi
if [[ ! -x $binary ]]; then
  echo "run.sh: no tombstone binary at $binary — build it with deploy/build.sh" >&2
  exit 1
fi
if missing=$(ldd "$binary" 2>/dev/null | grep 'not found'); then
  echo "run.sh: $binary lacks shared libraries:" >&2
  echo "$missing" >&2
  echo "run.sh: install: $(grep -v '^#' "$repo/deploy/packages-runtime.txt" | xargs)" >&2
  exit 1
fi
if [[ ! -r $config ]]; then
  echo "run.sh: cannot read config $config (set TOMBSTONE_CONFIG or pass --config)" >&2
  exit 1
fi

# Each session holds two sockets; 2,000 sessions need more than the usual 1024 descriptors.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cmd=("$binary" serve --config "$config" "${extra[@]}")
if [[ $(id -u) -eq 0 ]]; then
  user=${TOMBSTONE_USER-tombstone}
  if [[ -n $user ]] && id -u "$user" >/dev/null 2>&1; then
    # setpriv execs in place (unlike su/runuser, which fork and stay the parent), so signals
    # reach Tombstone itself.
    exec setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups -- "${cmd[@]}"
  fi
  [[ -z $user ]] || echo "run.sh: user '$user' does not exist; running as root" >&2
fi
exec "${cmd[@]}"
