/**
 * `umqtt sub`: subscribe and print messages, like mosquitto_sub: it
 * reconnects (every second, resubscribing) when an established
 * connection is lost, and stops on `-C`, `-W`, `-E`, `--retained-only`,
 * SIGINT or SIGTERM.
 *
 * @module
 */
import type { MQTTClient } from "../client.ts";
import type { Packet } from "../codec/mod.ts";
import { topicMatches, validateTopicFilter } from "../codec/topic.ts";
import type { Message } from "../message.ts";
import { connectNative } from "../transport/mod.ts";
import { intOption, last, type OptionSpec, parseArgs, UsageError } from "./_args.ts";
import {
  CONNECTION_HELP,
  CONNECTION_OPTIONS,
  type ConnectionSettings,
  connectionSettings,
  createClient,
} from "./_connect.ts";
import { watchedTransport } from "./_debug.ts";
import { type Formatter, namedFormatter, templateFormatter } from "./_format.ts";
import type { Runtime } from "./_runtime.ts";

const SUB_OPTIONS: OptionSpec[] = [
  ...CONNECTION_OPTIONS,
  { key: "verbose", names: ["-v", "--verbose"], value: false },
  { key: "count", names: ["-C"], value: true },
  { key: "timeout", names: ["-W"], value: true },
  { key: "noEol", names: ["-N"], value: false },
  { key: "noRetained", names: ["-R"], value: false },
  { key: "retainedOnly", names: ["--retained-only"], value: false },
  { key: "exitAfterSub", names: ["-E"], value: false },
  { key: "filterOut", names: ["-T"], value: true },
  { key: "unsubTopic", names: ["-U"], value: true },
  { key: "template", names: ["-F"], value: true },
  { key: "format", names: ["--format"], value: true },
  { key: "unsubscribe", names: ["--unsubscribe"], value: false },
];

/** Exit status when `-W` expires, as mosquitto_sub. */
export const EXIT_TIMEOUT = 27;

/** Delay between reconnect attempts after a lost connection (libmosquitto's default, 1 s). */
export const RECONNECT_DELAY_MS = 1000;

/** `umqtt sub --help`. */
export const SUB_HELP = `Usage: umqtt sub -t FILTER [-t FILTER ...] [options]

Subscribe on an MQTT 3.1.1 broker and print what arrives, like mosquitto_sub.
A lost connection is re-established every second (resubscribing), as
mosquitto_sub does; only a failed first connection ends the run.

Subscribing:
  -t, --topic FILTER       topic filter (+ and # wildcards); repeat for more
  -q, --qos QOS            requested QoS, 0, 1 or 2 (default 0)
  -C COUNT                 exit after COUNT messages
  -W SECONDS               exit with status ${EXIT_TIMEOUT} if still running after SECONDS
  -E                       exit once the broker acknowledged the subscriptions
  -R                       skip retained ("stale") messages; they do not count for -C
  --retained-only          print only retained messages; exit at the first one that is not
  -T FILTER                do not print messages whose topic matches FILTER; repeatable
  -U FILTER                unsubscribe from FILTER after subscribing; repeatable
  --unsubscribe            unsubscribe from every -t filter before disconnecting
                           (however the run ends: -C, -W, -E, SIGINT or SIGTERM)
Output:
  -v, --verbose            print "topic payload"
  -N                       no newline after each message
  --format text|hex|json   text: the payload bytes as they are (default);
                           hex: the payload as lowercase hex;
                           json: one JSON object per line,
                           {"topic","payload","qos","retain"}; a payload that is
                           not UTF-8 is given as hex with "encoding":"hex"
  -F TEMPLATE              custom line, as mosquitto_sub: %t topic, %p payload, %q QoS,
                           %r retain (0/1), %l length, %m packet id, %x/%X hex payload,
                           %j mosquitto's JSON object, %I ISO time, %U Unix time,
                           %% percent; \\n \\t \\r \\\\ \\0 \\e \\a escapes
${CONNECTION_HELP}
  --help                   show this help

Exit status: 0 done (-C, -E or --retained-only reached, or interrupted),
1 connection or protocol error, 2 bad arguments, ${EXIT_TIMEOUT} -W timeout reached.
`;

type StopReason = "interrupt" | "timeout" | "done";

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
  if (p.has("quiet")) rt.quiet = true;
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
  const filters = (key: string): string[] =>
    (p.get(key) ?? []).map((o) => {
      try {
        validateTopicFilter(o.value);
      } catch (e) {
        throw new UsageError(`${o.name} ${JSON.stringify(o.value)}: ${(e as Error).message}`);
      }
      return o.value;
    });
  const filterOut = filters("filterOut");
  const unsubTopics = filters("unsubTopic");
  const skipRetained = p.has("noRetained");
  const retainedOnly = p.has("retainedOnly");
  if (skipRetained && retainedOnly) throw new UsageError("-R and --retained-only contradict each other: give one");
  const eol = p.has("noEol") ? new Uint8Array(0) : encoder.encode("\n");
  const runner = new SubRun(s, rt, {
    count,
    format,
    eol,
    filterOut,
    unsubTopics,
    skipRetained,
    retainedOnly,
    exitAfterSub: p.has("exitAfterSub"),
    unsubscribeAtEnd: p.has("unsubscribe"),
    // Packet ids are only needed for %m and %j; otherwise the bytes are not decoded twice.
    needMid: to !== undefined && /%[mj]/.test(to.value),
  });
  const removeListener = rt.onInterrupt(() => runner.stop("interrupt"));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await runner.run(() => {
      if (timeoutMs !== Infinity) timer = setTimeout(() => runner.stop("timeout"), timeoutMs);
    }, wo?.value);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    removeListener();
  }
}

interface SubOptions {
  count: number;
  format: Formatter;
  eol: Uint8Array;
  filterOut: string[];
  unsubTopics: string[];
  skipRetained: boolean;
  retainedOnly: boolean;
  exitAfterSub: boolean;
  unsubscribeAtEnd: boolean;
  needMid: boolean;
}

/** One `umqtt sub` run: its connections (a new client per reconnect), counters and stop reason. */
class SubRun {
  #s: ConnectionSettings;
  #rt: Runtime;
  #o: SubOptions;
  #enc = new TextEncoder();
  #received = 0;
  #stopped: StopReason | undefined;
  #stop = new AbortController();
  /** Packet ids of received PUBLISH packets the client will deliver, oldest first (for %m, %j). */
  #mids: number[] = [];
  /**
   * QoS 2 packet ids received whose PUBCOMP is not sent yet: a resent PUBLISH with one is not
   * delivered again, and the run does not disconnect before they are complete (as mosquitto_sub).
   */
  #qos2 = new Set<number>();
  #qos2Done: (() => void) | undefined;

  constructor(s: ConnectionSettings, rt: Runtime, o: SubOptions) {
    this.#s = s;
    this.#rt = rt;
    this.#o = o;
  }

  /** End the run: the main loop then unsubscribes (`--unsubscribe`) and disconnects. */
  stop(why: StopReason): void {
    if (this.#stopped) return;
    this.#stopped = why;
    this.#stop.abort(new Error(`umqtt sub stopped: ${why}`));
  }

  async run(onConnected: () => void, timeoutText: string | undefined): Promise<number> {
    let first = true;
    while (!this.#stopped) {
      const client = this.#client();
      try {
        await client.connect({ cleanSession: this.#s.cleanSession, signal: this.#stop.signal });
      } catch (e) {
        if (this.#stopped) break;
        if (first) throw e; // as mosquitto_sub: only an established connection is re-established
        await this.#sleep(RECONNECT_DELAY_MS);
        continue;
      }
      if (first) onConnected();
      first = false;
      try {
        await this.#session(client);
      } catch (e) {
        if (!this.#stopped) {
          // Anything but a lost link (a refused subscription) ends the run with status 1.
          if (client.connected) {
            await client.disconnect().catch(() => {});
            throw e;
          }
          // Lost: mosquitto_sub says nothing and reconnects after a second.
          client.abort();
          await this.#sleep(RECONNECT_DELAY_MS);
          continue;
        }
      }
      await this.#finish(client);
    }
    if (this.#stopped === "timeout") {
      if (!this.#rt.quiet) {
        this.#rt.stderr(
          this.#enc.encode(`umqtt sub: timed out after ${timeoutText} s (-W) with ${this.#received} message(s)\n`),
        );
      }
      return EXIT_TIMEOUT;
    }
    return 0;
  }

  #client(): MQTTClient {
    const debug = this.#s.debug ? (line: string) => this.#rt.stdout(this.#enc.encode(line + "\n")) : undefined;
    const watch = debug || this.#o.needMid || this.#s.qos === 2;
    this.#mids = [];
    this.#qos2.clear();
    return createClient(this.#s, {
      callback: (m) => this.#onMessage(m),
      ...(watch
        ? {
          transport: watchedTransport(connectNative, {
            clientId: this.#s.clientId,
            log: debug,
            onPacket: (p) => this.#onPacket(p, debug),
            onSent: (p) => {
              if (p.type !== "pubcomp") return;
              this.#qos2.delete(p.packetId);
              if (this.#qos2.size === 0) this.#qos2Done?.();
            },
          }),
        }
        : {}),
    });
  }

  /** Subscribe, unsubscribe `-U`, then process messages until stopped (resolves) or the link is lost (rejects). */
  async #session(client: MQTTClient): Promise<void> {
    const signal = this.#stop.signal;
    for (const t of this.#s.topics) await client.subscribe(t, { qos: this.#s.qos, signal });
    for (const t of this.#o.unsubTopics) await client.unsubscribe(t, { signal });
    if (this.#o.exitAfterSub) this.stop("done");
    while (!this.#stopped) {
      try {
        await client.waitMsg({ signal });
      } catch (e) {
        if (this.#stopped) return;
        throw e;
      }
    }
  }

  /**
   * After a stop: complete the QoS 2 exchanges under way (PUBREL/PUBCOMP), `--unsubscribe`, then
   * DISCONNECT (each bounded, so a dead link cannot hang the exit).
   */
  async #finish(client: MQTTClient): Promise<void> {
    if (this.#qos2.size > 0 && client.connected) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#qos2Done = resolve;
        timer = setTimeout(resolve, 5000);
      });
      clearTimeout(timer);
    }
    if (this.#o.unsubscribeAtEnd && client.connected) {
      const signal = AbortSignal.timeout(5000);
      try {
        for (const t of this.#s.topics) await client.unsubscribe(t, { signal });
      } catch {
        // The link went away: nothing left to unsubscribe from.
      }
    }
    if (client.connected) await client.disconnect().catch(() => {});
    else client.abort();
  }

  #onPacket(p: Packet, debug: ((line: string) => void) | undefined): void {
    if (p.type === "suback" && debug) debug(`Subscribed (mid: ${p.packetId}): ${p.returnCodes.join(", ")}`);
    if (p.type !== "publish") return;
    const id = p.packetId ?? 0;
    if (p.qos === 2) {
      if (this.#qos2.has(id)) return; // a resend the client will not deliver again
      this.#qos2.add(id);
    }
    this.#mids.push(id);
  }

  #onMessage(m: Message): void {
    const mid = this.#mids.shift() ?? 0;
    if (this.#stopped) return;
    if (this.#o.retainedOnly && !m.retain) {
      this.stop("done");
      return;
    }
    if (m.retain && this.#o.skipRetained) return;
    if (this.#o.filterOut.some((f) => topicMatches(f, m.topic))) return;
    this.#rt.stdout(this.#o.format(m, mid));
    if (this.#o.eol.length) this.#rt.stdout(this.#o.eol);
    this.#received++;
    if (this.#received >= this.#o.count) this.stop("done");
  }

  /** Wait, or less if the run is stopped meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const signal = this.#stop.signal;
      const done = (): void => {
        clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal.addEventListener("abort", done);
    });
  }
}
