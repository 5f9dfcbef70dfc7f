#!/usr/bin/env bash
# Installs the pinned node packages of the client checks (package-lock.json) once; run by Maven before the tests.
# A marker holding the lock file's hash makes later builds skip `npm ci` until the lock changes.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node and npm are needed for the client checks (src/test/node): install Node.js 20+" >&2
  exit 1
fi
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ -f node_modules/.segments-lock ] && [ "$(cat node_modules/.segments-lock)" = "$want" ]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > node_modules/.segments-lock
