#!/usr/bin/env bash
# The demo: a built-in border scenario played by the simulator through a real
# MQTT broker and the real engine; alerts are shown live, then the scorecard.
# Usage: scripts/demo.sh [--time-scale X] [--scenario FILE] [--config FILE]
# (BF_BUILD_DIR=DIR builds and runs from DIR instead of build/.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$PATH:/usr/sbin:/sbin"
. scripts/lib.sh

scenario=config/demo/scenario.json
config=config/demo/borderfuse.json
sim_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --time-scale) sim_args+=(--time-scale "$2"); shift 2 ;;
    -h|--help)
      sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "scripts/demo.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

scripts/bootstrap.sh
echo "== building"
build=${BF_BUILD_DIR:-$root/build}
scripts/build.sh "$build"

out=$root/out/demo
mkdir -p "$out"
rm -f "$out/journal.jsonl" "$out/scorecard.json" "$out/truth.jsonl"
rm -rf "$out/report"

port=$(bf_free_port)
engine_pid=""
cleanup() {
  [ -n "$engine_pid" ] && kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null || true
  [ -n "${BF_MOSQUITTO_PID:-}" ] && kill -TERM "$BF_MOSQUITTO_PID" 2>/dev/null || true
}
trap cleanup EXIT

echo "== starting mosquitto on 127.0.0.1:$port"
bf_start_mosquitto "$out" "$port"

echo "== starting the engine (log: out/demo/engine.log)"
"$build/apps/borderfuse" --config "$config" --mqtt-url "tcp://127.0.0.1:$port" \
  --journal "$out/journal.jsonl" > "$out/engine.log" 2>&1 &
engine_pid=$!
sleep 1
if ! kill -0 "$engine_pid" 2>/dev/null; then
  echo "the engine did not start:" >&2
  cat "$out/engine.log" >&2
  exit 1
fi

echo "== playing $scenario (alerts appear as the engine raises them)"
"$build/apps/borderfuse-sim" --scenario "$scenario" --mqtt-url "tcp://127.0.0.1:$port" \
  --truth "$out/truth.jsonl" --scorecard "$out/scorecard.json" --report "$out/report" \
  "${sim_args[@]}"

echo
echo "Files: out/demo/scorecard.json  out/demo/journal.jsonl  out/demo/truth.jsonl  out/demo/engine.log"
echo "Report (open in a browser): $out/report/report.html"
