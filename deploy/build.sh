#!/usr/bin/env bash
# Builds the Release `tombstone` binary exactly as deploy/Dockerfile's build stage does, on this
# machine: installs the build packages that are missing (deploy/packages-build.txt; needs root),
# configures with CMake + Ninja and builds the binary.
#
# usage: deploy/build.sh [--no-deps] [--stage DIR]
#   --no-deps    do not install packages (the Dockerfile installs them in its own layer)
#   --stage DIR  also lay out DIR as the runtime image's filesystem:
#                DIR/usr/local/bin/tombstone and DIR/etc/tombstone/tombstone.yaml
# env: TOMBSTONE_BUILD_DIR (default: <repo>/build), TOMBSTONE_CMAKE_ARGS (extra cmake args),
#      TOMBSTONE_BUILD_JOBS (default: nproc)
# Prints the path of the built binary on its last line.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=1
stage=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-deps) deps=0 ;;
    --stage) stage=${2:?--stage needs a directory}; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

if [[ $deps == 1 ]]; then
  # Only what is missing, so a warm machine does not pay for `apt-get update`.
  mapfile -t wanted < <(grep -v '^#' "$repo/deploy/packages-build.txt" | sed '/^$/d')
  missing=()
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    if [[ $(id -u) -ne 0 ]]; then
      echo "build.sh: missing packages: ${missing[*]} (run as root, or install them)" >&2
      exit 1
    fi
    echo "build.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

build_dir=${TOMBSTONE_BUILD_DIR:-$repo/build}
jobs=${TOMBSTONE_BUILD_JOBS:-$(nproc)}
# Two builds in one directory corrupt each other (Ninja's log, half-written objects): serialize
# them on a lock file next to the build directory, as the project's other scripts do.
lock="$repo/.build.lock"
[[ $build_dir == "$repo/build" ]] || lock="$build_dir.lock"
mkdir -p "$(dirname "$lock")"

# shellcheck disable=SC2086  # TOMBSTONE_CMAKE_ARGS is a list of words on purpose
flock "$lock" cmake -S "$repo" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  ${TOMBSTONE_CMAKE_ARGS:-} >/dev/null
flock "$lock" cmake --build "$build_dir" --target tombstone -j "$jobs"

binary="$build_dir/bin/tombstone"
"$binary" --version >/dev/null  # fails loudly if the binary cannot load its libraries

if [[ -n $stage ]]; then
  install -D -m 0755 "$binary" "$stage/usr/local/bin/tombstone"
  install -D -m 0644 "$repo/deploy/tombstone.example.yaml" "$stage/etc/tombstone/tombstone.yaml"
fi
echo "$binary"
