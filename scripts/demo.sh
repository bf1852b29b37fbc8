#!/usr/bin/env bash
# The demo: a built-in border scenario played by the simulator through a real
# MQTT broker and the real engine; alerts are shown live, then the scorecard.
# Usage: scripts/demo.sh [--time-scale X] [--scenario FILE] [--config FILE] [--keep-open]
# The operator page is served on a loopback port (the URL is printed); --keep-open
# keeps the engine and the page up after the scenario until Ctrl-C.
# (BF_BUILD_DIR=DIR builds and runs from DIR; BF_TILE_URL=URL gives the page base-map tiles.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$PATH:/usr/sbin:/sbin"
. scripts/lib.sh

scenario=config/demo/scenario.json
config=config/demo/borderfuse.json
sim_args=()
keep_open=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scenario) scenario=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --time-scale) sim_args+=(--time-scale "$2"); shift 2 ;;
    --keep-open) keep_open=1; shift ;;
    -h|--help)
      sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
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
rm -f "$out/journal.jsonl" "$out/journal.jsonl.delivered" "$out/journal.jsonl.seq" "$out/journal.jsonl".torn-* \
  "$out/audit.jsonl" "$out/scorecard.json" "$out/truth.jsonl"
rm -rf "$out/report"

port=$(bf_free_port)
engine_pid=""
web_pid=""
cleanup() {
  [ -n "$web_pid" ] && kill -TERM "$web_pid" 2>/dev/null || true
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

# The operator page (docs/web.md): static files and the MQTT WebSocket on one loopback port.
if command -v node >/dev/null 2>&1 && scripts/web.sh "$build/web"; then
  web_port=$(bf_free_port)
  python3 - "$config" "$out/web-config.json" "${BF_TILE_URL:-}" <<'PY'
import json, sys
site = json.load(open(sys.argv[1]))["site"]
json.dump({"site": site, "ws_url": None, "tile_url": sys.argv[3] or None}, open(sys.argv[2], "w"))
PY
  node web/serve.mjs --root "$build/web" --broker "127.0.0.1:$port" --port "$web_port" \
    --config "$out/web-config.json" > "$out/web.log" 2>&1 &
  web_pid=$!
  echo "== operator page: http://127.0.0.1:$web_port/ (log in with any operator name; no password"
  echo "   on the demo broker). Tip: --keep-open keeps it up after the scenario."
else
  echo "== operator page not available (node/npm missing or the build failed; see above)"
fi

echo "== playing $scenario (alerts appear as the engine raises them)"
"$build/apps/borderfuse-sim" --scenario "$scenario" --mqtt-url "tcp://127.0.0.1:$port" \
  --truth "$out/truth.jsonl" --scorecard "$out/scorecard.json" --report "$out/report" \
  "${sim_args[@]}"

echo
echo "Files: out/demo/scorecard.json  out/demo/journal.jsonl  out/demo/audit.jsonl  out/demo/truth.jsonl  out/demo/engine.log"
echo "Report (open in a browser): $out/report/report.html"
if [ "$keep_open" = 1 ] && [ -n "$web_pid" ]; then
  echo "The engine and the operator page stay up: http://127.0.0.1:$web_port/ (Ctrl-C to stop)"
  wait "$web_pid" || true
fi
