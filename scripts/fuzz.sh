#!/usr/bin/env bash
# Build the libFuzzer harnesses with clang and run each for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS_EACH]   (default 20)
# A finding fails the run and leaves its input in out/fuzz/<name>-*; add it to
# tests/fuzz/corpus/<name>/ as a regression once fixed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-20}
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBF_FUZZ=ON -DBF_TESTS=OFF >/dev/null
# one harness per seed corpus: tests/fuzz/corpus/<name>/ goes with tests/fuzz/fuzz_<name>.c
harnesses=()
for d in tests/fuzz/corpus/*/; do
  harnesses+=("$(basename "$d")")
done
cmake --build "$root/build-fuzz" -j"$(nproc)" --target "${harnesses[@]/#/fuzz_}"
mkdir -p out/fuzz
for h in "${harnesses[@]}"; do
  work=$(mktemp -d)
  log=out/fuzz/$h.log
  cp tests/fuzz/corpus/$h/* "$work/"
  echo "== fuzz_$h for ${secs}s"
  # libFuzzer exits non-zero on any finding (a crash, a sanitizer report, a
  # leak, a timeout) and saves the input as out/fuzz/<harness>-crash-...
  rc=0
  "$root/build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$secs" -artifact_prefix="out/fuzz/$h-" \
    -print_final_stats=1 "$work" >"$log" 2>&1 || rc=$?
  rm -rf "$work"
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done)' "$log" || true
  if [ "$rc" -ne 0 ]; then
    grep -E 'SUMMARY|ERROR|runtime error' "$log" >&2 || true
    echo "fuzz_$h found a problem (exit $rc): the input is in out/fuzz/$h-*, the log in $log" >&2
    echo "  fix it, then add the input to tests/fuzz/corpus/$h/ as a regression" >&2
    exit 1
  fi
done
echo "fuzz: no findings"
