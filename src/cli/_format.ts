/**
 * How `umqtt sub` prints a message: raw text, hex, JSON lines, or a
 * mosquitto_sub-style `-F` template.
 *
 * @module
 */
import type { Message } from "../message.ts";
import { UsageError } from "./_args.ts";
import { concat } from "../_bytes.ts";

const encoder = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Turns a message into the bytes to print (without the final newline).
 * `mid` is the packet id the message arrived with (0 for QoS 0).
 */
export type Formatter = (msg: Message, mid: number) => Uint8Array;

/**
 * Lowercase hex of the bytes.
 *
 * @param bytes Bytes.
 * @returns Hex digits, two per byte.
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * The message as one JSON object: `{"topic","payload","qos","retain"}`.
 * The payload is the text when it is valid UTF-8; otherwise it is hex and
 * `"encoding":"hex"` is added.
 *
 * @param msg Message.
 * @returns JSON text.
 */
export function jsonLine(msg: Message): string {
  let payload: string;
  let hex = false;
  try {
    payload = strict.decode(msg.payload);
  } catch {
    payload = toHex(msg.payload);
    hex = true;
  }
  const o: Record<string, unknown> = { topic: msg.topic, payload, qos: msg.qos, retain: msg.retain };
  if (hex) o.encoding = "hex";
  return JSON.stringify(o);
}

/**
 * A formatter for `--format` (`text`, `hex`, `json`) and `-v`.
 *
 * @param format Output format.
 * @param verbose Prefix the topic and a space (text and hex).
 * @returns The formatter.
 */
export function namedFormatter(format: "text" | "hex" | "json", verbose: boolean): Formatter {
  if (format === "json") return (m) => encoder.encode(jsonLine(m));
  const body = format === "hex" ? (m: Message) => encoder.encode(toHex(m.payload)) : (m: Message) => m.payload;
  if (!verbose) return body;
  return (m) => concat([encoder.encode(m.topic + " "), body(m)]);
}

type Field = (m: Message, mid: number) => Uint8Array | string;
type Piece = string | Field;

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/**
 * Local time as mosquitto's `%I`: `2026-05-06T22:19:07+0200`.
 *
 * @param d The time.
 * @returns ISO 8601 with the local UTC offset.
 */
export function isoLocal(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? "-" : "+";
  const abs = Math.abs(off);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}

/** Milliseconds since the epoch with the fraction `performance.now()` gives. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The message as mosquitto_sub's `%j` prints it:
 * `{"tst":"…Z+0000","topic":…,"qos":…,"retain":0|1,"payloadlen":…,["mid":…,]"payload":"…"}`.
 * `tst` is UTC with microseconds; `mid` appears for QoS 1 and 2. The
 * payload is a JSON string escaped as mosquitto escapes it (`"`, `\`
 * and control bytes); other bytes, including ones that are not UTF-8, are
 * copied as they are. (mosquitto stops the payload at the first zero
 * byte; we escape it as `\u0000`.)
 *
 * @param m The message.
 * @param mid Its packet id (0 for QoS 0).
 * @param ms The receive time in milliseconds since the epoch.
 * @returns The JSON bytes.
 */
export function mosquittoJson(m: Message, mid: number, ms: number = nowMs()): Uint8Array {
  const d = new Date(Math.floor(ms));
  const micro = Math.floor((ms - Math.floor(ms / 1000) * 1000) * 1000);
  const tst = `${d.toISOString().slice(0, 19)}.${pad(micro, 6)}Z+0000`;
  const head = `{"tst":"${tst}","topic":${JSON.stringify(m.topic)},"qos":${m.qos},"retain":${m.retain ? 1 : 0},` +
    `"payloadlen":${m.payload.length},${m.qos > 0 ? `"mid":${mid},` : ""}"payload":"`;
  return concat([encoder.encode(head), escapeJsonBytes(m.payload), encoder.encode('"}')]);
}

const SHORT_ESCAPES: Record<number, string> = { 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r" };

/** JSON string escaping on bytes (cJSON's): `"`, `\\` and bytes below 0x20. */
function escapeJsonBytes(bytes: Uint8Array): Uint8Array {
  let extra = 0;
  for (const b of bytes) if (b < 0x20 || b === 0x22 || b === 0x5c) extra += 5;
  if (extra === 0) return bytes;
  const out: number[] = [];
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out.push(0x5c, b);
    else if (b < 0x20) {
      const e = SHORT_ESCAPES[b] ?? `\\u00${b.toString(16).padStart(2, "0")}`;
      for (let i = 0; i < e.length; i++) out.push(e.charCodeAt(i));
    } else out.push(b);
  }
  return Uint8Array.from(out);
}

const FIELDS: Record<string, Field> = {
  t: (m) => m.topic,
  p: (m) => m.payload,
  q: (m) => String(m.qos),
  r: (m) => (m.retain ? "1" : "0"),
  l: (m) => String(m.payload.length),
  m: (_m, mid) => String(mid),
  x: (m) => toHex(m.payload),
  X: (m) => toHex(m.payload).toUpperCase(),
  j: (m, mid) => mosquittoJson(m, mid),
  I: () => isoLocal(new Date()),
  U: () => {
    const ms = nowMs();
    const s = Math.floor(ms / 1000);
    return `${s}.${pad(Math.floor((ms - s * 1000) * 1e6), 9)}`;
  },
};

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "0": "\0", e: "\x1b", a: "\x07" };

/**
 * Compile a `-F` template as mosquitto_sub does: `%t` topic, `%p` payload,
 * `%q` QoS, `%r` retain (0/1), `%l` payload length, `%m` packet id, `%x`/`%X`
 * hex payload, `%j` mosquitto's JSON object, `%I` ISO-8601 local time, `%U`
 * Unix time with nanoseconds, `%%`; escapes `\n \t \r \\ \0 \e \a`.
 *
 * @param template The template.
 * @param name Option name for errors.
 * @returns The formatter.
 */
export function templateFormatter(template: string, name: string): Formatter {
  const pieces: Piece[] = [];
  let lit = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== "%" && c !== "\\") {
      lit += c;
      continue;
    }
    const n = template[i + 1];
    if (n === undefined) throw new UsageError(`${name}: the template ends with a lone ${c}`);
    i++;
    if (c === "\\") {
      const e = ESCAPES[n];
      if (e === undefined) throw new UsageError(`${name}: unknown escape \\${n}`);
      lit += e;
    } else if (n === "%") {
      lit += "%";
    } else {
      const f = FIELDS[n];
      if (!f) throw new UsageError(`${name}: unknown sequence %${n} (known: %t %p %q %r %l %m %x %X %j %I %U %%)`);
      if (lit) pieces.push(lit);
      lit = "";
      pieces.push(f);
    }
  }
  if (lit) pieces.push(lit);
  return (m, mid) => concat(pieces.map((p) => typeof p === "string" ? encoder.encode(p) : toBytes(p(m, mid))));
}

function toBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === "string" ? encoder.encode(v) : v;
}
