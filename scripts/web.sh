#!/usr/bin/env bash
# Build the operator page: install its npm packages (web/package-lock.json) when
# missing or out of date, and assemble the page with its vendored libraries in
# OUTDIR (default build/web). Nothing is fetched when the page runs.
# Usage: scripts/web.sh [OUTDIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build/web}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "scripts/web.sh: node and npm are needed (scripts/bootstrap.sh installs them)" >&2
  exit 1
fi
cd "$root/web"
# npm ci only when node_modules is missing or older than the lock file.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "== npm ci (web/)"
  npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs "$out"
