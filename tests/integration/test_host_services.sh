#!/usr/bin/env bash
# The host's own services survive the demo: a mosquitto standing for the site's
# broker (started here on a free loopback port, as the host's would be) is still
# the same process, still accepting connections and still delivering after
# scripts/demo.sh has run (bootstrap included); and if this machine runs a
# system mosquitto under systemd, it is still active afterwards.
# Usage: test_host_services.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
export PATH="$PATH:/usr/sbin:/sbin"
. "$root/scripts/lib.sh"
tmp=$(mktemp -d)
host_pid=""
cleanup() {
  [ -n "$host_pid" ] && kill -TERM "$host_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

port=$(bf_free_port)
bf_start_mosquitto "$tmp/host" "$port"
host_pid=$BF_MOSQUITTO_PID
system_was_active=0
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet mosquitto 2>/dev/null; then
  system_was_active=1
fi
echo "host broker: pid $host_pid on 127.0.0.1:$port; system mosquitto active: $system_was_active"

# A retained message on the host broker, to be read back after the demo.
mosquitto_pub -h 127.0.0.1 -p "$port" -t site/check -m before -r -q 1

start=$(date +%s)
BF_BUILD_DIR=$build "$root/scripts/demo.sh" --time-scale 300 > "$tmp/demo.log" 2>&1 ||
  { tail -30 "$tmp/demo.log"; fail "scripts/demo.sh failed"; }
echo "demo ran in $(( $(date +%s) - start )) s"
grep -q "starting mosquitto on 127.0.0.1:" "$tmp/demo.log" || fail "the demo did not start its own broker"
demo_port=$(sed -n 's/.*starting mosquitto on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/demo.log" | head -1)
[ "$demo_port" != "$port" ] || fail "the demo used the host broker's port $port"

kill -0 "$host_pid" 2>/dev/null || fail "the host broker (pid $host_pid) was stopped by the demo"
got=$(timeout 5 mosquitto_sub -h 127.0.0.1 -p "$port" -t site/check -C 1 -W 4 || true)
[ "$got" = "before" ] || fail "the host broker no longer serves its retained message (got '$got')"
if [ "$system_was_active" = 1 ]; then
  systemctl is-active --quiet mosquitto || fail "the system mosquitto service was stopped"
fi
grep -nE 'systemctl (stop|disable|mask|restart)|service [a-z]+ stop|pkill|killall' \
  "$root/scripts/bootstrap.sh" "$root/scripts/demo.sh" && fail "a script stops services"
echo "host broker pid $host_pid alive, retained message intact"
echo "1 passed, 0 failed"
