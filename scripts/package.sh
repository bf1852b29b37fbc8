#!/usr/bin/env bash
# Build the Debian package of borderfuse: a Release build in its own build
# directory (default build-package), the operator page (when node and npm are
# there), then cpack -G DEB.  Prints the path of the .deb on the last line.
# Usage: scripts/package.sh [--build-dir DIR] [--no-web]
# Install it with: apt-get install ./borderfuse_<version>_<arch>.deb  (docs/deploy.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build-package
web=1
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --no-web) web=0; shift ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "scripts/package.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done
case "$build" in /*) ;; *) build=$PWD/$build ;; esac

"$root/scripts/bootstrap.sh" >&2
for tool in dpkg-deb dpkg-shlibdeps cpack gzip; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "scripts/package.sh: $tool is missing (dpkg-dev, cmake: scripts/bootstrap.sh installs them)" >&2
    exit 1
  fi
done

echo "== configuring and building Release in $build" >&2
# Debian's build flags (hardening: fortify, stack protector, relro, now) at Debian's -O2
cflags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
ldflags=$(dpkg-buildflags --get LDFLAGS)
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DCMAKE_C_FLAGS="$cflags" -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG" \
  -DCMAKE_EXE_LINKER_FLAGS="$ldflags" -DCMAKE_MODULE_LINKER_FLAGS="$ldflags" \
  -DCMAKE_SHARED_LINKER_FLAGS="$ldflags" -DBF_WERROR=ON -DBF_TESTS=OFF >&2
cmake --build "$build" -j"$(nproc 2>/dev/null || echo 2)" >&2
if [ "$web" = 1 ]; then
  if command -v node >/dev/null 2>&1 && "$root/scripts/web.sh" "$build/web" >&2; then
    echo "== operator page built into $build/web" >&2
  else
    echo "scripts/package.sh: the operator page could not be built (node/npm); the package" \
         "will not contain it" >&2
    rm -rf "$build/web"
  fi
else
  rm -rf "$build/web"
fi

echo "== cpack -G DEB" >&2
rm -f "$build"/borderfuse_*.deb
(cd "$build" && cpack -G DEB >&2)
deb=$(ls "$build"/borderfuse_*.deb)
echo "$deb"
