/**
 * `umqtt sub`: subscribe and print messages.
 *
 * @module
 */
import type { Message } from "../message.ts";
import { intOption, last, type OptionSpec, parseArgs, UsageError } from "./_args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, createClient } from "./_connect.ts";
import { type Formatter, namedFormatter, templateFormatter } from "./_format.ts";
import type { Runtime } from "./_runtime.ts";

const SUB_OPTIONS: OptionSpec[] = [
  ...CONNECTION_OPTIONS,
  { key: "verbose", names: ["-v", "--verbose"], value: false },
  { key: "count", names: ["-C"], value: true },
  { key: "timeout", names: ["-W"], value: true },
  { key: "noEol", names: ["-N"], value: false },
  { key: "noRetained", names: ["-R"], value: false },
  { key: "template", names: ["-F"], value: true },
  { key: "format", names: ["--format"], value: true },
  { key: "unsubscribe", names: ["--unsubscribe"], value: false },
];

/** Exit status when `-W` expires, as mosquitto_sub. */
export const EXIT_TIMEOUT = 27;

/** `umqtt sub --help`. */
export const SUB_HELP = `Usage: umqtt sub -t FILTER [-t FILTER ...] [options]

Subscribe on an MQTT 3.1.1 broker and print what arrives, like mosquitto_sub.

Subscribing:
  -t, --topic FILTER       topic filter (+ and # wildcards); repeat for more
  -q, --qos QOS            requested QoS, 0, 1 or 2 (default 0)
  -C COUNT                 exit after COUNT messages
  -W SECONDS               exit with status ${EXIT_TIMEOUT} if still running after SECONDS
  -R                       skip retained ("stale") messages; they do not count for -C
  --unsubscribe            unsubscribe before disconnecting
Output:
  -v, --verbose            print "topic payload"
  -N                       no newline after each message
  --format text|hex|json   text: the payload bytes as they are (default);
                           hex: the payload as lowercase hex;
                           json: one JSON object per line,
                           {"topic","payload","qos","retain"}; a payload that is
                           not UTF-8 is given as hex with "encoding":"hex"
  -F TEMPLATE              custom line: %t topic, %p payload, %q QoS, %r retain (0/1),
                           %l length, %x/%X hex payload, %j JSON line, %I ISO time,
                           %U Unix time, %% percent; \\n \\t \\r \\\\ \\0 \\e \\a escapes
${CONNECTION_HELP}
  --help                   show this help

Exit status: 0 done (-C reached or interrupted), 1 connection or protocol
error, 2 bad arguments, ${EXIT_TIMEOUT} -W timeout reached.
`;

/**
 * Run `umqtt sub`.
 *
 * @param args Arguments after `sub`.
 * @param rt Runtime services.
 * @returns Exit code.
 */
export async function sub(args: string[], rt: Runtime): Promise<number> {
  const p = parseArgs(args, SUB_OPTIONS);
  const encoder = new TextEncoder();
  if (p.has("help")) {
    rt.stdout(encoder.encode(SUB_HELP));
    return 0;
  }
  const s = await connectionSettings(p, "sub", rt);
  if (s.topics.length === 0) throw new UsageError("no topic: give -t FILTER (repeatable) or -L with a topic");
  const co = last(p, "count");
  const count = co ? intOption(co, 1, Number.MAX_SAFE_INTEGER, "a number of messages") : Infinity;
  const wo = last(p, "timeout");
  let timeoutMs = Infinity;
  if (wo) {
    const w = /^\d+(\.\d+)?$/.test(wo.value) ? Number(wo.value) : NaN;
    if (!(w > 0) || w > 2_000_000) {
      throw new UsageError(`${wo.name} must be a number of seconds in (0, 2000000], got ${JSON.stringify(wo.value)}`);
    }
    timeoutMs = w * 1000;
  }
  const fo = last(p, "format");
  const to = last(p, "template");
  if (fo && to) throw new UsageError("give either -F or --format, not both");
  let format: Formatter;
  if (to) format = templateFormatter(to.value, to.name);
  else {
    const f = fo?.value ?? "text";
    if (f !== "text" && f !== "hex" && f !== "json") {
      throw new UsageError(`--format must be text, hex or json, got ${JSON.stringify(f)}`);
    }
    format = namedFormatter(f, p.has("verbose"));
  }
  const eol = p.has("noEol") ? new Uint8Array(0) : encoder.encode("\n");
  const skipRetained = p.has("noRetained");

  let received = 0;
  const onMessage = (m: Message): void => {
    if (received >= count) return;
    if (skipRetained && m.retain) return;
    received++;
    rt.stdout(format(m));
    if (eol.length) rt.stdout(eol);
  };
  const client = createClient(s, { callback: onMessage });
  const abort = new AbortController();
  let stopped: "interrupt" | "timeout" | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: "interrupt" | "timeout"): void => {
    if (stopped) return;
    stopped = why;
    abort.abort(new Error(why));
    if (client.connected) client.disconnect().catch(() => {});
  };
  const removeListener = rt.onInterrupt(() => stop("interrupt"));
  try {
    await client.connect({ cleanSession: s.cleanSession, signal: abort.signal });
    if (timeoutMs !== Infinity) timer = setTimeout(() => stop("timeout"), timeoutMs);
    for (const t of s.topics) await client.subscribe(t, s.qos);
    while (received < count) await client.waitMsg();
    if (p.has("unsubscribe")) { for (const t of s.topics) await client.unsubscribe(t); }
    await client.disconnect();
    return 0;
  } catch (e) {
    if (stopped === "timeout") {
      rt.stderr(encoder.encode(`umqtt sub: timed out after ${wo!.value} s (-W) with ${received} message(s)\n`));
      return EXIT_TIMEOUT;
    }
    if (stopped === "interrupt") return 0;
    throw e;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    removeListener();
    if (client.connected) await client.disconnect().catch(() => {});
  }
}
