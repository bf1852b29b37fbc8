#!/usr/bin/env bash
# Install the schema validator's npm packages (tests/schemas/package-lock.json:
# ajv, ajv-formats) when missing or out of date; nothing is fetched when they
# are there.  Then, with arguments, run the validator (docs/schemas/README.md):
#   scripts/schemas.sh                          install only
#   scripts/schemas.sh MESSAGES.jsonl [--allow-invalid FILTER]...
#   scripts/schemas.sh --file SCHEMA FILE...    e.g. --file config my-site.json
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "scripts/schemas.sh: node and npm are needed (scripts/bootstrap.sh installs them)" >&2
  exit 1
fi
(
  cd "$root/tests/schemas"
  # npm ci only when node_modules is missing or older than the lock file.
  stamp=node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    echo "== npm ci (tests/schemas/)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
)
if [ $# -gt 0 ]; then
  exec node "$root/tests/schemas/validate.mjs" "$root/docs/schemas" "$@"
fi
