#!/usr/bin/env bash
# The fresh-clone checks, run by scripts/test.sh (stage "clean clone") and usable alone:
#   bash .ci/clean_clone.sh DENO_BINARY BUN_BINARY
# Clones HEAD of this repository into an empty temp dir (no ../shared beside it, no
# node_modules, no npm install) and, counting each as one test:
#   1. runs the README's Deno-only test command there, `deno test -A`, with only `deno` on PATH;
#   2. runs `deno publish --dry-run` there (no --allow-dirty: the tests must leave the clone clean);
#   3. builds an app beside the clone from the README's Deno recipe (`links` + imports) and runs it;
#   4. builds an app beside the clone from the README's Bun recipe (tsconfig `paths`) and runs it;
#   5. runs the command-line tool straight from the clone, as the README says.
# The apps round-trip a message through a mosquitto started here on 127.0.0.1 (explicit config,
# free port), stopped by PID. Ends with one "N passed, N failed" line.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DENO_BIN=$(readlink -f "${1:?usage: clean_clone.sh DENO_BINARY BUN_BINARY}")
BUN_BIN=$(readlink -f "${2:?usage: clean_clone.sh DENO_BINARY BUN_BINARY}")
export NO_COLOR=1 DENO_NO_UPDATE_CHECK=1
PASSED=0
FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/umqtt-clean-clone-XXXXXX")
BROKER_PID=""
cleanup() {
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# check NAME COMMAND...: run it, count it, show the tail of its output when it fails.
check() {
  local name=$1
  shift
  if "$@" >"$TMP/step.log" 2>&1; then
    echo "-- $name: ok"
    PASSED=$((PASSED + 1))
  else
    echo "-- $name: FAILED"
    tail -40 "$TMP/step.log"
    FAILED=$((FAILED + 1))
  fi
}

CLONE="$TMP/umqtt-client"
if ! git clone -q "$ROOT" "$CLONE"; then
  echo "git clone of $ROOT failed"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "cloned $(git -C "$CLONE" rev-parse --short HEAD) into $CLONE"
[ -e "$TMP/shared" ] || [ -e "$CLONE/node_modules" ] && { echo "the clone is not clean"; exit 1; }

# Only deno (and the system tools) on PATH: no node_modules/.bin, nothing from the main checkout.
mkdir -p "$TMP/bin"
ln -s "$DENO_BIN" "$TMP/bin/deno"
DENO_PATH="$TMP/bin:$(echo "$PATH" | tr ':' '\n' | grep -v node_modules | paste -sd:)"

deno_only_tests() {
  cd "$CLONE" && PATH="$DENO_PATH" timeout 1200 deno test -A
}
check "clean clone: deno test -A (README's Deno-only command)" deno_only_tests
tail -3 "$TMP/step.log" | grep -E '(ok|FAILED) \|' || true

publish_dry_run() {
  cd "$CLONE" && git status --porcelain | grep . && { echo "the tests left the clone dirty"; return 1; }
  PATH="$DENO_PATH" timeout 300 deno publish --dry-run
}
check "clean clone: deno publish --dry-run" publish_dry_run

# A broker for the recipe apps.
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
printf 'persistence false\nlog_dest stderr\nlistener %s 127.0.0.1\nallow_anonymous true\n' "$PORT" >"$TMP/mosquitto.conf"
MOSQ=$(command -v mosquitto || echo /usr/sbin/mosquitto)
"$MOSQ" -c "$TMP/mosquitto.conf" 2>"$TMP/mosquitto.log" &
BROKER_PID=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.1
done

SECTION="## Use it from a checkout today"
deno_recipe() {
  mkdir -p "$TMP/deno-app" && cd "$TMP/deno-app" &&
    node "$ROOT/.ci/readme_block.mjs" "$CLONE/README.md" "$SECTION" json 1 >deno.json &&
    cp "$ROOT/.ci/recipe_app.ts" app.ts && cat deno.json &&
    PATH="$DENO_PATH" timeout 120 deno run --allow-net app.ts "mqtt://127.0.0.1:$PORT"
}
check "README recipe: Deno project with links to the checkout" deno_recipe

bun_recipe() {
  mkdir -p "$TMP/bun-app" && cd "$TMP/bun-app" &&
    node "$ROOT/.ci/readme_block.mjs" "$CLONE/README.md" "$SECTION" json 2 >tsconfig.json &&
    cp "$ROOT/.ci/recipe_app.ts" app.ts && cat tsconfig.json &&
    timeout 120 "$BUN_BIN" app.ts "mqtt://127.0.0.1:$PORT"
}
check "README recipe: Bun project with tsconfig paths to the checkout" bun_recipe

cli_from_checkout() {
  cd "$TMP/deno-app" &&
    PATH="$DENO_PATH" timeout 60 deno run -A ../umqtt-client/src/cli.ts pub -p "$PORT" -t recipe/cli -m deno -q 1 &&
    timeout 60 "$BUN_BIN" ../umqtt-client/src/cli.ts pub -p "$PORT" -t recipe/cli -m bun -q 1
}
check "README recipe: the CLI run from the checkout on Deno and Bun" cli_from_checkout

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
