#!/usr/bin/env bash
# Builds Tombstone (Release, then the ASan/UBSan configuration) and runs every test: unit tests,
# integration tests against real PostgreSQL 15 and the equivalence oracle.
# Usage: bash tests/run.sh            (all)
#        TOMBSTONE_SKIP_SANITIZE=1 bash tests/run.sh   (Release only)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
