#!/usr/bin/env bash
# The Debian package end to end, on this machine: scripts/package.sh builds
# it; lintian finds no error in it; dpkg installs it (with its user); systemd
# accepts the installed unit; the INSTALLED engine, with the demo configuration
# from the installed examples and its metrics endpoint on, runs against a
# private mosquitto and the INSTALLED simulator plays the demo scenario, whose
# expected outcome must be met; then dpkg purges it and nothing of it is left.
#
# It installs into the real system: it runs only as root (CI is a throwaway
# machine) and skips (exit 77) otherwise, without dpkg, or when a borderfuse
# package is already installed here (it would be replaced and removed).
# Usage: test_package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
. "$root/scripts/lib.sh"

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || skip "not root: this test installs the package into the system"
command -v dpkg >/dev/null 2>&1 || skip "no dpkg: not a Debian system"
if dpkg-query -W -f='${Status}' borderfuse 2>/dev/null | grep -q "install ok installed"; then
  skip "a borderfuse package is already installed on this machine; not replacing it"
fi

tmp=$(mktemp -d)
engine_pid=""
web_pid=""
installed=0
cleanup() {
  [ -n "$web_pid" ] && kill -TERM "$web_pid" 2>/dev/null || true
  [ -n "$engine_pid" ] && kill -TERM "$engine_pid" 2>/dev/null && wait "$engine_pid" 2>/dev/null || true
  [ -n "${BF_MOSQUITTO_PID:-}" ] && kill -TERM "$BF_MOSQUITTO_PID" 2>/dev/null || true
  if [ "$installed" = 1 ]; then dpkg -P borderfuse >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# ---- build ------------------------------------------------------------------------------
start=$(date +%s)
"$root/scripts/package.sh" --build-dir "$build/package" > "$tmp/package.log" 2>&1 ||
  { tail -40 "$tmp/package.log"; fail "scripts/package.sh failed"; }
deb=$(tail -1 "$tmp/package.log")
[ -f "$deb" ] || fail "scripts/package.sh printed no package path (got: $deb)"
echo "package: $deb ($(stat -c %s "$deb") bytes, built in $(( $(date +%s) - start )) s)"
dpkg-deb -I "$deb" | grep -E "^ (Depends|Recommends):"
case "$(dpkg-deb -f "$deb" Recommends)" in *mosquitto*) ;; *) fail "mosquitto is not recommended" ;; esac
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
[ "$conffiles" = /etc/borderfuse/example.json ] ||
  fail "the conffiles are not /etc/borderfuse/example.json: $conffiles"

# ---- lintian: no errors (warnings printed) ---------------------------------------------------
if command -v lintian >/dev/null 2>&1; then
  lintian --tag-display-limit 0 "$deb" > "$tmp/lintian.log" 2>&1 || true
  echo "lintian: $(grep -c '^E:' "$tmp/lintian.log" || true) errors, $(grep -c '^W:' "$tmp/lintian.log" || true) warnings"
  grep -E '^(E|W):' "$tmp/lintian.log" || true
  if grep -q '^E:' "$tmp/lintian.log"; then fail "lintian found errors"; fi
else
  echo "lintian: not installed (scripts/bootstrap.sh installs it); not checked"
fi

# ---- install ---------------------------------------------------------------------------
installed=1
if ! dpkg -i "$deb" > "$tmp/dpkg.log" 2>&1; then
  # dependencies missing: from Debian's archive only
  DEBIAN_FRONTEND=noninteractive apt-get install -f -y -qq >> "$tmp/dpkg.log" 2>&1 ||
    { cat "$tmp/dpkg.log"; fail "dpkg -i failed and apt-get install -f could not fix it"; }
fi
dpkg-query -W -f='${Status}\n' borderfuse | grep -q "install ok installed" || fail "not installed"
for f in /usr/bin/borderfuse /usr/bin/borderfuse-sim /lib/systemd/system/borderfuse@.service \
         /etc/borderfuse/example.json /usr/share/borderfuse/examples/demo/borderfuse.json \
         /usr/share/man/man1/borderfuse.1.gz /usr/share/doc/borderfuse/deploy.md \
         /usr/lib/borderfuse/plugins/bf_sensor_skeleton.so; do
  [ -e "$f" ] || fail "$f is not installed"
done
getent passwd borderfuse > /dev/null || fail "the postinst did not create the borderfuse user"
echo "installed: $(dpkg -L borderfuse | wc -l) paths; user $(getent passwd borderfuse | cut -d: -f1,3,6)"
/usr/bin/borderfuse --version

# ---- the unit ----------------------------------------------------------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  # an instance of the template, as systemctl would load it
  mkdir -p "$tmp/units"
  cp /lib/systemd/system/borderfuse@.service "$tmp/units/borderfuse@.service"
  cp /lib/systemd/system/borderfuse@.service "$tmp/units/borderfuse@example.service"
  vrc=0
  (cd "$tmp/units" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify \
      --man=no "$tmp/units/borderfuse@.service" "$tmp/units/borderfuse@example.service" \
      > "$tmp/verify.log" 2>&1) || vrc=$?
  cat "$tmp/verify.log"
  # a unit systemd refuses, or an option it does not know, fails the test
  if [ "$vrc" -ne 0 ] || grep -Ei "borderfuse@.*(unknown|invalid|failed|bad|refusing|not executable|is not)" \
       "$tmp/verify.log"; then
    fail "systemd-analyze verify found problems in the unit"
  fi
  grep -q "^Type=notify" /lib/systemd/system/borderfuse@.service || fail "the unit is not Type=notify"
  echo "systemd-analyze verify: the unit is accepted"
else
  echo "systemd-analyze: not installed; the unit is not verified"
fi

# ---- the installed programs play the demo -----------------------------------------------------
ex=/usr/share/borderfuse/examples/demo
port=$(bf_free_port)
mport=$(bf_free_port)
bf_start_mosquitto "$tmp/mq" "$port"
python3 - "$ex/borderfuse.json" "$tmp/site.json" "$mport" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
c["zones"] = os.path.join(os.path.dirname(sys.argv[1]), c["zones"])
c["metrics"] = {"listen": "127.0.0.1:" + sys.argv[3]}
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
/usr/bin/borderfuse --check-config "$tmp/site.json"
mkdir -p "$tmp/state"
/usr/bin/borderfuse --config "$tmp/site.json" --mqtt-url "tcp://127.0.0.1:$port" \
  --journal "$tmp/state/journal.jsonl" --audit "$tmp/state/audit.jsonl" > "$tmp/engine.log" 2>&1 &
engine_pid=$!
ready=0
for _ in $(seq 1 100); do
  if python3 - "$mport" <<'PY' 2>/dev/null
import sys, urllib.request
sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:%s/readyz" % sys.argv[1], timeout=1).status == 200 else 1)
PY
  then ready=1; break; fi
  kill -0 "$engine_pid" 2>/dev/null || break
  sleep 0.1
done
[ "$ready" = 1 ] || { cat "$tmp/engine.log"; fail "the installed engine did not become ready (/readyz)"; }
echo "installed engine ready (/readyz 200 on 127.0.0.1:$mport)"

start=$(date +%s)
rc=0
timeout -k 5 170 /usr/bin/borderfuse-sim --scenario "$ex/scenario.json" \
  --mqtt-url "tcp://127.0.0.1:$port" --time-scale 100 --quiet \
  --scorecard "$tmp/scorecard.json" > "$tmp/sim.log" 2>&1 || rc=$?
sed -n '/=== scorecard/,$p' "$tmp/sim.log"
echo "simulator exit $rc after $(( $(date +%s) - start )) s"
[ "$rc" -eq 0 ] || { tail -40 "$tmp/engine.log"; fail "the demo's expected outcome was not met (exit $rc)"; }
curl_metrics=$(python3 - "$mport" <<'PY'
import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=2).read().decode())
PY
)
printf '%s\n' "$curl_metrics" | grep -E '^borderfuse_(alert_changes_total\{type="INCURSION",state="NEW"\}|detections_received_total|tracks_live )' || true
inc=$(printf '%s\n' "$curl_metrics" | sed -n 's/^borderfuse_alert_changes_total{type="INCURSION",state="NEW"} //p')
[ "${inc:-0}" -ge 3 ] || fail "the metrics count $inc new INCURSION alerts, the demo has 3 crossings"
# the installed operator page and its server, when the package has them and node is here
if [ -f /usr/share/borderfuse/web/index.html ] && command -v node >/dev/null 2>&1; then
  wport=$(bf_free_port)
  node /usr/share/borderfuse/serve.mjs --root /usr/share/borderfuse/web \
    --broker "127.0.0.1:$port" --port "$wport" > "$tmp/web.log" 2>&1 &
  web_pid=$!
  page=""
  for _ in $(seq 1 50); do
    page=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=1).read().decode())' "$wport" 2>/dev/null) && break
    sleep 0.1
  done
  kill -TERM "$web_pid" 2>/dev/null || true
  wait "$web_pid" 2>/dev/null || true
  case "$page" in *"<html"*) echo "installed operator page served by the installed serve.mjs" ;;
    *) cat "$tmp/web.log"; fail "the installed serve.mjs did not serve the page" ;; esac
else
  echo "operator page: not in the package or no node here; not checked"
fi
kill -TERM "$engine_pid"
wait "$engine_pid" || fail "the installed engine did not stop cleanly"
engine_pid=""
[ -s "$tmp/state/journal.jsonl" ] || fail "the installed engine wrote no journal"

# ---- remove and purge ----------------------------------------------------------------------
dpkg -r borderfuse > "$tmp/dpkg-r.log" 2>&1 || { cat "$tmp/dpkg-r.log"; fail "dpkg -r failed"; }
[ -e /etc/borderfuse/example.json ] || fail "dpkg -r removed the conffile (only a purge should)"
dpkg -P borderfuse > "$tmp/dpkg-p.log" 2>&1 || { cat "$tmp/dpkg-p.log"; fail "dpkg -P failed"; }
installed=0
left=$(ls -d /usr/bin/borderfuse* /usr/share/borderfuse /usr/share/doc/borderfuse \
         /usr/lib/borderfuse /lib/systemd/system/borderfuse@.service /etc/borderfuse \
         /usr/share/man/man1/borderfuse* 2>/dev/null || true)
[ -z "$left" ] || fail "left behind after dpkg -P: $left"
echo "removed and purged: nothing left under /usr/bin, /usr/share/borderfuse, /etc/borderfuse"
echo "PASS"
