#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test, then
# build again with AddressSanitizer + UndefinedBehaviorSanitizer and run again.
# Usage: scripts/test.sh [--no-sanitize]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sanitize=1
for a in "$@"; do
  case "$a" in
    --no-sanitize) sanitize=0 ;;
    -h|--help) echo "usage: scripts/test.sh [--no-sanitize]"; exit 0 ;;
    *) echo "scripts/test.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
export PATH="$PATH:/usr/sbin:/sbin"

scripts/bootstrap.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh "$root/build"
echo "== tests"
ctest --test-dir "$root/build" --output-on-failure -j"$jobs"

if [ "$sanitize" = 1 ]; then
  echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
  scripts/build.sh "$root/build-asan" -DBF_SANITIZE=ON
  echo "== tests under sanitizers"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$root/build-asan" --output-on-failure -j"$jobs"
fi
echo "== all tests passed"
