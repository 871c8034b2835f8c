/**
 * The preludes a documentation snippet can ask for with
 * `<!-- snippet: prelude=NAME -->`, and the shell environment every `sh`
 * block runs in. A prelude is written like the documentation itself
 * (`@umqtt/client` imports, broker `mqtt://127.0.0.1:1883`): the same
 * rewriting as the snippet's then points it at the checkout and the test
 * broker.
 *
 * @module
 */

/** Preludes for TypeScript/JavaScript fragments, by name. */
export const TS_PRELUDES: Record<string, string> = {
  /**
   * `client`, connected as in the README's quick start; disconnected when
   * the snippet's module ends.
   */
  "connected-client": [
    `import { MQTTClient } from "@umqtt/client";`,
    `await using client = new MQTTClient("my-app", "mqtt://127.0.0.1:1883");`,
    `await client.connect();`,
    ``,
  ].join("\n"),
};

/** Preludes for `sh` blocks, by name (bash, run in the snippet's own temporary directory). */
export const SH_PRELUDES: Record<string, string> = {
  /**
   * The files and commands the CLI examples name: `readings.txt` (two
   * lines), `build/app.bin` (binary), and `sensors-to-lines`, a stand-in
   * for a program printing one reading per line.
   */
  "cli-files": [
    `printf '21.5\\n21.7\\n' > readings.txt`,
    `mkdir -p build && printf '\\x00\\xff\\x80\\x0a' > build/app.bin`,
    `sensors-to-lines() { printf '21.5\\n21.6\\n'; }`,
    ``,
  ].join("\n"),
};

/**
 * Every `sh` block runs after this: stop at the first failing command, and
 * `umqtt` is the checkout's `src/cli.ts` on the runtime running the tests,
 * pointed at the test broker (`-p` after `pub`/`sub`; it wins over a URL's
 * port). With `interrupt-after=MS`, each `umqtt` command is sent SIGINT
 * after MS ms (SIGKILL 5 s later), the way a user ends `umqtt sub` with
 * Ctrl-C; the tool must then exit 0, as docs/cli.md says. (`--foreground`:
 * one SIGINT to the tool, as a terminal sends; without it coreutils
 * `timeout` also signals its whole process group, a second SIGINT that
 * can land after the tool has finished its clean shutdown and removed its
 * handler.) A failing command is named on stderr.
 */
export const SH_BASE: string = [
  `set -euo pipefail`,
  `trap 'echo "snippet: \\"$BASH_COMMAND\\" exited $?" >&2' ERR`,
  `umqtt() {`,
  `  local cmd=() status=0 t0=$SECONDS`,
  `  if [ -n "\${UMQTT_INTERRUPT_S:-}" ]; then`,
  `    cmd=(timeout --foreground --preserve-status -k 5 -s INT "$UMQTT_INTERRUPT_S")`,
  `  fi`,
  `  # shellcheck disable=SC2086 # UMQTT_EXEC_ARGS is a list of words`,
  `  cmd+=("$UMQTT_EXEC" $UMQTT_EXEC_ARGS "$UMQTT_CLI")`,
  `  case "\${1:-}" in`,
  `    pub | sub) cmd+=("$1" -p "$UMQTT_PORT"); shift ;;`,
  `  esac`,
  `  "\${cmd[@]}" "$@" || status=$?`,
  `  if [ "$status" != 0 ]; then echo "snippet: umqtt $* exited $status after $((SECONDS - t0)) s" >&2; fi`,
  `  return "$status"`,
  `}`,
  ``,
].join("\n");
