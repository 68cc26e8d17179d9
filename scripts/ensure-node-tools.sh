#!/usr/bin/env bash
# The browser tests' checkers (axe-core, vnu-jar: package.json) from the npm registry, as
# package-lock.json pins them. Reinstalled only when the lock file changed since.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: run 'bash scripts/services.sh' (browser tests need it)" >&2
  exit 0
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
