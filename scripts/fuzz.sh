#!/usr/bin/env bash
# Build the libFuzzer harnesses with clang and run each for a bounded time.
# Usage: scripts/fuzz.sh [--campaign] [SECONDS_EACH] [HARNESS...]   (default 20 s, all)
# A finding fails the run and leaves its input in out/fuzz/<name>-*; add it to
# tests/fuzz/corpus/<name>/ as a regression once fixed.
# --campaign: a long run that keeps what it finds: the inputs that add coverage
# are added (libFuzzer -merge=1, only what adds coverage) to tests/fuzz/corpus/<name>/, and the
# executions per harness are printed (docs/contributing.md: a campaign is
# >= 600 s per harness before a release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
campaign=0
if [ "${1:-}" = "--campaign" ]; then campaign=1; shift; fi
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
secs=${1:-20}
[ $# -gt 0 ] && shift
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBF_FUZZ=ON -DBF_TESTS=OFF >/dev/null
# one harness per seed corpus: tests/fuzz/corpus/<name>/ goes with tests/fuzz/fuzz_<name>.c
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
  for d in tests/fuzz/corpus/*/; do
    harnesses+=("$(basename "$d")")
  done
fi
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
  if [ "$campaign" = 1 ] && [ "$rc" -eq 0 ]; then
    # what the run found that adds coverage over the seed corpus joins it; the seeds
    # themselves (named inputs, regressions) are never removed
    merged=$(mktemp -d)
    cp tests/fuzz/corpus/$h/* "$merged/"
    "$root/build-fuzz/tests/fuzz/fuzz_$h" -merge=1 "$merged" "$work" \
      >"out/fuzz/$h.merge.log" 2>&1
    before=$(ls "tests/fuzz/corpus/$h" | wc -l)
    cp -n "$merged"/* "tests/fuzz/corpus/$h/"
    echo "corpus $h: $before -> $(ls "tests/fuzz/corpus/$h" | wc -l) inputs"
    rm -rf "$merged"
  fi
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
