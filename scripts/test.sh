#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test, then
# build again with AddressSanitizer + UndefinedBehaviorSanitizer and run again.
# (ctest includes the operator page's tests in headless chromium: ctest -L web.)
# Then the builds a packager or another compiler would make — Release (-O3) and
# clang — are built with warnings as errors (they see warnings the normal build
# does not). Finally each libFuzzer harness runs for a short while (scripts/fuzz.sh).
# Usage: scripts/test.sh [--no-sanitize] [--no-fuzz] [--no-extra-builds]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sanitize=1
fuzz=1
extra=1
for a in "$@"; do
  case "$a" in
    --no-sanitize) sanitize=0 ;;
    --no-fuzz) fuzz=0 ;;
    --no-extra-builds) extra=0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
export PATH="$PATH:/usr/sbin:/sbin"

scripts/bootstrap.sh
# the schema validator's npm packages (ajv; tests/schemas/package-lock.json), once: every
# integration test checks what it saw on its broker against docs/schemas/
scripts/schemas.sh
jobs=$(nproc 2>/dev/null || echo 2)

# Run one build's tests; print the CUnit summaries whatever the outcome.
run_tests() {
  local dir=$1 rc=0
  shift
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" || rc=$?
  echo
  scripts/cunit-summary.sh "$dir" || true
  return $rc
}

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh "$root/build"

echo "== tests"
run_tests "$root/build"

if [ "$sanitize" = 1 ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  scripts/build.sh "$root/build-asan" -DBF_SANITIZE=ON
  echo "== tests under sanitizers"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export LSAN_OPTIONS=suppressions=$root/tests/lsan.supp
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  # Not twice: the package test installs the Release .deb it builds (not this build's
  # binaries); the host-services test only watches a broker beside the demo; the blind-sensor
  # relations replay the whole library twice over (a behaviour check, some 15 minutes) and
  # every code path they take runs under the sanitizers in the scenario and e2e tests.
  run_tests "$root/build-asan" -E '^(test_it_package|test_it_host_services|test_it_blind_sensor|test_it_blind_camera)$'
fi
if [ "$extra" = 1 ]; then
  echo "== build (Release, -Werror)"
  cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release -DBF_WERROR=ON >/dev/null
  cmake --build "$root/build-release" -j"$jobs" > "$root/build-release.log" 2>&1 ||
    { grep -E "error|warning" "$root/build-release.log" | head -40; exit 1; }
  echo "== build (clang, -Werror)"
  CC=clang cmake -S "$root" -B "$root/build-clang" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DBF_WERROR=ON >/dev/null
  cmake --build "$root/build-clang" -j"$jobs" > "$root/build-clang.log" 2>&1 ||
    { grep -E "error|warning" "$root/build-clang.log" | head -40; exit 1; }
fi
if [ "$fuzz" = 1 ]; then
  echo "== fuzzing (10 s per harness)"
  scripts/fuzz.sh 10
fi
echo "== all tests passed"
