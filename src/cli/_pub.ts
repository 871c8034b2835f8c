/**
 * `umqtt pub`: publish one message, a file, stdin, or stdin line by line.
 *
 * @module
 */
import { last, type OptionSpec, parseArgs, UsageError } from "./_args.ts";
import { CONNECTION_HELP, CONNECTION_OPTIONS, connectionSettings, createClient } from "./_connect.ts";
import { watchedTransport } from "./_debug.ts";
import type { Runtime } from "./_runtime.ts";
import { connectNative } from "../transport/mod.ts";
import { concat } from "../_bytes.ts";

const PUB_OPTIONS: OptionSpec[] = [
  ...CONNECTION_OPTIONS,
  { key: "message", names: ["-m", "--message"], value: true },
  { key: "file", names: ["-f", "--file"], value: true },
  { key: "lines", names: ["-l", "--stdin-line"], value: false },
  { key: "stdin", names: ["-s", "--stdin-file"], value: false },
  { key: "null", names: ["-n", "--null-message"], value: false },
  { key: "retain", names: ["-r", "--retain"], value: false },
];

/** `umqtt pub --help`. */
export const PUB_HELP = `Usage: umqtt pub -t TOPIC {-m MESSAGE | -f FILE | -l | -s | -n} [options]

Publish to an MQTT 3.1.1 broker, like mosquitto_pub.

Message (exactly one):
  -m, --message TEXT       send TEXT
  -f, --file FILE          send the contents of FILE as one message
  -l, --stdin-line         send each line read from stdin as a message (without the newline)
  -s, --stdin-file         send all of stdin as one message
  -n, --null-message       send a zero-length message
Publishing:
  -t, --topic TOPIC        topic to publish to (or the path of -L)
  -q, --qos QOS            0, 1 or 2 (default 0)
  -r, --retain             ask the broker to retain the message
${CONNECTION_HELP}
  --help                   show this help

Exit status: 0 sent, 1 connection or protocol error, 2 bad arguments.
`;

const SOURCES = ["message", "file", "lines", "stdin", "null"] as const;

/**
 * Run `umqtt pub`.
 *
 * @param args Arguments after `pub`.
 * @param rt Runtime services.
 * @returns Exit code.
 */
export async function pub(args: string[], rt: Runtime): Promise<number> {
  const p = parseArgs(args, PUB_OPTIONS);
  if (p.has("help")) {
    rt.stdout(new TextEncoder().encode(PUB_HELP));
    return 0;
  }
  if (p.has("quiet")) rt.quiet = true;
  const s = await connectionSettings(p, "pub", rt);
  if (s.topics.length === 0) throw new UsageError("no topic: give -t TOPIC (or -L with a topic)");
  if (s.topics.length > 1) throw new UsageError(`give one topic, got ${s.topics.length}: ${s.topics.join(", ")}`);
  const topic = s.topics[0]!;
  const given = SOURCES.filter((k) => p.has(k));
  if (given.length === 0) throw new UsageError("no message: give one of -m, -f, -l, -s or -n");
  if (given.length > 1 || (p.get(given[0]!)?.length ?? 0) > 1) {
    throw new UsageError("give exactly one of -m, -f, -l, -s or -n");
  }
  const source = given[0]!;
  let payload: Uint8Array | undefined;
  if (source === "message") payload = new TextEncoder().encode(last(p, "message")!.value);
  else if (source === "null") payload = new Uint8Array(0);
  else if (source === "file") {
    const f = last(p, "file")!;
    try {
      payload = await rt.readFile(f.value);
    } catch (e) {
      throw new UsageError(`cannot read ${f.name} ${JSON.stringify(f.value)}: ${e instanceof Error ? e.message : e}`);
    }
  } else if (source === "stdin") payload = await readAll(rt.stdin());

  const opts = { qos: s.qos, retain: p.has("retain") };
  const enc = new TextEncoder();
  const log = (line: string): void => rt.stdout(enc.encode(line + "\n"));
  const client = createClient(
    s,
    s.debug ? { transport: watchedTransport(connectNative, { clientId: s.clientId, log }) } : {},
  );
  const abort = new AbortController();
  let interrupted = false;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const removeListener = rt.onInterrupt(() => {
    interrupted = true;
    abort.abort(new Error("Interrupted"));
    reader?.cancel().catch(() => {});
  });
  try {
    try {
      await client.connect({ cleanSession: s.cleanSession, signal: abort.signal });
    } catch (e) {
      if (interrupted) return 0;
      throw e;
    }
    if (payload) {
      await client.publish(topic, payload, opts);
    } else {
      reader = rt.stdin().getReader();
      for await (const line of lines(reader)) {
        if (interrupted) break;
        await client.publish(topic, line, opts);
      }
    }
    await client.disconnect();
    return 0;
  } finally {
    removeListener();
    if (client.connected) await client.disconnect().catch(() => {});
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of stream) {
    parts.push(chunk);
    n += chunk.length;
  }
  return concat(parts, n);
}

/** Split a byte stream at `\n` (bytes, not text: binary lines pass unchanged); a last unterminated line counts. */
async function* lines(reader: ReadableStreamDefaultReader<Uint8Array>): AsyncGenerator<Uint8Array> {
  let buf = new Uint8Array(0);
  while (true) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch {
      break;
    }
    if (r.done) break;
    const joined = new Uint8Array(buf.length + r.value.length);
    joined.set(buf);
    joined.set(r.value, buf.length);
    let start = 0;
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] === 0x0a) {
        yield joined.slice(start, i);
        start = i + 1;
      }
    }
    buf = joined.slice(start);
  }
  if (buf.length > 0) yield buf;
}
