#!/usr/bin/env bash
# Build the libFuzzer harnesses with clang and run each for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS_EACH]   (default 20)
# A crash leaves its input in out/fuzz/; add it to tests/fuzz/corpus/<name>/ as a regression.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
secs=${1:-20}
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBF_FUZZ=ON -DBF_TESTS=OFF >/dev/null
cmake --build "$root/build-fuzz" -j"$(nproc)" --target fuzz_detjson fuzz_simalert
mkdir -p out/fuzz
for h in detjson simalert; do
  work=$(mktemp -d)
  cp tests/fuzz/corpus/$h/* "$work/"
  echo "== fuzz_$h for ${secs}s"
  "$root/build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$secs" -artifact_prefix=out/fuzz/ \
    -print_final_stats=1 "$work" 2>&1 | grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|==|SUMMARY|Done)' || true
  rm -rf "$work"
  if ls out/fuzz/crash-* out/fuzz/leak-* out/fuzz/timeout-* >/dev/null 2>&1; then
    echo "fuzz_$h found a problem: see out/fuzz/" >&2
    exit 1
  fi
done
echo "fuzz: no findings"
