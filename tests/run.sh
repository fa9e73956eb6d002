#!/usr/bin/env bash
# The test command (README): builds Tombstone and runs every test, in three stages.
#   1. Release (build/): every unit test, every integration test against real PostgreSQL 15 and
#      the equivalence oracle.
#   2. ASan + UBSan (build-asan/, RelWithDebInfo): the unit tests and the integration and oracle
#      tests again, with the sanitized proxy. Any sanitizer report fails: gtests abort on it, and
#      tests/support/harness.py fails a test whose proxy log holds one (it stops the proxy with
#      SIGTERM there, so LeakSanitizer's exit check runs too).
#   3. libFuzzer (build-fuzz/, clang-16): every fuzzer for FUZZ_SECONDS (30 s) on its corpus.
# Every stage runs even when an earlier one failed; the last line sums them up as
# "summary: N passed, M failed", and the exit status is non-zero if anything failed.
#
#   bash tests/run.sh                                   # everything (CI runs this)
#   TOMBSTONE_STAGES="release" bash tests/run.sh        # any subset of: release asan fuzz
#   CTEST_ARGS="-R integration.test_load" bash tests/run.sh   # extra ctest arguments
#   FUZZ_SECONDS=600 bash tests/run.sh                  # fuzz longer
#   RELEASE_BUILD_DIR=build-mine ASAN_BUILD_DIR=build-mine-asan FUZZ_BUILD_DIR=build-mine-fuzz \
#     bash tests/run.sh                                 # own build dirs in a shared work tree
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
jobs=$(nproc)
stages=${TOMBSTONE_STAGES:-release asan fuzz}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
passed=0
failed=0
failures=()

stage_enabled() { [[ " $stages " == *" $1 "* ]]; }

# ctest_stage NAME BUILD_DIR CMAKE_ARGS... -- CTEST_ARGS...: configure, build, run ctest; adds
# ctest's own counts to the totals (a build failure counts as one failed test).
ctest_stage() {
  local name=$1 dir=$2
  shift 2
  local cmake_args=() ctest_args=()
  while (($#)) && [[ $1 != -- ]]; do cmake_args+=("$1"); shift; done
  (($#)) && shift
  ctest_args=("$@")
  echo "== [$name] configure and build ($dir)"
  local t0=$SECONDS
  if ! cmake -S . -B "$dir" -G Ninja -DTOMBSTONE_CCACHE=ON "${cmake_args[@]}" >"$logs/$name.cmake" 2>&1; then
    cat "$logs/$name.cmake"
    failures+=("$name: cmake")
    failed=$((failed + 1))
    return
  fi
  # -k 0: build everything that can be built, so one broken target does not hide every test.
  if ! cmake --build "$dir" -j "$jobs" -- -k 0; then
    failures+=("$name: build")
    failed=$((failed + 1))
    if [[ ! -e $dir/CTestTestfile.cmake ]]; then return; fi
  fi
  echo "== [$name] built in $((SECONDS - t0)) s; running ctest"
  t0=$SECONDS
  # shellcheck disable=SC2086
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "${ctest_args[@]}" ${CTEST_ARGS:-} \
    2>&1 | tee "$logs/$name.ctest"
  local rc=${PIPESTATUS[0]}
  echo "== [$name] ctest finished in $((SECONDS - t0)) s (exit $rc)"
  local line total bad
  line=$(grep -E '[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$logs/$name.ctest" |
         tail -n 1)
  if [[ -z $line ]]; then
    failures+=("$name: ctest ran no test (exit $rc)")
    failed=$((failed + 1))
    return
  fi
  total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
  bad=$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"$line")
  passed=$((passed + total - bad))
  failed=$((failed + bad))
  if ((bad > 0 || rc != 0)); then
    failures+=("$name: $bad of $total tests failed (exit $rc)")
    ((bad == 0)) && failed=$((failed + 1))
  fi
}

if stage_enabled release; then
  ctest_stage release "${RELEASE_BUILD_DIR:-build}" -DCMAKE_BUILD_TYPE=Release
fi

if stage_enabled asan; then
  # Options for the unit tests; the pytest tests get the same from tests/CMakeLists.txt.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:check_initialization_order=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  # Every test runs sanitized: unit (no label), integration and oracle. Benchmarks are not built
  # (they measure, they do not test, and Release already builds them).
  ctest_stage asan "${ASAN_BUILD_DIR:-build-asan}" -DTOMBSTONE_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTOMBSTONE_BENCHMARKS=OFF
  unset ASAN_OPTIONS UBSAN_OPTIONS
fi

if stage_enabled fuzz; then
  echo "== [fuzz] libFuzzer targets, ${FUZZ_SECONDS:-30} s each"
  t0=$SECONDS
  FUZZ_SECONDS=${FUZZ_SECONDS:-30} bash tests/fuzz/run_fuzzers.sh >"$logs/fuzz.log" 2>&1
  rc=$?
  # On success, one line per fuzzer with its run count; on failure everything but libFuzzer's
  # progress lines (so the crash report and reproducer path show).
  if ((rc == 0)); then
    grep -E '^== fuzz_|^Done [0-9]+ runs|^stat::new_units_added|^To fuzz longer' "$logs/fuzz.log"
  else
    grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|INITED|RELOAD)' "$logs/fuzz.log"
  fi
  echo "== [fuzz] finished in $((SECONDS - t0)) s (exit $rc)"
  n=$(grep -c '^== fuzz_' "$logs/fuzz.log")
  bad=$(sed -n 's/^FUZZER FAILURE: \(.*\) (reproducers.*/\1/p' "$logs/fuzz.log" | wc -w)
  if ((rc == 0 && n > 0)); then
    passed=$((passed + n))
  else
    ((bad == 0)) && bad=1
    failures+=("fuzz: $(grep -E 'FUZZER FAILURE' "$logs/fuzz.log" || echo "exit $rc")")
    passed=$((passed + (n > bad ? n - bad : 0)))
    failed=$((failed + bad))
  fi
fi

echo
for f in "${failures[@]}"; do echo "FAILED: $f"; done
echo "summary: $passed passed, $failed failed"
((failed == 0 && ${#failures[@]} == 0))
