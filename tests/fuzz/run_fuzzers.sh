#!/usr/bin/env bash
# Builds every libFuzzer target with clang (ASan + UBSan + coverage) in its own build dir and runs
# each for a bounded time on its seed corpus. Exits non-zero if any fuzzer finds a crash, leak,
# timeout or sanitizer report; the reproducer is left in the build dir as crash-<target>-*.
#
#   bash tests/fuzz/run_fuzzers.sh                      # every fuzzer, 30 s each
#   FUZZ_SECONDS=3600 FUZZ_SEED=0 bash tests/fuzz/run_fuzzers.sh    # longer, new seed
#   FUZZ_TARGETS=fuzz_wire FUZZ_JOBS=2 FUZZ_SECONDS=600 bash tests/fuzz/run_fuzzers.sh
#   build-fuzz/bin/fuzz_wire build-fuzz/crash-fuzz_wire-<hash>     # replay one reproducer
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${FUZZ_SECONDS:-30}
# A fixed seed by default, so the test command's bounded run is repeatable (a crash it finds, it
# finds every time, on every machine); FUZZ_SEED=0 lets libFuzzer pick a new seed each run, for
# the long exploratory runs that look for new bugs.
seed=${FUZZ_SEED:-1}
jobs=${FUZZ_JOBS:-1}
build=${FUZZ_BUILD_DIR:-build-fuzz}

# std::expected needs clang >= 16 with Debian's libstdc++ 12 (see CMakeLists.txt).
if command -v clang++-16 >/dev/null 2>&1; then
  cc=clang-16 cxx=clang++-16
else
  cc=clang cxx=clang++
fi
# Symbolized stack traces in crash reports (any installed llvm-symbolizer reads clang-16's DWARF).
for symbolizer in /usr/lib/llvm-16/bin/llvm-symbolizer /usr/lib/llvm-14/bin/llvm-symbolizer; do
  if [[ -x $symbolizer ]]; then
    export ASAN_SYMBOLIZER_PATH=$symbolizer
    break
  fi
done
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

CC=$cc CXX=$cxx cmake -S . -B "$build" -G Ninja -DTOMBSTONE_CCACHE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTOMBSTONE_FUZZ=ON -DTOMBSTONE_BENCHMARKS=OFF >/dev/null

targets=${FUZZ_TARGETS:-$(sed -n 's/^tombstone_add_fuzzer(\(fuzz_[A-Za-z0-9_]*\).*/\1/p' \
  tests/fuzz/CMakeLists.txt)}
# Only the fuzz targets (and the libraries they link) are built, never the whole project.
# shellcheck disable=SC2086
cmake --build "$build" --target $targets -j "$(nproc)"

failed=()
for t in $targets; do
  corpus=tests/fuzz/corpus/${t#fuzz_}
  mkdir -p "$corpus"
  # New inputs go to a scratch dir first, so the checked-in seed corpus only changes on purpose.
  scratch=$(mktemp -d)
  echo "== $t: ${seconds}s on $corpus"
  parallel=()
  ((jobs > 1)) && parallel=(-fork="$jobs")
  if ! "$build/bin/$t" -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      "${parallel[@]}" -print_final_stats=1 \
      -artifact_prefix="$build/crash-$t-" "$scratch" "$corpus"; then
    failed+=("$t")
  fi
  rm -rf "$scratch"
done

echo
echo "To fuzz longer: FUZZ_SECONDS=3600 FUZZ_SEED=0 FUZZ_JOBS=\$(nproc) bash tests/fuzz/run_fuzzers.sh"
if ((${#failed[@]})); then
  echo "FUZZER FAILURE: ${failed[*]} (reproducers: $build/crash-*)" >&2
  exit 1
fi
echo "fuzzers passed: $targets"
