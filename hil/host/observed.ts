/**
 * The common shape both a reference trace and one of our runs are reduced to
 * before comparison, plus the loaders for each side.
 *
 * @module
 */
import { fromHex } from "./hex.ts";
import type { CaptureRecord, Dir } from "./records.ts";

/** One framed packet (or malformed bytes) on one connection. */
export interface ObsPacket {
  conn: number;
  dir: Dir;
  t_ms: number;
  bytes: Uint8Array;
  /** "packet" = a whole packet; "malformed"/"incomplete" = bytes that never formed one. */
  kind: "packet" | "malformed" | "incomplete";
}

/** How a connection ended: the direction that ended first and how. */
export interface ObsConn {
  conn: number;
  t_open_ms: number;
  firstEnd: { dir: Dir; how: "eof" | "reset"; t_ms: number } | null;
}

/** The outcome of one scenario step, normalised for comparison. */
export interface ObsCall {
  i: number;
  code: string;
  /** Normalised outcome: "None", "int 48", "bytes ...", "MQTTException 128", "OSError", "AssertionError", "TypeError", "RangeError", "hung", "n/a". */
  outcome: string;
  /** The raw value or error text, for the report. */
  raw: string;
  t_ms: number | null;
  t_end_ms: number | null;
}

/** A callback invocation: repr-style topic and message, and the step it ran in. */
export interface ObsCallback {
  during: number;
  topic: string;
  msg: string;
}

/** A side action (mosquitto_pub/mosquitto_sub) run at a sync point. */
export interface ObsSide {
  at: string;
  cmd: string[];
  rc: number;
  stdout: string[];
}

/** A line umqtt.robust's `log()` prints with DEBUG on. */
export interface ObsLog {
  /** Normalised: `mqtt: OSError`, `mqtt reconnect: OSError` (the error's outcome, see {@linkcode ObsCall.outcome}). */
  line: string;
  /** The line as printed (or, for ours, with our error's text), for the report. */
  raw: string;
  /** The step it was logged in (ours only; the trace's lines carry no step). */
  during?: number;
}

/** Everything compared for one scenario. */
export interface Observed {
  packets: ObsPacket[];
  conns: ObsConn[];
  calls: ObsCall[];
  callbacks: ObsCallback[];
  sides: ObsSide[];
  /** umqtt.robust's DEBUG lines; compared only when present on both sides. */
  logs?: ObsLog[];
}

/** The reference trace file (fields used here). */
export interface TraceFile {
  scenario: string;
  description: string;
  endpoint: string;
  client: string;
  broker: string;
  script: string[];
  calls: { i: number; code: string; t_ms?: number; t_end_ms?: number; result?: string; exception?: string }[];
  callbacks: { t_ms: number; during_call: number; topic: string; msg: string; msg_len: number }[];
  packets: {
    conn: number;
    dir: Dir;
    t_ms: number;
    type: string;
    len: number;
    hex: string | null;
    elided?: boolean;
    hex_head?: string;
    hex_tail?: string;
    sha256?: string;
  }[];
  connections: { conn: number; t_open_ms: number; ends: Record<string, { t_ms: number; how: string }> }[];
  side_actions: { t_ms: number; at: string; cmd: string[]; rc: number; stdout: string[] }[];
  /** `other_stdout` holds umqtt.robust's DEBUG lines, e.g. `mqtt: OSError(-1,)`. */
  client_process?: { other_stdout?: string[] };
  notes: string[];
}

/**
 * Normalise a MicroPython repr() result or exception from a trace.
 *
 * @param result The `result` field, if any.
 * @param exception The `exception` field, if any.
 * @returns The normalised outcome (see {@linkcode ObsCall.outcome}).
 */
export function normaliseRef(result: string | undefined, exception: string | undefined): string {
  if (exception !== undefined) {
    const m = /^(\w+)\((.*)\)$/.exec(exception);
    const name = m?.[1] ?? exception;
    if (name === "MQTTException") return `MQTTException ${(m?.[2] ?? "").replace(/,$/, "")}`;
    return name;
  }
  if (result === undefined) return "n/a";
  if (result === "None") return "None";
  if (result === "True") return "int 1";
  if (result === "False") return "int 0";
  if (/^-?\d+$/.test(result)) return `int ${result}`;
  return result;
}

/** Python-style repr of bytes: b'...' with the same escapes CPython/MicroPython use. */
export function bytesRepr(b: Uint8Array): string {
  const hasSingle = b.includes(0x27);
  const hasDouble = b.includes(0x22);
  const q = hasSingle && !hasDouble ? '"' : "'";
  let s = "b" + q;
  for (const c of b) {
    if (c === 0x5c) s += "\\\\";
    else if (c === 0x09) s += "\\t";
    else if (c === 0x0a) s += "\\n";
    else if (c === 0x0d) s += "\\r";
    else if (c === q.charCodeAt(0)) s += "\\" + q;
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += "\\x" + c.toString(16).padStart(2, "0");
  }
  return s + q;
}

/** The trace's message form: repr, or "<N bytes sha256=...>" over 96 bytes. */
export async function msgRepr(b: Uint8Array): Promise<string> {
  if (b.length <= 96) return bytesRepr(b);
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", b as Uint8Array<ArrayBuffer>));
  return `<${b.length} bytes sha256=${[...d].map((x) => x.toString(16).padStart(2, "0")).join("")}>`;
}

function endHow(how: string): "eof" | "reset" {
  return /reset|error/i.test(how) ? "reset" : "eof";
}

/**
 * Reduce a reference trace to the compared shape.
 *
 * @param t The parsed trace file.
 * @returns The observation.
 */
export function fromTrace(t: TraceFile): Observed {
  const packets: ObsPacket[] = t.packets.map((p) => {
    let bytes: Uint8Array;
    if (p.hex !== null) bytes = fromHex(p.hex);
    else {throw new TypeError(
        `Trace ${t.scenario}: packet of ${p.len} bytes is elided; elided packets are not supported by this comparison`,
      );}
    return { conn: p.conn, dir: p.dir, t_ms: p.t_ms, bytes, kind: p.type === "INCOMPLETE" ? "incomplete" : "packet" };
  });
  const conns: ObsConn[] = t.connections.map((c) => {
    let first: ObsConn["firstEnd"] = null;
    for (const [dir, e] of Object.entries(c.ends)) {
      if (/^closed by proxy/.test(e.how)) continue;
      if (!first || e.t_ms < first.t_ms) first = { dir: dir as Dir, how: endHow(e.how), t_ms: e.t_ms };
    }
    return { conn: c.conn, t_open_ms: c.t_open_ms, firstEnd: first };
  });
  const calls: ObsCall[] = t.calls.map((c) => ({
    i: c.i,
    code: c.code,
    outcome: c.t_end_ms === undefined ? "hung" : normaliseRef(c.result, c.exception),
    raw: c.exception ?? c.result ?? "",
    t_ms: c.t_ms ?? null,
    t_end_ms: c.t_end_ms ?? null,
  }));
  const callbacks = t.callbacks.map((c) => ({ during: c.during_call, topic: c.topic, msg: c.msg }));
  const sides = t.side_actions.map((s) => ({ at: s.at, cmd: s.cmd, rc: s.rc, stdout: s.stdout }));
  const logs = (t.client_process?.other_stdout ?? []).map((raw) => {
    const m = /^(mqtt(?: reconnect)?): (.*)$/.exec(raw);
    return { line: m ? `${m[1]}: ${normaliseRef(undefined, m[2])}` : raw, raw };
  });
  return { packets, conns, calls, callbacks, sides, logs };
}

/**
 * Reduce verified rig records to packets and connection ends (calls,
 * callbacks and side actions come from the scenario runner).
 *
 * @param records The verified capture records.
 * @param t0us Rig time (µs) that maps to t = 0 ms.
 * @returns Packets and connections.
 */
export function fromRecords(
  records: readonly CaptureRecord[],
  t0us: number,
): { packets: ObsPacket[]; conns: ObsConn[] } {
  const packets: ObsPacket[] = [];
  const conns = new Map<number, ObsConn>();
  const ms = (us: number): number => (us - t0us) / 1000;
  for (const r of records) {
    if (r.kind === "O") conns.set(r.conn, { conn: r.conn, t_open_ms: ms(r.us), firstEnd: null });
    if (r.kind === "R") packets.push({ conn: r.conn, dir: r.dir, t_ms: ms(r.us), bytes: r.bytes, kind: "packet" });
    if (r.kind === "M") {
      packets.push({
        conn: r.conn,
        dir: r.dir,
        t_ms: ms(r.us),
        bytes: r.bytes,
        kind: r.why === "truncated-at-close" ? "incomplete" : "malformed",
      });
    }
    if (r.kind === "C") {
      const c = conns.get(r.conn);
      if (c && !c.firstEnd) c.firstEnd = { dir: r.dir, how: r.how === "reset" ? "reset" : "eof", t_ms: ms(r.us) };
    }
  }
  return { packets, conns: [...conns.values()].sort((a, b) => a.conn - b.conn) };
}
