#!/usr/bin/env bash
# The simulator's speed: simulated seconds per wall second, with the real engine
# keeping up (every detection sent received and processed, none late or shed).
# Usage: scripts/sim-perf.sh [--walkers N] [--walkers-scales "0 50"] [--asterix-scales "1000 200"]
#        (binaries from BF_BUILD_DIR, default build/;
#        run scripts/build.sh first).  Cases, each against a fresh broker and engine:
#   demo-json     the demo scenario with its radars on JSON over MQTT, --time-scale 0
#   demo-asterix  the demo scenario as it is (ASTERIX over UDP), at each --asterix-scales
#                 (UDP datagrams are not paced at 0, so the engine would see them reordered)
#   walkers       N walkers (default 1000) crossing the demo border, at each --walkers-scales
#                 (0: the simulator's own speed; the engine sheds what it cannot take)
# Writes its scenarios, configs, logs and scorecards to out/sim-perf/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$PATH:/usr/sbin:/sbin"
. scripts/lib.sh

walkers=1000
wscales="0 50"
ascales="1000 200"
while [ $# -gt 0 ]; do
  case "$1" in
    --walkers) walkers=$2; shift 2 ;;
    --walkers-scales) wscales=$2; shift 2 ;;
    --asterix-scales) ascales=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/sim-perf.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
build=${BF_BUILD_DIR:-$root/build}
for b in apps/borderfuse apps/borderfuse-sim; do
  [ -x "$build/$b" ] || { echo "no $build/$b: run scripts/build.sh first" >&2; exit 1; }
done
out=$root/out/sim-perf
mkdir -p "$out"

# The scenarios and engine configurations (zones stay in config/demo).
python3 - "$out" "$walkers" <<'PY'
import json, random, sys
out, walkers = sys.argv[1], int(sys.argv[2])
zones = "../../config/demo/zones.geojson"
scen = json.load(open("config/demo/scenario.json"))
eng = json.load(open("config/demo/borderfuse.json"))
scen["zones"] = eng["zones"] = zones
eng["alerts"]["journal"] = "journal.jsonl"
eng["alerts"]["journal_fsync"] = "never"
eng["log_level"] = "info"
ax = json.loads(json.dumps(eng))
json.dump(ax, open(f"{out}/engine-asterix.json", "w"), indent=1)
js = scen.copy()
js["radars"] = [{k: v for k, v in r.items() if k != "asterix"} for r in scen["radars"]]
js.pop("expect", None)
json.dump(js, open(f"{out}/demo-json.json", "w"), indent=1)
ax_scen = dict(scen)
ax_scen.pop("expect", None)
json.dump(ax_scen, open(f"{out}/demo-asterix.json", "w"), indent=1)
for s in eng["sensors"]:
    s["type"] = "json"
    s.pop("options", None)
json.dump(eng, open(f"{out}/engine-json.json", "w"), indent=1)
# N walkers from their side (south) across the border to ours, spread along
# 12 km, starting over the first 1200 s (seeded: the same file every time)
rnd = random.Random(20260301)
wk = dict(js)
wk["description"] = f"{walkers} walkers crossing the demo border (scripts/sim-perf.sh)"
wk["targets"] = []
for i in range(walkers):
    lon = 8.13 + rnd.random() * 0.14
    wk["targets"].append({
        "id": f"w{i:04d}", "class": "person", "start_s": round(rnd.random() * 1200, 1),
        "waypoints": [[46.786 + rnd.random() * 0.004, round(lon, 6)],
                      [46.808 + rnd.random() * 0.004, round(lon + (rnd.random() - 0.5) * 0.004, 6)]],
        "speed_mps": round(1.0 + rnd.random() * 0.8, 2)})
json.dump(wk, open(f"{out}/walkers.json", "w"), indent=1)
PY

engine_pid=""
cleanup() {
  [ -n "$engine_pid" ] && kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null || true
  [ -n "${BF_MOSQUITTO_PID:-}" ] && kill -TERM "$BF_MOSQUITTO_PID" 2>/dev/null || true
  engine_pid=""; BF_MOSQUITTO_PID=""
}
trap cleanup EXIT

# run NAME SCENARIO ENGINE_CONFIG TIME_SCALE
run() {
  local name=$1 scen=$2 cfg=$3 ts=$4 port
  port=$(bf_free_port)
  bf_start_mosquitto "$out/$name" "$port"
  (cd "$out" && exec "$build/apps/borderfuse" --config "$cfg" \
     --mqtt-url "tcp://127.0.0.1:$port" > "$out/$name/engine.log" 2>&1) &
  engine_pid=$!
  sleep 1
  "$build/apps/borderfuse-sim" --scenario "$out/$scen" --mqtt-url "tcp://127.0.0.1:$port" \
    --time-scale "$ts" --quiet --settle-s 5 --scorecard "$out/$name/scorecard.json" \
    > "$out/$name/sim.log" 2>&1 || true
  timeout 5 mosquitto_sub -h 127.0.0.1 -p "$port" -t borderfuse/demo/status -C 1 \
    > "$out/$name/status.json" 2>/dev/null || true
  python3 - "$name" "$out/$name" "$ts" <<'PY'
import json, sys
name, d, ts = sys.argv[1], sys.argv[2], sys.argv[3]
sc = json.load(open(f"{d}/scorecard.json"))
try:
    det = json.load(open(f"{d}/status.json"))["detections"]
except Exception:
    det = {}
sim, wall = sc["duration_s"], sc["wall_s"]
print(f"{name:13s} x{ts:>5s}  {sim:6.0f} s simulated in {wall:6.2f} s wall = x{sim / wall:7.0f}  "
      f"detections sent {sc['detections_sent']}  engine received {det.get('received', '?')} "
      f"processed {det.get('processed', '?')} late {det.get('late', '?')} "
      f"shed {det.get('shed', '?')}  crossings {sc['crossings']} alerted {sc['alerted']}")
PY
  cleanup
}

run demo-json demo-json.json engine-json.json 0
for ts in $ascales; do run demo-asterix demo-asterix.json engine-asterix.json "$ts"; done
for ts in $wscales; do run walkers walkers.json engine-json.json "$ts"; done
