/**
 * Replay machinery for the umqtt.simple wire traces: load a trace, turn its
 * packets into a scripted broker per connection, and run the trace's
 * MicroPython `script` lines against our `/umqtt` shim (or `/robust` when
 * the script imports `umqtt.robust`) through a small interpreter for the
 * Python subset the scripts use.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { MQTTClient } from "../../src/umqtt.ts";
import { MQTTClient as RobustClient } from "../../src/robust.ts";
import type { SslParams } from "../../src/umqtt.ts";
import type { TransportConnectOptions, TransportFactory } from "../../src/transport/types.ts";
import { FakeTransport, flush, hex, toHex } from "../_fake.ts";

// ---------------------------------------------------------------- trace files

/** One packet of a trace. */
export interface TracePacket {
  conn: number;
  dir: "c2s" | "s2c";
  t_ms: number;
  type: string;
  len: number;
  hex: string | null;
}

/** One script line and what it did under MicroPython. */
export interface TraceCall {
  i: number;
  code: string;
  t_ms: number;
  t_end_ms?: number;
  result?: string;
  exception?: string;
}

/** One callback invocation. */
export interface TraceCallback {
  during_call: number;
  topic: string;
  msg: string;
  msg_len: number;
}

/** How one direction of a connection ended. */
export interface TraceEnd {
  t_ms: number;
  how: string;
}

/** A whole trace file. */
export interface Trace {
  scenario: string;
  endpoint: string;
  script: string[];
  calls: TraceCall[];
  callbacks: TraceCallback[];
  packets: TracePacket[];
  connections: { conn: number; ends: { c2s?: TraceEnd; s2c?: TraceEnd } }[];
  /** `other_stdout` holds umqtt.robust's DEBUG lines (`mqtt: OSError(-1,)`). */
  client_process?: { other_stdout?: string[] };
}

/** Whether a trace's script drives umqtt.robust rather than umqtt.simple. */
export function usesRobust(trace: Trace): boolean {
  return trace.script.some((l) => /^from umqtt\.robust import /.test(l));
}

/** The traces folder: `$UMQTT_TRACES`, else the copy in the repository, `hil/traces/`. */
export function tracesDir(): string {
  const env = process.env.UMQTT_TRACES;
  if (env) return resolve(env);
  return fileURLToPath(new URL("../../hil/traces/", import.meta.url));
}

/** Scenario names (file names without `.json`), sorted; empty if the folder is missing. */
export function listScenarios(dir: string = tracesDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

/** Read one trace. */
export function loadTrace(name: string, dir: string = tracesDir()): Trace {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as Trace;
}

// ------------------------------------------------------------ scripted broker

/** A broker packet and when the scripted broker may send it. */
export interface S2c {
  hex: string;
  /** Sent only once this many client packets arrived on the connection. */
  after: number;
  /** Sent only once the script reached this step. */
  at: number;
}

/** What one connection should carry. */
export interface ConnSpec {
  /** Expected client→broker packets, in order, as hex. */
  c2s: string[];
  /** Broker→client packets, in order. */
  s2c: S2c[];
  /** The broker closes the stream (FIN) after this many client packets, at this step. */
  brokerEnd: { after: number; at: number } | null;
}

/** Index of the script line that was running (or last started) at time `t`. */
function stepAt(trace: Trace, t: number): number {
  let at = 0;
  for (const c of trace.calls) if (c.t_ms <= t) at = c.i;
  return at;
}

/** The per-connection script exactly as recorded. */
export function connSpecs(trace: Trace): ConnSpec[] {
  const n = Math.max(-1, ...trace.connections.map((c) => c.conn), ...trace.packets.map((p) => p.conn)) + 1;
  const specs: ConnSpec[] = [];
  for (let conn = 0; conn < n; conn++) {
    const spec: ConnSpec = { c2s: [], s2c: [], brokerEnd: null };
    for (const p of trace.packets.filter((q) => q.conn === conn)) {
      if (p.hex === null) throw new Error(`${trace.scenario}: elided packet in conn ${conn} is not replayable`);
      if (p.dir === "c2s") spec.c2s.push(p.hex);
      else spec.s2c.push({ hex: p.hex, after: spec.c2s.length, at: stepAt(trace, p.t_ms) });
    }
    const ends = trace.connections.find((c) => c.conn === conn)?.ends;
    const s2c = ends?.s2c;
    if (s2c && !s2c.how.startsWith("closed by proxy")) {
      spec.brokerEnd = { after: spec.c2s.length, at: stepAt(trace, s2c.t_ms) };
    }
    specs.push(spec);
  }
  return specs;
}

/** Split a byte stream into whole MQTT packets; returns the packets and the unsplit rest. */
export function splitPackets(bytes: Uint8Array): { packets: Uint8Array[]; rest: Uint8Array } {
  const packets: Uint8Array[] = [];
  let off = 0;
  for (;;) {
    if (bytes.length - off < 2) break;
    let rl = 0;
    let mult = 1;
    let i = off + 1;
    let complete = false;
    for (let k = 0; k < 4 && i < bytes.length; k++, i++) {
      const b = bytes[i]!;
      rl += (b & 0x7f) * mult;
      mult *= 128;
      if ((b & 0x80) === 0) {
        complete = true;
        i++;
        break;
      }
    }
    if (!complete || bytes.length < i + rl) break;
    packets.push(bytes.slice(off, i + rl));
    off = i + rl;
  }
  return { packets, rest: bytes.slice(off) };
}

/** The broker side of one connection, answering per its {@linkcode ConnSpec}. */
export class ScriptedConn {
  readonly spec: ConnSpec;
  readonly transport: FakeTransport;
  /** Client packets received, as hex. */
  readonly received: string[] = [];
  #buf: Uint8Array = new Uint8Array(0);
  #next = 0;
  #ended = false;
  #step: () => number;

  constructor(spec: ConnSpec, transport: FakeTransport, step: () => number) {
    this.spec = spec;
    this.transport = transport;
    this.#step = step;
    transport.onWrite = (bytes) => {
      const all = new Uint8Array(this.#buf.length + bytes.length);
      all.set(this.#buf);
      all.set(bytes, this.#buf.length);
      const { packets, rest } = splitPackets(all);
      this.#buf = rest;
      for (const p of packets) this.received.push(toHex(p));
      this.pump();
    };
  }

  /** Bytes written that never formed a whole packet. */
  get leftover(): string {
    return toHex(this.#buf);
  }

  /** Send every broker packet that is due, as one chunk; then end the stream if due. */
  pump(): void {
    const step = this.#step();
    const due: string[] = [];
    while (this.#next < this.spec.s2c.length) {
      const s = this.spec.s2c[this.#next]!;
      if (s.after > this.received.length || s.at > step) break;
      due.push(s.hex);
      this.#next++;
    }
    if (due.length > 0 && !this.transport.closed) this.transport.receive(due.join(""));
    const end = this.spec.brokerEnd;
    if (
      end && !this.#ended && this.#next === this.spec.s2c.length && this.received.length >= end.after &&
      end.at <= step
    ) {
      this.#ended = true;
      this.transport.end();
    }
  }
}

// ------------------------------------------------------------- python subset

/** A parsed Python value or call. */
type Node =
  | { k: "lit"; v: unknown }
  | { k: "name"; name: string }
  | { k: "call"; fn: string; args: Node[]; kwargs: Record<string, Node> }
  | { k: "dict"; entries: [Node, Node][] }
  | { k: "add"; a: Node; b: Node }
  | { k: "mul"; a: Node; b: Node };

type Tok = { t: "str"; v: string; bytes: boolean } | { t: "num"; v: number } | { t: "name"; v: string } | {
  t: "p";
  v: string;
};

function unescape(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_m, e: string) => {
    if (e[0] === "x") return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: "\n", r: "\r", t: "\t", "0": "\0" } as Record<string, string>)[e] ?? e;
  });
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let s = src;
  while ((s = s.trimStart()).length > 0) {
    let m = /^(b?)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')/.exec(s);
    if (m) {
      out.push({ t: "str", v: unescape(m[2]!.slice(1, -1)), bytes: m[1] === "b" });
    } else if ((m = /^-?\d+(?:\.\d+)?/.exec(s))) {
      out.push({ t: "num", v: Number(m[0]) });
    } else if ((m = /^[A-Za-z_][\w.]*/.exec(s))) {
      out.push({ t: "name", v: m[0] });
    } else if ((m = /^[(),={}:+*]/.exec(s))) {
      out.push({ t: "p", v: m[0] });
    } else {
      throw new Error(`Cannot tokenize ${JSON.stringify(s)}`);
    }
    s = s.slice(m[0].length);
  }
  return out;
}

/** Parse one Python expression of the subset the trace scripts use. */
export function parseExpr(src: string): Node {
  const toks = tokenize(src);
  let i = 0;
  const peek = (v: string): boolean => toks[i]?.t === "p" && toks[i]!.v === v;
  const eat = (v: string): void => {
    if (!peek(v)) throw new Error(`Expected ${v} in ${JSON.stringify(src)}`);
    i++;
  };
  const expr = (): Node => {
    let a = term();
    while (peek("+")) {
      i++;
      a = { k: "add", a, b: term() };
    }
    return a;
  };
  const term = (): Node => {
    let a = atom();
    while (peek("*")) {
      i++;
      a = { k: "mul", a, b: atom() };
    }
    return a;
  };
  const atom = (): Node => {
    const t = toks[i++];
    if (!t) throw new Error(`Unexpected end of ${JSON.stringify(src)}`);
    if (t.t === "str") return { k: "lit", v: t.bytes ? Uint8Array.from(t.v, (c) => c.charCodeAt(0)) : t.v };
    if (t.t === "num") return { k: "lit", v: t.v };
    if (t.t === "p" && t.v === "{") {
      const entries: [Node, Node][] = [];
      while (!peek("}")) {
        const key = expr();
        eat(":");
        entries.push([key, expr()]);
        if (peek(",")) i++;
      }
      eat("}");
      return { k: "dict", entries };
    }
    if (t.t !== "name") throw new Error(`Unexpected ${t.v} in ${JSON.stringify(src)}`);
    if (t.v === "True" || t.v === "False") return { k: "lit", v: t.v === "True" };
    if (t.v === "None") return { k: "lit", v: null };
    if (!peek("(")) return { k: "name", name: t.v };
    i++;
    const args: Node[] = [];
    const kwargs: Record<string, Node> = {};
    while (!peek(")")) {
      const kw = toks[i];
      if (kw?.t === "name" && toks[i + 1]?.t === "p" && toks[i + 1]!.v === "=") {
        i += 2;
        kwargs[kw.v] = expr();
      } else {
        args.push(expr());
      }
      if (peek(",")) i++;
    }
    eat(")");
    return { k: "call", fn: t.v, args, kwargs };
  };
  const n = expr();
  if (i !== toks.length) throw new Error(`Trailing tokens in ${JSON.stringify(src)}`);
  return n;
}

/** Python `repr()` of bytes, as in the trace's `callbacks`. */
export function reprBytes(b: Uint8Array): string {
  let s = "";
  for (const x of b) {
    if (x === 0x5c) s += "\\\\";
    else if (x === 0x27) s += "\\'";
    else if (x === 0x0a) s += "\\n";
    else if (x === 0x0d) s += "\\r";
    else if (x === 0x09) s += "\\t";
    else if (x >= 0x20 && x < 0x7f) s += String.fromCharCode(x);
    else s += "\\x" + x.toString(16).padStart(2, "0");
  }
  return `b'${s}'`;
}

/** The trace's rendering of a callback message (repr, or `<N bytes sha256=…>` over 96 bytes). */
export function traceMsgRepr(b: Uint8Array): string {
  if (b.length <= 96) return reprBytes(b);
  return `<${b.length} bytes sha256=${createHash("sha256").update(b).digest("hex")}>`;
}

// ------------------------------------------------------------------ replaying

/** The outcome of one script line under our shim. */
export type Outcome =
  | { kind: "value"; value: unknown }
  | { kind: "error"; error: unknown }
  | { kind: "pending"; promise: Promise<unknown> }
  | { kind: "statement" };

/** One line umqtt.robust's `log()` printed (DEBUG on): where, and with which error. */
export interface LogLine {
  step: number;
  in_reconnect: boolean;
  error: unknown;
}

/** One recorded callback invocation. */
export interface Delivery {
  step: number;
  topic: string;
  msg: string;
}

/** State shared by one replay. */
export class Replay {
  readonly trace: Trace;
  readonly specs: ConnSpec[];
  readonly conns: ScriptedConn[] = [];
  readonly options: TransportConnectOptions[] = [];
  readonly deliveries: Delivery[] = [];
  /** What robust clients logged with `DEBUG` on (their `log()` is recorded instead of printed). */
  readonly logs: LogLine[] = [];
  /** Build `/robust` clients (the script imports `umqtt.robust`). */
  readonly robust: boolean;
  readonly vars = new Map<string, unknown>();
  /** Transports opened by each client variable. */
  readonly clientConns = new Map<unknown, ScriptedConn[]>();
  /** Constructor arguments per client, to rebuild it (`c.keepalive = N`). */
  readonly ctorArgs = new Map<unknown, Record<string, unknown>>();
  step = 0;

  constructor(trace: Trace, specs: ConnSpec[]) {
    this.trace = trace;
    this.specs = specs;
    this.robust = usesRobust(trace);
  }

  /** A transport factory for one client: each connection gets the next scripted broker. */
  factoryFor(owner: () => unknown): TransportFactory {
    return (opts) => {
      const idx = this.conns.length;
      const spec = this.specs[idx];
      if (!spec) return Promise.reject(new Error(`Connection ${idx} is not in the script`));
      const t = new FakeTransport();
      const conn = new ScriptedConn(spec, t, () => this.step);
      this.conns.push(conn);
      this.options.push(opts);
      const o = owner();
      const list = this.clientConns.get(o) ?? [];
      list.push(conn);
      this.clientConns.set(o, list);
      return Promise.resolve(t);
    };
  }

  /** Release everything due on every connection. */
  pump(): void {
    for (const c of this.conns) c.pump();
  }

  #eval(n: Node): unknown {
    switch (n.k) {
      case "lit":
        return n.v;
      case "dict": {
        const o: Record<string, unknown> = {};
        for (const [k, v] of n.entries) o[String(this.#eval(k))] = this.#eval(v);
        return o;
      }
      case "add": {
        const a = this.#eval(n.a);
        const b = this.#eval(n.b);
        if (a instanceof Uint8Array && b instanceof Uint8Array) {
          const r = new Uint8Array(a.length + b.length);
          r.set(a);
          r.set(b, a.length);
          return r;
        }
        throw new Error("Unsupported +");
      }
      case "mul": {
        const a = this.#eval(n.a);
        const b = this.#eval(n.b);
        if (a instanceof Uint8Array && typeof b === "number") {
          const r = new Uint8Array(a.length * b);
          for (let k = 0; k < b; k++) r.set(a, k * a.length);
          return r;
        }
        throw new Error("Unsupported *");
      }
      case "name": {
        if (n.name === "cb") return this.callback;
        const [obj, attr] = n.name.split(".");
        const v = this.vars.get(obj!);
        if (attr === undefined) {
          if (!this.vars.has(obj!)) throw new Error(`Unknown name ${n.name}`);
          return v;
        }
        if (attr === "pid" && v instanceof MQTTClient) return v.pid;
        throw new Error(`Unsupported attribute ${n.name}`);
      }
      case "call":
        return this.#call(n);
    }
  }

  /** The script's `cb(topic, msg)`. */
  readonly callback = (topic: Uint8Array, msg: Uint8Array): void => {
    this.deliveries.push({ step: this.step, topic: reprBytes(topic), msg: traceMsgRepr(msg) });
  };

  #newClient(args: Record<string, unknown>): MQTTClient {
    let self: MQTTClient | null = null;
    const sslParams: SslParams = { ...(args.ssl_params as SslParams ?? {}), transport: this.factoryFor(() => self) };
    self = new (this.robust ? RobustClient : MQTTClient)(
      args.client_id as string,
      args.server as string,
      args.port as number | undefined,
      args.user as string | null | undefined,
      args.password as string | null | undefined,
      args.keepalive as number | undefined,
      args.ssl as boolean | undefined,
      sslParams,
    );
    this.ctorArgs.set(self, args);
    if (self instanceof RobustClient) {
      const c = self;
      c.log = (in_reconnect: boolean, error: unknown): void => {
        if (c.DEBUG) this.logs.push({ step: this.step, in_reconnect, error });
      };
    }
    return self;
  }

  #call(n: Extract<Node, { k: "call" }>): unknown {
    const args = n.args.map((a) => this.#eval(a));
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(n.kwargs)) kwargs[k] = this.#eval(v);
    const named = (names: string[]): Record<string, unknown> => {
      const o: Record<string, unknown> = {};
      names.forEach((name, idx) => {
        if (idx < args.length) o[name] = args[idx];
      });
      for (const [k, v] of Object.entries(kwargs)) {
        if (!names.includes(k)) throw new Error(`Unknown keyword ${k} in ${n.fn}()`);
        o[k] = v;
      }
      return o;
    };
    const positional = (names: string[]): unknown[] => {
      const o = named(names);
      const last = names.reduce((m, name, idx) => (name in o ? idx : m), -1);
      return names.slice(0, last + 1).map((name) => o[name]);
    };
    switch (n.fn) {
      case "MQTTClient":
        return this.#newClient(
          named(["client_id", "server", "port", "user", "password", "keepalive", "ssl", "ssl_params"]),
        );
      case "sync":
      case "sleep":
        return null;
      case "payload":
        return Uint8Array.from({ length: args[0] as number }, (_, k) => k & 0xff);
    }
    const parts = n.fn.split(".");
    const c = this.vars.get(parts[0]!);
    if (!(c instanceof MQTTClient)) throw new Error(`Unsupported call ${n.fn}`);
    if (parts.length === 3 && parts[1] === "sock" && parts[2] === "close") {
      // umqtt's `c.sock.close()`: the shim's own `sock.close()` drops the link without DISCONNECT.
      c.sock.close();
      return null;
    }
    const method = parts[1]!;
    const params: Record<string, string[]> = {
      connect: ["clean_session", "timeout"],
      disconnect: [],
      ping: [],
      publish: ["topic", "msg", "retain", "qos"],
      subscribe: ["topic", "qos"],
      unsubscribe: ["topic"],
      set_callback: ["f"],
      set_last_will: ["topic", "msg", "retain", "qos"],
      wait_msg: [],
      check_msg: [],
    };
    const names = params[method];
    if (!names || parts.length !== 2) throw new Error(`Unsupported call ${n.fn}`);
    const fn = (c as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
    return fn.apply(c, positional(names));
  }

  /** Run one script line (statement or expression); returns its outcome. */
  async run(code: string): Promise<Outcome> {
    const loop = /^for \w+ in range\((\d+)\):\s*(.*)$/.exec(code);
    if (loop) {
      for (let k = 0; k < Number(loop[1]); k++) {
        for (const part of loop[2]!.split(";")) {
          const o = await this.run(part.trim());
          if (o.kind === "error") return o;
          if (o.kind === "pending") return { kind: "error", error: new Error(`${part.trim()} did not settle`) };
        }
      }
      return { kind: "statement" };
    }
    if (/^(from|import)\s/.test(code)) return { kind: "statement" };
    const assign = /^([A-Za-z_][\w.]*)\s*=(?!=)\s*(.*)$/.exec(code);
    let value: unknown;
    try {
      if (assign) {
        const [target, src] = [assign[1]!, assign[2]!];
        const v = this.#eval(parseExpr(src));
        const [obj, attr] = target.split(".");
        if (attr === undefined) {
          this.vars.set(obj!, v);
        } else {
          const c = this.vars.get(obj!);
          if (!(c instanceof MQTTClient)) throw new Error(`Unsupported assignment ${code}`);
          if (attr === "pid") c.pid = v as number;
          else if (attr === "keepalive") {
            // The shim takes keepalive in the constructor only: rebuild the client with the same arguments.
            const args = { ...this.ctorArgs.get(c), keepalive: v };
            const fresh = this.#newClient(args);
            this.vars.set(obj!, fresh);
          } else if (attr === "DEBUG" && c instanceof RobustClient) c.DEBUG = v as boolean;
          else if (attr === "DELAY" && c instanceof RobustClient) c.DELAY = v as number;
          else throw new Error(`Unsupported assignment ${code}`);
        }
        return { kind: "statement" };
      }
      value = this.#eval(parseExpr(code));
    } catch (error) {
      return { kind: "error", error };
    }
    if (!(value instanceof Promise)) return { kind: "value", value };
    return await this.settle(value);
  }

  /** Let a promise settle through microtasks and macrotasks (the fakes never need real time). */
  async settle(p: Promise<unknown>): Promise<Outcome> {
    let out: Outcome | null = null;
    p.then((value) => (out = { kind: "value", value }), (error) => (out = { kind: "error", error }));
    for (let k = 0; k < 20 && out === null; k++) {
      this.pump();
      await flush();
    }
    return out ?? { kind: "pending", promise: p };
  }
}

/** Hex to bytes (re-exported for the tests). */
export { hex };
