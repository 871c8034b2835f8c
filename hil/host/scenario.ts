/**
 * Scenario files (hil/scenarios/*.json) and the runner that drives OUR
 * client through them with umqtt.simple's vocabulary (src/umqtt.ts), or
 * umqtt.robust's (src/robust.ts) when the scenario's `module` says so.
 *
 * A scenario lists steps; a step with `i` is compared with the reference
 * trace's `calls[i]` (same script line). Side actions (mosquitto_pub /
 * mosquitto_sub observers) talk straight to the broker, as in the recording.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { MQTTClient, MQTTException } from "../../src/umqtt.ts";
import { MQTTClient as RobustClient } from "../../src/robust.ts";
import { connectNative } from "../../src/transport/mod.ts";
import type { Transport, TransportConnectOptions } from "../../src/transport/mod.ts";
import type { Endpoint } from "./broker.ts";
import type { TimingCheck } from "./compare.ts";
import { fromHex } from "./hex.ts";
import { bytesRepr, msgRepr, type ObsCall, type ObsCallback, type ObsLog, type ObsSide } from "./observed.ts";

/** A step argument in JSON. */
export type Arg =
  | string
  | number
  | boolean
  | null
  | { b: string }
  | { hex: string }
  | { payload: number }
  | { var: string }
  | { concat: Arg[] }
  | { repeat: string; n: number };

/** One scenario step. */
export interface Step {
  /** Index of the script line in the reference trace this step mirrors. */
  i?: number;
  /** connect | disconnect | ping | publish | subscribe | unsubscribe | wait_msg | check_msg |
   * set_callback | set_last_will | client | set_keepalive | get_pid | set_pid | sock_close |
   * set_attr (umqtt.robust's DEBUG / DELAY) | sleep | sync | let | repeat */
  op: string;
  /** Client variable (default "c"). */
  client?: string;
  args?: Arg[];
  /** For op client: keyword arguments (keepalive, user, password, ssl, ssl_params). */
  kw?: Record<string, unknown>;
  /** For sleep: seconds. */
  s?: number;
  /** For sync: the side-action tag. */
  tag?: string;
  /** For let: the variable name and value; for set_attr: the attribute and value. */
  name?: string;
  value?: Arg;
  /** For repeat: how often and what. */
  n?: number;
  steps?: Step[];
  /** For sync: wait this long after the side actions (seconds). */
  after_s?: number;
  /** Longest time this step may take before it counts as hung (seconds). */
  timeout_s?: number;
}

/** A side action: a mosquitto_pub/mosquitto_sub command; `$BROKER_PORT` is substituted. */
export interface SideAction {
  at: string;
  cmd: string[];
}

/** A scenario file. */
export interface Scenario {
  scenario: string;
  /** Reference trace file name in the traces directory. */
  trace: string;
  endpoint: Endpoint;
  description: string;
  /** The MicroPython module the trace's script imports, and so the client to drive. @default "umqtt.simple" */
  module?: "umqtt.simple" | "umqtt.robust";
  /** Default step timeout (seconds). @default 5 */
  step_timeout_s?: number;
  timing?: TimingCheck[];
  side_actions?: SideAction[];
  steps: Step[];
}

/** Where and how to reach the client-facing end of the tap. */
export interface RunTarget {
  host: string;
  /** Port our client connects to (the tap, or the TLS terminator for tls). */
  port: number;
  /** Broker anon port for side actions (they bypass the tap). */
  brokerPort: number;
  /** Broker host for side actions. */
  brokerHost: string;
  /** PEM CA for tls scenarios. */
  caPem?: string;
}

/** What one run of a scenario's steps produced. */
export interface StepsResult {
  calls: ObsCall[];
  callbacks: ObsCallback[];
  sides: ObsSide[];
  /** umqtt.robust's DEBUG lines, normalised like the trace's (`mqtt: OSError`). */
  logs: ObsLog[];
  /** Wall-clock ms (performance.now()) when the steps started. */
  t0: number;
}

class Hung extends Error {}

function ourOutcome(v: unknown): { outcome: string; raw: string } {
  if (v === undefined || v === null) return { outcome: "None", raw: String(v) };
  if (typeof v === "boolean") return { outcome: `int ${v ? 1 : 0}`, raw: String(v) };
  if (typeof v === "number") return { outcome: `int ${v}`, raw: String(v) };
  return { outcome: "value", raw: JSON.stringify(v) };
}

function ourError(e: unknown): { outcome: string; raw: string } {
  if (e instanceof Hung) return { outcome: "hung", raw: e.message };
  if (e instanceof MQTTException) {
    return { outcome: `MQTTException ${(e as { code: number }).code}`, raw: `${e.name}: ${e.message}` };
  }
  if (e instanceof TypeError || e instanceof RangeError) return { outcome: e.name, raw: `${e.name}: ${e.message}` };
  const err = e as Error;
  // Connection-level failures: umqtt raises OSError for these.
  return { outcome: "OSError", raw: `${err?.name ?? "Error"}: ${err?.message ?? String(e)}` };
}

const enc = new TextEncoder();

/** Resolve a JSON argument to a value for the client. */
export function resolveArg(a: Arg, vars: Map<string, Uint8Array>): string | number | boolean | null | Uint8Array {
  if (a === null || typeof a !== "object") return a;
  if ("b" in a) return Uint8Array.from(a.b, (ch) => ch.charCodeAt(0));
  if ("hex" in a) return fromHex(a.hex);
  if ("payload" in a) return Uint8Array.from({ length: a.payload }, (_, k) => k & 0xff);
  if ("var" in a) {
    const v = vars.get(a.var);
    if (!v) throw new TypeError(`Scenario uses variable "${a.var}" before a let step defines it`);
    return v;
  }
  if ("repeat" in a) return enc.encode(a.repeat.repeat(a.n));
  if ("concat" in a) {
    const parts = a.concat.map((x) => {
      const v = resolveArg(x, vars);
      if (v instanceof Uint8Array) return v;
      return enc.encode(String(v));
    });
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
  throw new TypeError(`Unknown scenario argument ${JSON.stringify(a)}`);
}

/** Describe a step like the Python line it mirrors (for reports). */
export function stepCode(s: Step): string {
  const args = (s.args ?? []).map((a) => JSON.stringify(a)).join(", ");
  return `${s.client ?? "c"}.${s.op}(${args})`;
}

const DEBUG_LINE = /^(Client \S* (sending|received) |Subscribed \(mid: )/;

function runCmd(
  cmd: string[],
  debugObserver = false,
): { done: Promise<{ rc: number; stdout: string[] }>; subscribed: Promise<void> } {
  // An observer runs with -d under stdbuf so its "Subscribed" line arrives at
  // once; the debug lines are removed from the stdout compared with the trace.
  const argv = debugObserver ? ["stdbuf", "-oL", ...cmd, "-d"] : cmd;
  const p = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let onSub: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => (onSub = resolve));
  p.stdout?.on("data", (d: Uint8Array) => {
    out += new TextDecoder().decode(d);
    if (/^Subscribed \(mid: /m.test(out)) onSub();
  });
  const done = new Promise<{ rc: number; stdout: string[] }>((resolve) => {
    // "close", not "exit": the last lines (the observer prints a message and exits at once with -C) may still be
    // in the pipe at "exit".
    p.once("close", (code) => {
      onSub();
      const lines = out.split("\n").filter((l) => !(debugObserver && DEBUG_LINE.test(l)));
      if (lines.at(-1) === "") lines.pop();
      resolve({ rc: code ?? -1, stdout: lines });
    });
    p.once("error", (e) => {
      onSub();
      resolve({ rc: -1, stdout: [`cannot run ${cmd[0]}: ${e.message}`] });
    });
  });
  return { done, subscribed };
}

/**
 * Drive our client through a scenario.
 *
 * @param sc The scenario.
 * @param target Where the tap (or TLS terminator) and broker are.
 * @returns Calls, callbacks and side actions, in the trace's vocabulary.
 */
export async function runSteps(sc: Scenario, target: RunTarget): Promise<StepsResult> {
  const clients = new Map<string, MQTTClient | Error>();
  const made = new Map<string, { args: Arg[]; kw: Record<string, unknown> }>();
  const transports = new Map<string, Transport[]>();
  const vars = new Map<string, Uint8Array>();
  const calls: ObsCall[] = [];
  const rawCallbacks: { during: number; topic: Uint8Array; msg: Uint8Array }[] = [];
  const sides: ObsSide[] = [];
  const logs: ObsLog[] = [];
  const background: Promise<void>[] = [];
  let current = -1;
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const defaultTimeout = (sc.step_timeout_s ?? 5) * 1000;

  const sub = (cmd: string[]): string[] =>
    cmd.map((x) => x === "$BROKER_PORT" ? String(target.brokerPort) : x === "$BROKER_HOST" ? target.brokerHost : x);

  const runSide = async (tag: string): Promise<void> => {
    for (const sa of (sc.side_actions ?? []).filter((x) => x.at === tag)) {
      const cmd = sub(sa.cmd);
      if (tag === "setup" && cmd[0] === "mosquitto_sub") {
        const r = runCmd(cmd, true);
        background.push(r.done.then((x) => void sides.push({ at: sa.at, cmd: sa.cmd, ...x })));
        let timer: ReturnType<typeof setTimeout> | undefined;
        const ok = await Promise.race([
          r.subscribed.then(() => true),
          new Promise<boolean>((res) => (timer = setTimeout(() => res(false), 3000))),
        ]);
        clearTimeout(timer);
        if (!ok) throw new Error(`Observer did not subscribe within 3 s: ${cmd.join(" ")}`);
      } else {
        const r = await runCmd(cmd).done;
        sides.push({ at: sa.at, cmd: sa.cmd, ...r });
      }
    }
  };

  const makeClient = (name: string, args: Arg[], kw: Record<string, unknown>): MQTTClient => {
    const id = resolveArg(args[0] ?? "", vars);
    const list: Transport[] = [];
    transports.set(name, list);
    const transport = async (o: TransportConnectOptions): Promise<Transport> => {
      const t = await connectNative(o);
      list.push(t);
      return t;
    };
    let ssl: boolean | { caCerts: string[] } = false;
    const sslParams: Record<string, unknown> = { transport };
    if (kw.ssl === "context") {
      ssl = { caCerts: [target.caPem ?? ""] };
    } else if (kw.ssl === true) {
      ssl = true;
      sslParams.cadata = target.caPem;
      Object.assign(sslParams, (kw.ssl_params as Record<string, unknown>) ?? {});
    }
    const user = kw.user === undefined ? null : resolveArg(kw.user as Arg, vars);
    const password = kw.password === undefined ? null : resolveArg(kw.password as Arg, vars);
    const c = new (sc.module === "umqtt.robust" ? RobustClient : MQTTClient)(
      id as string | Uint8Array,
      target.host,
      target.port,
      user as string | Uint8Array | null,
      password as string | Uint8Array | null,
      (kw.keepalive as number | undefined) ?? 0,
      ssl,
      sslParams,
    );
    if (c instanceof RobustClient) {
      // What umqtt.robust would print with DEBUG on, recorded for comparison instead of printed.
      c.log = (inReconnect: boolean, e: unknown): void => {
        if (!c.DEBUG) return;
        const prefix = inReconnect ? "mqtt reconnect" : "mqtt";
        const { outcome, raw } = ourError(e);
        logs.push({ during: current, line: `${prefix}: ${outcome}`, raw: `${prefix}: ${raw}` });
      };
    }
    return c;
  };

  const get = (name: string): MQTTClient => {
    const c = clients.get(name);
    if (c === undefined) throw new TypeError(`Scenario uses client "${name}" before a client step creates it`);
    if (c instanceof Error) throw c; // construction failed: every use fails the same way
    return c;
  };

  const exec = async (s: Step): Promise<unknown> => {
    const name = s.client ?? "c";
    const a = (s.args ?? []).map((x) => resolveArg(x, vars));
    switch (s.op) {
      case "client": {
        made.set(name, { args: s.args ?? [], kw: s.kw ?? {} });
        try {
          clients.set(name, makeClient(name, s.args ?? [], s.kw ?? {}));
        } catch (e) {
          clients.set(name, e as Error);
          throw e;
        }
        return undefined;
      }
      case "set_keepalive": {
        // umqtt: `c.keepalive = N` then connect(); ours: a new client with that keepalive
        const old = clients.get(name);
        const prev = made.get(name);
        if (!prev) throw new TypeError(`set_keepalive on client "${name}" before a client step creates it`);
        try {
          const c = makeClient(name, prev.args, { ...prev.kw, keepalive: a[0] });
          if (old instanceof MQTTClient) c.pid = old.pid;
          clients.set(name, c);
        } catch (e) {
          clients.set(name, e as Error);
        }
        return undefined;
      }
      case "set_callback":
        get(name).set_callback((topic, msg) =>
          rawCallbacks.push({ during: current, topic: topic.slice(), msg: msg.slice() })
        );
        return undefined;
      case "set_last_will":
        return get(name).set_last_will(
          a[0] as string,
          a[1] as string,
          (a[2] as boolean) ?? false,
          (a[3] as 0 | 1 | 2) ?? 0,
        );
      case "connect":
        return await get(name).connect((a[0] as boolean | undefined) ?? true);
      case "disconnect":
        return await get(name).disconnect();
      case "ping":
        return await get(name).ping();
      case "publish":
        return await get(name).publish(
          a[0] as string,
          a[1] as string,
          (a[2] as boolean) ?? false,
          (a[3] as 0 | 1 | 2) ?? 0,
        );
      case "subscribe":
        return await get(name).subscribe(a[0] as string, (a[1] as 0 | 1 | 2) ?? 0);
      case "unsubscribe":
        return await get(name).unsubscribe(a[0] as string);
      case "wait_msg":
        return await get(name).wait_msg();
      case "check_msg":
        return await get(name).check_msg();
      case "set_attr": {
        const c = get(name);
        if (!(c instanceof RobustClient)) {
          throw new TypeError(`set_attr needs a umqtt.robust client: set "module": "umqtt.robust" in ${sc.scenario}`);
        }
        const v = resolveArg(s.value ?? null, vars);
        if (s.name === "DEBUG" && typeof v === "boolean") c.DEBUG = v;
        else if (s.name === "DELAY" && typeof v === "number") c.DELAY = v;
        else throw new TypeError(`set_attr supports DEBUG (boolean) and DELAY (seconds), got ${s.name} = ${String(v)}`);
        return undefined;
      }
      case "get_pid":
        return get(name).pid;
      case "set_pid":
        get(name).pid = a[0] as number;
        return undefined;
      case "sock_close": {
        // umqtt: c.sock.close() — close the socket without DISCONNECT
        const list = transports.get(name) ?? [];
        const t = list.at(-1);
        if (!t) {
          // our client rejected the call before opening a socket (e.g. b2's keepalive=65536)
          if (clients.get(name) instanceof Error) return undefined;
          throw new TypeError(`Client "${name}" has no socket to close`);
        }
        get(name).sock.close(); // the shim's umqtt-style sock.close(): no DISCONNECT, the will goes out
        return undefined;
      }
      case "sleep":
        await new Promise((r) => setTimeout(r, (s.s ?? 0) * 1000));
        return undefined;
      case "sync":
        await runSide(s.tag ?? "");
        // the recorder's driver let the broker deliver before resuming the script
        if (s.after_s) await new Promise((r) => setTimeout(r, s.after_s! * 1000));
        return undefined;
      case "let":
        vars.set(s.name ?? "", resolveArg(s.value ?? null, vars) as Uint8Array);
        return undefined;
      case "repeat":
        for (let k = 0; k < (s.n ?? 0); k++) for (const inner of s.steps ?? []) await exec(inner);
        return undefined;
    }
    throw new TypeError(`Unknown scenario op "${s.op}" in ${sc.scenario}`);
  };

  await runSide("setup");
  for (const s of sc.steps) {
    if (s.i !== undefined) current = s.i;
    const t_ms = now();
    const timeout = s.timeout_s !== undefined ? s.timeout_s * 1000 : defaultTimeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Hung(`step did not finish within ${timeout} ms`)), timeout);
    });
    let res: { outcome: string; raw: string };
    try {
      res = ourOutcome(await Promise.race([exec(s), limit]));
    } catch (e) {
      res = ourError(e);
    } finally {
      clearTimeout(timer);
    }
    if (s.i !== undefined) {
      calls.push({ i: s.i, code: stepCode(s), ...res, t_ms, t_end_ms: res.outcome === "hung" ? null : now() });
    }
  }
  await runSide("teardown");
  await Promise.all(background);
  // Like the reference runner's process exit: the OS closes whatever is still open.
  for (const list of transports.values()) {
    for (const t of list) {
      try {
        t.close();
      } catch {
        // already closed
      }
    }
  }
  const callbacks: ObsCallback[] = [];
  for (const c of rawCallbacks) {
    callbacks.push({ during: c.during, topic: bytesRepr(c.topic), msg: await msgRepr(c.msg) });
  }
  return { calls, callbacks, sides, logs, t0 };
}
