#!/usr/bin/env bash
# The whole test suite, on a fresh machine with only Node/npm:
#   1. installs Deno and Bun (pinned, from npm) and the dev tools in package.json;
#   2. installs mosquitto, socat, openssl, g++ and Chromium from Debian if missing (needs root);
#   3. runs every tier on Deno and on Bun, the firmware host tests, the emulated HIL bench
#      and the quality gates (fmt, lint, type check, doc lint, JSR dry run);
#   4. clones HEAD into an empty temp dir and runs the Deno-only tests, the JSR dry run and
#      the README's checkout recipes there (.ci/clean_clone.sh);
#   5. ends with one "N passed, N failed" line totalling everything.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 FORCE_COLOR=0 DENO_NO_UPDATE_CHECK=1
ROOT=$(pwd)
OUT="$ROOT/out/test"
mkdir -p "$OUT"

say() { printf '\n=== %s\n' "$*"; }

# --- 1. JavaScript tools -------------------------------------------------------
say "installing Deno, Bun and dev tools from npm (versions pinned in package.json)"
npm install --no-audit --no-fund || { echo "npm install failed"; echo "0 passed, 1 failed"; exit 1; }
DENO="$ROOT/node_modules/.bin/deno"
BUN="$ROOT/node_modules/.bin/bun"
"$DENO" --version | head -1
echo "bun $("$BUN" --version)"

# --- 2. system packages --------------------------------------------------------
missing=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing from Debian: ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
if ! [ -x /usr/sbin/mosquitto ] && ! command -v mosquitto >/dev/null 2>&1; then
  echo "mosquitto is required for the integration tests and could not be installed"
  echo "0 passed, 1 failed"
  exit 1
fi
# Never use the system service: tests start their own brokers on 127.0.0.1.
/usr/sbin/mosquitto -h 2>/dev/null | head -1 || true

PASSED=0
FAILED=0
SUITES_FAILED=()

# add_counts NAME PASSED FAILED EXIT
add_counts() {
  local name=$1 p=$2 f=$3 rc=$4
  if [ -z "$p" ] && [ -z "$f" ]; then
    echo "!! $name produced no test counts (exit $rc): counted as 1 failure"
    FAILED=$((FAILED + 1))
    SUITES_FAILED+=("$name")
    return
  fi
  p=${p:-0}
  f=${f:-0}
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "!! $name exited $rc with no failed test: counted as 1 failure"
    f=1
  fi
  echo "-- $name: $p passed, $f failed"
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  [ "$f" != 0 ] && SUITES_FAILED+=("$name")
}

TEST_DIRS=(tests)
[ -d hil/host ] && TEST_DIRS+=(hil/host)
[ -f bench/bench_smoke_test.ts ] && TEST_DIRS+=(bench/bench_smoke_test.ts)

# --- 3a. Deno ---------------------------------------------------------------------
say "tests on Deno (${TEST_DIRS[*]})"
timeout 1500 "$DENO" test -A "${TEST_DIRS[@]}" 2>&1 | tee "$OUT/deno.log"
rc=${PIPESTATUS[0]}
line=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/deno.log" | grep -E '^(ok|FAILED) \| ' | tail -1)
p=$(echo "$line" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
f=$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
add_counts "deno test" "$p" "$f" "$rc"

# --- 3b. Bun ----------------------------------------------------------------------
say "tests on Bun (${TEST_DIRS[*]})"
BUN_PATHS=()
for d in "${TEST_DIRS[@]}"; do BUN_PATHS+=("./$d"); done
timeout 1500 "$BUN" test --timeout 60000 "${BUN_PATHS[@]}" 2>&1 | tee "$OUT/bun.log"
rc=${PIPESTATUS[0]}
p=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/bun.log" | grep -E '^ *[0-9]+ pass$' | tail -1 | grep -oE '[0-9]+')
f=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/bun.log" | grep -E '^ *[0-9]+ fail$' | tail -1 | grep -oE '[0-9]+')
add_counts "bun test" "$p" "$f" "$rc"

# --- 3c. firmware core on the host (g++) --------------------------------------------
if [ -f hil/firmware/Makefile ]; then
  say "HIL firmware host tests (g++)"
  timeout 600 make -s -C hil/firmware test 2>&1 | tee "$OUT/firmware.log"
  rc=${PIPESTATUS[0]}
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/firmware.log" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  add_counts "firmware tests" "$(echo "$line" | grep -oE '^[0-9]+')" "$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')" "$rc"
fi

# --- 3d. emulated HIL bench ---------------------------------------------------------
if [ -f hil/host/main.ts ]; then
  say "HIL bench, emulated rig (rig-sim + socat pty + mosquitto)"
  timeout 900 "$DENO" run -A hil/host/main.ts --emulated 2>&1 | tee "$OUT/hil.log"
  rc=${PIPESTATUS[0]}
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/hil.log" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
  add_counts "hil --emulated" "$(echo "$line" | grep -oE '^[0-9]+')" "$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')" "$rc"
fi

# --- 3e. quality gates ----------------------------------------------------------------
say "quality gates"
gate() {
  local name=$1
  shift
  if timeout 300 "$@" >"$OUT/gate.log" 2>&1; then
    echo "-- $name: ok"
    PASSED=$((PASSED + 1))
  else
    echo "-- $name: FAILED"
    tail -20 "$OUT/gate.log"
    FAILED=$((FAILED + 1))
    SUITES_FAILED+=("$name")
  fi
}
DOC_ENTRIES=(mod.ts src/umqtt.ts)
[ -f src/codec/mod.ts ] && DOC_ENTRIES+=(src/codec/mod.ts)
[ -f src/robust.ts ] && DOC_ENTRIES+=(src/robust.ts)
[ -f src/cli.ts ] && DOC_ENTRIES+=(src/cli.ts)
[ -f src/store/mod.ts ] && DOC_ENTRIES+=(src/store/mod.ts)
gate "deno fmt --check" "$DENO" fmt --check
gate "deno lint" "$DENO" lint
gate "deno check" "$DENO" check "${DOC_ENTRIES[@]}"
gate "codec purity: src/codec type-checks without the Deno namespace" "$DENO" check --config scripts/codec_purity.json src/codec/mod.ts
gate "deno doc --lint" "$DENO" doc --lint "${DOC_ENTRIES[@]}"
gate "deno test --doc" "$DENO" test --doc -A "${DOC_ENTRIES[@]}" src/codec/ src/store/
gate "deno publish --dry-run" "$DENO" publish --dry-run --allow-dirty

# --- 3f. clean clone: the Deno-only path and the README's checkout recipes ------------------
# A fresh `git clone` of HEAD into an empty temp dir (no ../shared, no node_modules): the
# README's Deno-only `deno test -A` and `deno publish --dry-run` there, then the Deno `links`
# and Bun tsconfig `paths` recipes and the CLI, run from apps beside the clone.
if [ -f .ci/clean_clone.sh ]; then
  say "clean clone: Deno alone, deno publish --dry-run, README recipes"
  timeout 1500 bash .ci/clean_clone.sh "$DENO" "$BUN" 2>&1 | tee "$OUT/clean_clone.log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$OUT/clean_clone.log" | tail -1)
  add_counts "clean clone" "$(echo "$line" | grep -oE '^[0-9]+')" "$(echo "$line" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')" "$rc"
fi

say "summary"
if [ ${#SUITES_FAILED[@]} -gt 0 ]; then echo "failing: ${SUITES_FAILED[*]}"; fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
