#!/usr/bin/env bash
# Install the Debian packages borderfuse needs, and nothing when all are there.
# It only installs: it never stops, disables or reconfigures a service of the host.
# Usage: scripts/bootstrap.sh [--with-browser]
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good gstreamer1.0-tools
  libgps-dev gpsd gpsd-clients
  libpaho-mqtt-dev mosquitto mosquitto-clients
  libgeos-dev libcjson-dev libcunit1-dev libproj-dev libglib2.0-dev libssl-dev
  libgdal-dev gdal-bin
  clang libclang-rt-14-dev python3 openssl
  chromium
  libsystemd-dev libmicrohttpd-dev
  dpkg-dev lintian prometheus
)
# (prometheus: its promtool and server are used by the metrics test on private ports; on a
#  host with systemd, installing the package also starts Debian's prometheus service, which
#  scrapes only itself by default - nothing of the host's is stopped or reconfigured.)
# The operator page (web/) is built with node and npm; a node from elsewhere
# (nodesource, nvm) will do, so Debian's are added only when none is there.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "bootstrap: all ${#packages[@]} packages present"
  exit 0
fi

echo "bootstrap: installing ${#missing[@]} missing packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
  else
    echo "bootstrap: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The host's own services (a site broker, gpsd) are never stopped, disabled or
# reconfigured here: tests and the demo start private ones on free loopback ports
# beside whatever already runs.
echo "bootstrap: done"
