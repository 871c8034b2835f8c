/**
 * `umqtt`: publish and subscribe from the command line, with the options
 * of mosquitto_pub and mosquitto_sub.
 *
 * ```sh
 * deno run -A jsr:@umqtt/client/cli sub -h 127.0.0.1 -t 'sensors/#' -v
 * deno run -A jsr:@umqtt/client/cli pub -h 127.0.0.1 -t sensors/1 -m 21.5 -q 1
 * bun src/cli.ts sub -L mqtt://user:secret@127.0.0.1/sensors/# -C 1 --format json
 * ```
 *
 * Exit status: 0 success, 1 connection or protocol error, 2 bad arguments,
 * 27 `sub -W` timeout reached. `umqtt <command> --help` lists every option.
 *
 * @example Run the tool from a program
 * ```ts ignore
 * import { main } from "jsr:@umqtt/client/cli";
 * const status = await main(["pub", "-t", "greetings", "-m", "hello"]);
 * console.log(status); // 0 once the message was sent
 * ```
 *
 * @module
 */
import { UsageError } from "./cli/_args.ts";
import { pub } from "./cli/_pub.ts";
import { currentRuntime, type Runtime } from "./cli/_runtime.ts";
import { sub } from "./cli/_sub.ts";
import meta from "../deno.json" with { type: "json" };

/**
 * The package version the tool reports with `--version`.
 *
 * @example Print the version
 * ```ts
 * import { VERSION } from "./cli.ts";
 * console.log(`umqtt ${VERSION}`);
 * ```
 */
export const VERSION: string = meta.version;

const HELP = `Usage: umqtt <command> [options]

MQTT 3.1.1 from the command line, with mosquitto_pub/mosquitto_sub options.

Commands:
  pub    publish a message (umqtt pub --help)
  sub    subscribe and print messages (umqtt sub --help)

  --help       show this help
  --version    show the version

Exit status: 0 success, 1 connection or protocol error, 2 bad arguments,
27 sub -W timeout reached.
`;

/**
 * Run the command line tool with the given arguments, writing to stdout
 * and stderr; resolves to the exit status (it does not exit).
 *
 * @param args Arguments, e.g. `["sub", "-t", "a/#", "-C", "1"]`.
 * @returns 0 success, 1 connection or protocol error, 2 bad arguments, 27 `-W` timeout.
 *
 * @example Publish one message
 * ```ts ignore
 * import { main } from "jsr:@umqtt/client/cli";
 * const status = await main(["pub", "-h", "127.0.0.1", "-t", "greetings", "-m", "hello", "-q", "1"]);
 * if (status !== 0) console.error("publish failed");
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const rt = currentRuntime();
  const status = await run(args, rt);
  await rt.flush();
  return status;
}

async function run(args: string[], rt: Runtime): Promise<number> {
  const enc = new TextEncoder();
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "help") {
    const topic = command === "help" ? rest[0] : undefined;
    if (topic === "pub" || topic === "sub") return run([topic, "--help"], rt);
    rt[command === undefined ? "stderr" : "stdout"](enc.encode(HELP));
    return command === undefined ? 2 : 0;
  }
  if (command === "--version" || command === "-V") {
    rt.stdout(enc.encode(`umqtt ${VERSION}\n`));
    return 0;
  }
  const commands: Record<string, (a: string[], r: Runtime) => Promise<number>> = { pub, sub };
  const fn = commands[command];
  if (!fn) {
    rt.stderr(enc.encode(`umqtt: unknown command ${JSON.stringify(command)}: use pub or sub (umqtt --help)\n`));
    return 2;
  }
  try {
    return await fn(rest, rt);
  } catch (e) {
    if (e instanceof UsageError) {
      rt.stderr(enc.encode(`umqtt ${command}: ${e.message}\nRun "umqtt ${command} --help" for the options.\n`));
      return 2;
    }
    if (rt.quiet) return 1;
    let msg = e instanceof Error ? e.message : String(e);
    if (e instanceof Error && e.cause instanceof Error && !msg.includes(e.cause.message)) {
      msg += ` (${e.cause.message})`;
    }
    rt.stderr(enc.encode(`umqtt ${command}: ${msg}\n`));
    return 1;
  }
}

if (import.meta.main) {
  const rt = currentRuntime();
  const status = await main(rt.args());
  rt.exit(status);
}
