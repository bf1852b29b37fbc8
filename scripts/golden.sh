#!/usr/bin/env bash
# Golden replays (docs/replay.md): replay each tests/golden/*.log with the real
# borderfuse and compare its tracks and alerts byte for byte with the .chk files
# beside it; --rebuild (or BF_GOLDEN_REBUILD=1) writes the .chk files instead.
# Usage: scripts/golden.sh [--rebuild] [--bin PATH/borderfuse] [LOG...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/build/apps/borderfuse
rebuild=${BF_GOLDEN_REBUILD:-0}
logs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rebuild) rebuild=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "scripts/golden.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
    *) logs+=("$1"); shift ;;
  esac
done
if [ ${#logs[@]} -eq 0 ]; then
  logs=("$root"/tests/golden/*.log)
fi
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
  echo "scripts/golden.sh: $bin is not built (scripts/build.sh, or --bin PATH)" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# first_difference EXPECTED ACTUAL: say where two files first differ.
first_difference() {
  local n
  n=$(cmp "$1" "$2" 2>/dev/null | sed -n 's/.* line \([0-9]*\).*/\1/p' || true)
  if [ -z "$n" ]; then   # one is a prefix of the other
    echo "  $(wc -l < "$1") lines expected, $(wc -l < "$2") lines produced"
    return
  fi
  echo "  first difference at line $n:"
  echo "  expected: $(sed -n "${n}p" "$1")"
  echo "  actual:   $(sed -n "${n}p" "$2")"
}

failed=0
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for log in "${logs[@]}"; do
  log=$(cd "$(dirname "$log")" && pwd)/$(basename "$log")
  name=${log%.log}
  config=$(sed -n 's/^# Config: *//p' "$log" | head -n 1)
  if [ -z "$config" ]; then
    echo "$log: no \"# Config:\" header line" >&2
    failed=1
    continue
  fi
  out=$tmp/$(basename "$name")
  if ! (cd "$root" && "$bin" --config "$config" --replay "$log" --replay-out "$out" \
          --log-level warn > "$out.summary" 2>&1); then
    echo "FAIL $log: the replay failed:" >&2
    cat "$out.summary" >&2
    failed=1
    continue
  fi
  for kind in tracks alerts; do
    chk=$name.$kind.chk
    if [ "$rebuild" = 1 ]; then
      cp "$out/$kind.jsonl" "$chk"
      echo "rebuilt $chk ($(wc -l < "$chk") lines)"
    elif [ ! -f "$chk" ]; then
      echo "FAIL $chk: missing (scripts/golden.sh --rebuild makes it)"
      failed=1
    elif ! cmp -s "$chk" "$out/$kind.jsonl"; then
      echo "FAIL $chk: the replay's $kind differ"
      first_difference "$chk" "$out/$kind.jsonl"
      failed=1
    else
      echo "ok   $chk ($(wc -l < "$chk") lines)"
    fi
  done
done
exit $failed
