#!/usr/bin/env bash
# Print the CUnit run summary of every test of the last ctest run in a build
# folder: one line per test program with its tests and asserts (run, passed,
# failed), then the totals.
# Usage: scripts/cunit-summary.sh BUILD_DIR
set -euo pipefail
log=${1:?usage: scripts/cunit-summary.sh BUILD_DIR}/Testing/Temporary/LastTest.log
[ -f "$log" ] || { echo "no ctest log at $log" >&2; exit 1; }
printf "%-24s %8s %8s %8s %10s %10s %8s\n" "CUnit suite program" "tests" "passed" "failed" \
  "asserts" "passed" "failed"
awk '
  /^[0-9]+\/[0-9]+ Testing: / { name = $3 }
  $1 == "tests" && NF == 6 && name != "" { t[name] = $3 " " $4 " " $5 }
  $1 == "asserts" && NF == 6 && name != "" { a[name] = $3 " " $4 " " $5 }
  END { for (k in t) print k, t[k], (k in a) ? a[k] : "0 0 0" }' "$log" |
  sort |
  awk '{ printf "%-24s %8d %8d %8d %10d %10d %8d\n", $1, $2, $3, $4, $5, $6, $7
         for (i = 2; i <= 7; i++) s[i] += $i }
       END { printf "%-24s %8d %8d %8d %10d %10d %8d\n", "total", s[2], s[3], s[4], s[5], s[6], s[7] }'
