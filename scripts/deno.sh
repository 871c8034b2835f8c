#!/usr/bin/env bash
# Runs the Deno binary this checkout pins (node_modules/deno, installed by `npm ci`), or the one
# on PATH. deno.json tasks call it because inside `deno task` the name `deno` resolves to
# node_modules/.bin/deno, which the task runner would try to execute as a JavaScript file.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -x "$here/node_modules/deno/deno" ]; then exec "$here/node_modules/deno/deno" "$@"; fi
exec deno "$@"
