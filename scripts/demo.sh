#!/usr/bin/env bash
# The demo, on a fresh machine with only Node/npm: installs Deno (pinned, from npm) and the
# dev-only embedded broker, then runs scripts/demo.ts. Pass a broker URL to use a real broker:
#   npm run demo                          # embedded broker (aedes) on 127.0.0.1
#   npm run demo -- mqtt://127.0.0.1:1883 # your broker
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/deno ] || [ ! -d node_modules/aedes ]; then
  npm install --no-audit --no-fund >/dev/null
fi
exec node_modules/.bin/deno run -A scripts/demo.ts "$@"
