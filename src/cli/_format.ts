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

/** Turns a message into the bytes to print (without the final newline). */
export type Formatter = (msg: Message) => Uint8Array;

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

type Piece = string | ((m: Message) => Uint8Array | string);

const FIELDS: Record<string, (m: Message) => Uint8Array | string> = {
  t: (m) => m.topic,
  p: (m) => m.payload,
  q: (m) => String(m.qos),
  r: (m) => (m.retain ? "1" : "0"),
  l: (m) => String(m.payload.length),
  x: (m) => toHex(m.payload),
  X: (m) => toHex(m.payload).toUpperCase(),
  j: (m) => jsonLine(m),
  I: () => new Date().toISOString(),
  U: () => {
    const ms = Date.now();
    return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, "0")}`;
  },
};

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "0": "\0", e: "\x1b", a: "\x07" };

/**
 * Compile a `-F` template: `%t` topic, `%p` payload, `%q` QoS, `%r`
 * retain (0/1), `%l` payload length, `%x`/`%X` hex payload, `%j` JSON
 * line, `%I` ISO-8601 time, `%U` Unix time, `%%`; escapes `\n \t \r \\ \0 \e \a`.
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
      if (!f) throw new UsageError(`${name}: unknown sequence %${n} (known: %t %p %q %r %l %x %X %j %I %U %%)`);
      if (lit) pieces.push(lit);
      lit = "";
      pieces.push(f);
    }
  }
  if (lit) pieces.push(lit);
  return (m) => concat(pieces.map((p) => typeof p === "string" ? encoder.encode(p) : toBytes(p(m))));
}

function toBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === "string" ? encoder.encode(v) : v;
}
