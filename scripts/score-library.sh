#!/usr/bin/env bash
# Score the whole scenario library over several seeds, through the real engine and a broker.
#
# Every config/scenarios/<name>.json (with its engine configuration <name>.engine.json) is
# played once per seed: a fresh engine on a private mosquitto (its own, on a free loopback
# port), then borderfuse-sim --seed S at the scenario's own time scale (0, as fast as the engine
# takes, unless its sensors need a finite one), with --broker-pid so that a scripted broker
# outage really stops that broker. Scenarios run in parallel (--jobs, default 2); the seeds of
# one scenario run one after another (their engines share a client id and camera ports).
# Then a table: per scenario and in total, the crossings, alerted, missed, lag p50/p95, own
# APPROACH lead p50, false INCURSIONs, nuisance alerts per hour, alerts raised by animals and
# how many seeds met the scenario's "expect". Exits 1 if any run did not meet its "expect" (or
# failed), 2 on usage errors. Progress goes to stderr, the table to stdout (and to
# OUT/table.md); every run's scorecard, engine and simulator logs stay in OUT/<name>/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$root/scripts/lib.sh"

usage() {
  cat <<'USAGE'
Usage: scripts/score-library.sh [--seeds N] [--first-seed S] [--jobs J] [--only REGEX]
                                [--build DIR] [--out DIR]

Plays every scenario of config/scenarios/ over N seeds (S, S+1, ..., default S = 1) through
the real engine and a private mosquitto, and prints per scenario and in total: true crossings
owing an alert, alerted, missed, lag p50/p95 (alert first_time - crossing time), the crossing
track's own APPROACH lead p50, false INCURSIONs, nuisance alerts (false INCURSIONs + unmatched
APPROACHes) per simulated hour, INCURSION/APPROACH alerts caused by animals, and the seeds
whose "expect" was met. Exit status 1 when any run missed its "expect".

  --seeds N        seeds per scenario (default 1)
  --first-seed S   the first seed (default 1)
  --jobs J         scenarios played at once, each with its own broker (default 2)
  --only REGEX     only scenarios whose name matches (grep -E)
  --build DIR      the build folder with apps/borderfuse and apps/borderfuse-sim (default build)
  --out DIR        where the runs and table.md go (default out/score-library)
  --table-only     play nothing: make the table again from the runs already in --out
  --help           this text
USAGE
}

seeds=1 first=1 jobs=2 only="" build="$root/build" out="$root/out/score-library" one="" table_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seeds) seeds=${2:?}; shift 2 ;;
    --first-seed) first=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --only) only=${2:?}; shift 2 ;;
    --build) build=$(cd "${2:?}" && pwd); shift 2 ;;
    --out) mkdir -p "${2:?}"; out=$(cd "$2" && pwd); shift 2 ;;
    --one) one=${2:?}; shift 2 ;;   # internal: play one scenario over the seeds
    --table-only) table_only=1; shift ;;
    --help|-h) usage; exit 0 ;;
    *) echo "score-library: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
for v in "$seeds" "$first" "$jobs"; do
  case "$v" in ''|*[!0-9]*) echo "score-library: expected a whole number, got \"$v\"" >&2; exit 2 ;; esac
done
[ "$seeds" -ge 1 ] && [ "$jobs" -ge 1 ] || { echo "score-library: --seeds and --jobs must be >= 1" >&2; exit 2; }
for b in apps/borderfuse apps/borderfuse-sim; do
  [ -x "$build/$b" ] || { echo "score-library: $build/$b not built (scripts/build.sh)" >&2; exit 2; }
done

# ---- one scenario over the seeds (run by the parallel workers) ------------------------------
if [ -n "$one" ]; then
  dir="$out/$one"
  mkdir -p "$dir"
  port=$(bf_free_port)
  engine_pid=""
  cleanup() {
    [ -n "$engine_pid" ] && kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null || true
    [ -n "${BF_MOSQUITTO_PID:-}" ] && kill -TERM "$BF_MOSQUITTO_PID" 2>/dev/null || true
  }
  trap cleanup EXIT
  bf_start_mosquitto "$dir/broker" "$port" >/dev/null
  url="tcp://127.0.0.1:$port"
  for ((s = first; s < first + seeds; s++)); do
    run="$dir/seed-$s"
    rm -rf "$run"
    mkdir -p "$run"
    t0=$(date +%s.%N)
    "$build/apps/borderfuse" --config "$root/config/scenarios/$one.engine.json" --mqtt-url "$url" \
      --journal "$run/journal.jsonl" > "$run/engine.log" 2>&1 &
    engine_pid=$!
    sleep 0.8
    rc=0
    if ! kill -0 "$engine_pid" 2>/dev/null; then
      rc=99   # the engine did not start (its log says why)
      engine_pid=""
    else
      timeout -k 5 600 "$build/apps/borderfuse-sim" --scenario "$root/config/scenarios/$one.json" \
        --mqtt-url "$url" --seed "$s" --settle-s 2 --broker-pid "$BF_MOSQUITTO_PID" \
        --scorecard "$run/scorecard.json" --quiet > "$run/sim.log" 2>&1 || rc=$?
      kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null || true
      engine_pid=""
    fi
    echo "$rc" > "$run/exit"
    wall=$(echo "$(date +%s.%N) - $t0" | bc)
    verdict=$([ "$rc" = 0 ] && echo "expect met" || { [ "$rc" = 3 ] && echo "expect NOT met" || echo "FAILED (exit $rc)"; })
    printf '[score-library] %-22s seed %-4s %6.1f s  %s\n' "$one" "$s" "$wall" "$verdict" >&2
  done
  exit 0
fi

# ---- the library ----------------------------------------------------------------------------
names=()
for f in "$root"/config/scenarios/*.json; do
  b=$(basename "$f" .json)
  case "$b" in *.engine) continue ;; esac
  [ -f "$root/config/scenarios/$b.engine.json" ] || continue
  if [ -n "$only" ] && ! echo "$b" | grep -Eq -- "$only"; then continue; fi
  names+=("$b")
done
[ ${#names[@]} -gt 0 ] || { echo "score-library: no scenario matches" >&2; exit 2; }
mkdir -p "$out"
if [ "$table_only" = 1 ]; then
  took="?"
else
  echo "[score-library] ${#names[@]} scenarios x $seeds seeds (from $first), $jobs at a time; runs in $out" >&2
  start=$(date +%s)
  printf '%s\n' "${names[@]}" | xargs -P "$jobs" -I{} "$0" --one {} --seeds "$seeds" \
    --first-seed "$first" --build "$build" --out "$out" || echo "[score-library] a worker failed (see above)" >&2
  took=$(( $(date +%s) - start ))
  echo "[score-library] played in ${took} s" >&2
fi

cmd="scripts/score-library.sh --seeds $seeds${only:+ --only '$only'}"
[ "$first" = 1 ] || cmd="$cmd --first-seed $first"
python3 - "$out" "$seeds" "$first" "$took" "$cmd" "$root" "${names[@]}" <<'PY' | tee "$out/table.md"
import json, math, os, sys

out, seeds, first, took, cmd, root = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                                      sys.argv[5], sys.argv[6])
names = sys.argv[7:]

def shown(path):
    """A path as the reader of the table can use it: relative to the repository when inside."""
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel

def pct(v, p):
    """The p-th percentile (nearest rank) of v, or None."""
    if not v:
        return None
    v = sorted(v)
    return v[max(0, math.ceil(p / 100.0 * len(v)) - 1)]

def fmt(x, spec="%+.1f"):
    return "-" if x is None else spec % x

rows, total = [], {"cr": 0, "al": 0, "mi": 0, "lags": [], "leads": [], "false": 0, "nuis": 0,
                   "hours": 0.0, "an_inc": 0, "an_app": 0, "met": 0, "runs": 0, "unplayed": 0}
failed_runs = []
for name in names:
    r = {"cr": 0, "al": 0, "mi": 0, "lags": [], "leads": [], "false": 0, "nuis": 0, "hours": 0.0,
         "an_inc": 0, "an_app": 0, "met": 0, "runs": 0, "unplayed": 0}
    for s in range(first, first + seeds):
        run = os.path.join(out, name, "seed-%d" % s)
        r["runs"] += 1
        try:
            rc = int(open(os.path.join(run, "exit")).read().strip())
        except (OSError, ValueError):
            rc = -1
        try:
            card = json.load(open(os.path.join(run, "scorecard.json")))
        except (OSError, ValueError):
            why = "the engine did not start" if rc == 99 else "simulator exit %d" % rc
            failed_runs.append("%s seed %d: not played: %s (see %s)" % (name, s, why, shown(run)))
            r["unplayed"] += 1
            continue
        exp = card.get("expect") or {}
        if rc == 0 and exp.get("failed", 1) == 0:
            r["met"] += 1
        else:
            for res in exp.get("results", []):
                if not res.get("met"):
                    failed_runs.append("%s seed %d: %s" % (name, s, res.get("what")))
            if rc not in (0, 3):
                failed_runs.append("%s seed %d: simulator exit %d" % (name, s, rc))
        r["cr"] += card.get("crossings", 0)
        r["al"] += card.get("alerted", 0)
        r["mi"] += card.get("missed", 0)
        for c in card.get("crossing_list", []):
            if c.get("owes_alert", True) and c.get("alerted") and c.get("lag_s") is not None:
                r["lags"].append(c["lag_s"])
            if c.get("owes_alert", True) and c.get("approach_lead_s") is not None:
                r["leads"].append(c["approach_lead_s"])
        r["false"] += card.get("false_alerts", 0)
        r["nuis"] += card.get("false_alerts", 0) + card.get("approach_unmatched", 0)
        r["hours"] += card.get("duration_s", 0) / 3600.0
        for t in card.get("targets", []):
            if t.get("class") == "animal":
                r["an_inc"] += t.get("incursion_alerts", 0)
                r["an_app"] += t.get("approach_alerts", 0)
    rows.append((name, r))
    for k in ("cr", "al", "mi", "false", "nuis", "hours", "an_inc", "an_app", "met", "runs",
              "unplayed"):
        total[k] += r[k]
    total["lags"] += r["lags"]
    total["leads"] += r["leads"]

def line(name, r):
    nph = r["nuis"] / r["hours"] if r["hours"] > 0 else None
    met = "%d/%d" % (r["met"], r["runs"])
    if r["unplayed"]:
        met += " (%d not played)" % r["unplayed"]
    return "| %s | %d | %d | %d | %s | %s | %s | %d | %s | %d / %d | %s |" % (
        name, r["cr"], r["al"], r["mi"], fmt(pct(r["lags"], 50)), fmt(pct(r["lags"], 95)),
        fmt(pct(r["leads"], 50), "%.0f"), r["false"], fmt(nph, "%.1f"), r["an_inc"], r["an_app"],
        met)

print("`%s` (seeds %d..%d; played in %s s)\n" % (cmd, first, first + seeds - 1, took))
print("| scenario | crossings | alerted | missed | lag p50 s | lag p95 s | own APPROACH lead p50 s "
      "| false INCURSIONs | nuisance /h | animals raised INCURSION / APPROACH | expect met |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for name, r in rows:
    print(line(name, r))
print(line("**total**", total))
if failed_runs:
    print("\nNot met:\n")
    for f in failed_runs:
        print("- " + f)
sys.exit(1 if total["met"] < total["runs"] else 0)
PY
