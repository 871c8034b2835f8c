/**
 * Replays every umqtt.simple 1.8.0 / umqtt.robust 1.0.3 wire trace in
 * `hil/traces/` (or `$UMQTT_TRACES`) against the
 * `/umqtt` shim, or `/robust` when the script imports `umqtt.robust`: the
 * trace's own script lines drive the shim, the recorded broker bytes answer
 * it, and the client bytes must equal the recording per connection. For
 * robust traces the DEBUG lines (`client_process.other_stdout`) must match
 * what our `log()` was called with. Where we deliberately differ (docs/known-divergences.md) the
 * scenario's entry below states the exact bytes and results we produce
 * instead.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionClosedError, MQTTException } from "../../src/codec/errors.ts";
import { MQTTClient } from "../../src/umqtt.ts";
import { flush } from "../_fake.ts";
import {
  type ConnSpec,
  connSpecs,
  listScenarios,
  loadTrace,
  type LogLine,
  type Outcome,
  Replay,
  tracesDir,
  usesRobust,
} from "./_trace.ts";

/** What one script line must do under our shim. */
type Expect =
  | { value: unknown }
  | { error: ErrorConstructor | typeof ConnectionClosedError | typeof MQTTException; match?: RegExp; code?: number }
  | { none: true }
  | { pending: true }
  | { statement: true };

interface Scenario {
  /** The connections we produce, when they differ from the recording. */
  conns?: (recorded: ConnSpec[]) => ConnSpec[];
  /** Our outcome per script line where its meaning differs from the recording. */
  steps?: Record<number, Expect>;
  /** Replace a script line that uses MicroPython-only machinery (the ssl module). */
  run?: Record<number, (r: Replay) => Outcome | Promise<Outcome>>;
  /** Our callback invocations, when they differ. */
  callbacks?: { step: number; topic: string; msg: string }[];
  /** Connections still open when the script ends (all others must be closed). */
  openAtEnd?: number[];
  /** Script lines during which robust's `log()` ran, in order (the trace's DEBUG lines name none). */
  logSteps?: number[];
  /** Our robust `log()` calls (see {@linkcode ourLog}) when they differ from the trace's DEBUG lines. */
  logs?: string[];
  /** Extra checks after the replay. */
  check?: (r: Replay) => void;
}

const CONNACK = "20020000";
const only = (c2s: string[], s2c: string[]): ConnSpec => ({
  c2s,
  s2c: s2c.map((hex, k) => ({ hex, after: k + 1, at: 0 })),
  brokerEnd: null,
});
const closed = { error: ConnectionClosedError } as const;
const wildcard = { error: RangeError, match: /must not contain wildcards \[MQTT-3\.3\.2-2\]/ } as const;

/** Every trace file must have an entry; `{}` means "replays exactly as recorded". */
const SCENARIOS: Record<string, Scenario> = {
  "a1-connect-clean-keepalive0": {},
  "b1-connect-auth-keepalive60": {},
  "b2-keepalive-encoding": {
    // keepalive 65536: RangeError when the client is made, before any TCP connect (umqtt: assert after connecting).
    conns: (rec) => rec.slice(0, 4),
    steps: {
      13: { error: RangeError, match: /keepalive must be an integer number of seconds in 0\.\.65535, got 65536/ },
      14: { error: RangeError, match: /keepalive .* got 65536/ },
    },
    run: {
      14: (r) => {
        try {
          new MQTTClient("umqtt-b2", "127.0.0.1", 28840, null, null, 65536, false, {
            transport: r.factoryFor(() => null),
          });
          return { kind: "value", value: "constructed" };
        } catch (error) {
          return { kind: "error", error };
        }
      },
    },
  },
  "d1-last-will-abrupt-close": {},
  "d2-will-flags-graceful-disconnect": {
    steps: {
      17: { error: RangeError, match: /qos must be 0, 1 or 2, got 3/ },
      18: { error: RangeError, match: /empty topic/ },
    },
  },
  "e1-publish-qos0-retain": {},
  "f1-publish-qos1": {},
  "f2-packet-id-wraparound": {
    // 65535 wraps to 1 (umqtt writes 0, which mosquitto rejects by closing the connection).
    conns: (rec) => [{
      c2s: [...rec[0]!.c2s.slice(0, 3), "3217000a756d7174742f66322f7400017069642d3635353336"],
      s2c: [...rec[0]!.s2c, { hex: "40020001", after: 4, at: 0 }],
      brokerEnd: null,
    }],
    steps: { 7: { value: undefined }, 8: { value: 1 } },
    openAtEnd: [0],
  },
  "h1-subscribe-retained-on-subscribe": {},
  "h2-receive-qos0-qos1": {},
  "i1-ping-wait-msg": {},
  "j1-check-msg": {},
  "n1-unsubscribe": {},
  "n10-subscribe-long-topic": {},
  "n2-tls": {
    // The ssl module is MicroPython's; its SSLContext with a loaded CA maps to TlsOptions.caCerts.
    run: {
      1: () => ({ kind: "statement" }),
      2: (r) => {
        r.vars.set("ctx", { caCerts: ["-----BEGIN CERTIFICATE-----\ntrace-ca\n-----END CERTIFICATE-----\n"] });
        return { kind: "statement" };
      },
      3: () => ({ kind: "statement" }),
      4: () => ({ kind: "value", value: null }),
    },
    check: (r) => {
      assert.deepEqual(r.options.map((o) => [o.host, o.port]), [["127.0.0.1", 28842], ["127.0.0.1", 28842]]);
      assert.deepEqual(r.options[0]!.tls?.caCerts, [
        "-----BEGIN CERTIFICATE-----\ntrace-ca\n-----END CERTIFICATE-----\n",
      ]);
      assert.equal(r.options[1]!.tls?.serverName, "127.0.0.1");
    },
  },
  "n3-publish-qos2-desync": {
    // Full QoS 2 flow: PUBREC is answered with PUBREL and publish() resolves on PUBCOMP.
    conns: (rec) => [
      only(
        [rec[0]!.c2s[0]!, "3412000a756d7174742f6e332f740001716f7332", "62020001", "e000"],
        [CONNACK, "50020001", "70020001"],
      ),
    ],
    steps: {
      4: { value: undefined },
      7: { pending: true },
      8: { value: null },
      9: { value: null },
      10: { value: null },
    },
  },
  "n4-receive-qos2": {
    // Incoming QoS 2: PUBREC after the callback, PUBCOMP for the broker's PUBREL.
    conns: (rec) => [{
      c2s: [...rec[0]!.c2s.slice(0, 2), "50020001", "70020001", "e000"],
      s2c: [...rec[0]!.s2c, { hex: "62020001", after: 3, at: 0 }],
      brokerEnd: null,
    }],
    steps: { 6: { value: 0x34 }, 8: { value: 0x62 } },
  },
  "n5-suback-failure": {},
  "n6-keepalive-expiry": {},
  "n7-publish-qos1-with-echo": {},
  "n8-connect-twice-and-use-after-disconnect": {
    // A second disconnect() is a no-op (umqtt: OSError(9) from the closed socket).
    steps: { 6: { value: undefined } },
  },
  "n9-invalid-topic-disconnect": {
    // Topics are validated before anything is written; the connection stays up.
    conns: () => [only(["101400044d515454040200000008756d7174742d6e39"], [CONNACK])].flatMap((c) => [c, c, c]),
    steps: {
      4: wildcard,
      6: wildcard,
      8: { value: null },
      10: { error: RangeError, match: /"#" must be the whole last level \[MQTT-4\.7\.1-2\]/ },
      11: { value: 0 },
    },
    openAtEnd: [2],
  },
  // umqtt.robust traces, driven through src/robust.ts.
  "o1-robust-basic": { logSteps: [] },
  // check_msg() (line 8) and wait_msg() (line 13) each log the lost connection once and reconnect with
  // clean session 0; the bytes of all four connections are the recorded ones.
  "o2-robust-reconnect": { logSteps: [8, 13] },
  // The takeover's FIN is read before line 7 runs, so publish() fails before writing anything, logs,
  // reconnects and publishes on connection 1 with packet id 2, DUP 0: the recorded bytes.
  "o3-robust-publish-reconnect": {
    logSteps: [7],
    check: (r) => assert.equal((r.vars.get("c") as MQTTClient).pid, 2, "o3: the failed attempt consumed no id"),
  },
  "o4-robust-publish-qos1-hang": {
    // umqtt.robust writes PUBLISH to "umqtt/o4/#", mosquitto drops it, robust reconnects (conn 1) and
    // waits forever for a PUBACK. Ours rejects the wildcard topic with RangeError before writing
    // anything; RangeError is not a network error, so nothing is logged and there is no reconnect.
    conns: (rec) => [only([rec[0]!.c2s[0]!], [CONNACK])],
    steps: { 5: wildcard },
    openAtEnd: [0],
    logs: [],
    logSteps: [],
  },
};

/** The meaning of a recorded result in our API. */
function recordedExpect(code: string, result: string | undefined, exception: string | undefined): Expect {
  if (exception !== undefined) {
    if (exception === "AssertionError()") return { error: RangeError };
    if (exception.startsWith("OSError(")) return closed;
    const m = /^MQTTException\((\d+),\)$/.exec(exception);
    if (m) return { error: MQTTException, code: Number(m[1]) };
    throw new Error(`No mapping for exception ${exception}`);
  }
  if (result === undefined) return { statement: true };
  if (result === "None") return /\.(wait_msg|check_msg)\(/.test(code) ? { value: null } : { none: true };
  if (/^\d+$/.test(result)) {
    return { value: /\.connect\(/.test(code) ? result !== "0" : Number(result) };
  }
  throw new Error(`No mapping for result ${result}`);
}

/** A umqtt.robust DEBUG line (`mqtt: OSError(-1,)`) as what our `log()` must be called with. */
function recordedLog(line: string): string {
  const m = /^mqtt( reconnect)?: (\w+)\(/.exec(line);
  if (!m) throw new Error(`No mapping for umqtt.robust log line ${line}`);
  return `log(${m[1] ? "true" : "false"}, ${m[2] === "OSError" ? "ConnectionClosedError" : m[2]})`;
}

/** One call of our robust `log(in_reconnect, e)`. */
function ourLog(l: LogLine): string {
  const e = l.error;
  const kind = e instanceof ConnectionClosedError ? "ConnectionClosedError" : e instanceof Error ? e.name : String(e);
  return `log(${l.in_reconnect}, ${kind})`;
}

function describe(o: Outcome): string {
  if (o.kind === "error") return `error ${String(o.error)}`;
  if (o.kind === "value") return `value ${String(o.value)}`;
  return o.kind;
}

function checkOutcome(where: string, o: Outcome, e: Expect): void {
  if ("statement" in e) {
    assert.ok(o.kind === "statement" || o.kind === "value", `${where}: expected a statement, got ${describe(o)}`);
  } else if ("none" in e) {
    assert.ok(o.kind === "value" && o.value == null, `${where}: expected None (null or undefined), got ${describe(o)}`);
  } else if ("pending" in e) {
    assert.equal(o.kind, "pending", `${where}: expected the call to stay pending, got ${describe(o)}`);
  } else if ("value" in e) {
    assert.equal(o.kind, "value", `${where}: expected value ${String(e.value)}, got ${describe(o)}`);
    if (o.kind === "value") assert.deepEqual(o.value, e.value, where);
  } else {
    assert.equal(o.kind, "error", `${where}: expected ${e.error.name}, got ${describe(o)}`);
    if (o.kind !== "error") return;
    assert.ok(o.error instanceof e.error, `${where}: expected ${e.error.name}, got ${String(o.error)}`);
    if (e.match) assert.match((o.error as Error).message, e.match, where);
    if (e.code !== undefined) assert.equal((o.error as MQTTException).code, e.code, where);
  }
}

async function replay(name: string): Promise<void> {
  const cfg = SCENARIOS[name];
  assert.ok(
    cfg,
    `No replay entry for trace ${name}: add one to SCENARIOS (and docs/known-divergences.md if we differ)`,
  );
  const trace = loadTrace(name);
  assert.equal(trace.script.length, trace.calls.length);
  const specs = cfg.conns ? cfg.conns(connSpecs(trace)) : connSpecs(trace);
  const r = new Replay(trace, specs);
  const pending: Promise<unknown>[] = [];
  try {
    for (const call of trace.calls) {
      r.step = call.i;
      const custom = cfg.run?.[call.i];
      const o = custom ? await custom(r) : await r.run(call.code);
      r.pump();
      await flush();
      const where = `${name} line ${call.i} \`${call.code}\``;
      const want = cfg.steps?.[call.i];
      if (!want && call.t_end_ms === undefined) assert.fail(`${where} never returned under umqtt: needs an entry`);
      checkOutcome(where, o, want ?? recordedExpect(call.code, call.result, call.exception));
      if (o.kind === "pending") pending.push(o.promise);
    }
    r.step = Infinity;
    r.pump();
    await flush();

    // Client bytes per connection.
    assert.equal(r.conns.length, specs.length, `${name}: number of connections`);
    r.conns.forEach((c, k) => {
      assert.deepEqual(c.received, c.spec.c2s, `${name}: client bytes on connection ${k}`);
      assert.equal(c.leftover, "", `${name}: partial packet written on connection ${k}`);
      const open = cfg.openAtEnd?.includes(k) ?? false;
      assert.equal(c.transport.closed, !open, `${name}: connection ${k} should be ${open ? "open" : "closed"}`);
    });

    // Callback invocations: same topic, message and the call they ran in.
    const want = cfg.callbacks ??
      trace.callbacks.map((cb) => ({ step: cb.during_call, topic: cb.topic, msg: cb.msg }));
    assert.deepEqual(r.deliveries, want, `${name}: callbacks`);

    // umqtt.robust's DEBUG lines: the same errors logged, during the expected script lines.
    const wantLogs = cfg.logs ?? (trace.client_process?.other_stdout ?? []).map(recordedLog);
    assert.deepEqual(r.logs.map(ourLog), wantLogs, `${name}: robust log() calls`);
    if (cfg.logSteps) assert.deepEqual(r.logs.map((l) => l.step), cfg.logSteps, `${name}: lines that logged`);
    assert.ok(r.robust || r.logs.length === 0, `${name}: only robust clients log`);
    cfg.check?.(r);
  } finally {
    for (const c of r.conns) c.transport.close();
    await flush();
  }
  // Calls left waiting when the connection ended are rejected, never left hanging.
  for (const p of pending) {
    const o = await r.settle(p);
    checkOutcome(`${name}: pending call after the connection closed`, o, closed);
  }
}

test("umqtt traces folder exists and every trace has a replay entry", () => {
  const names = listScenarios();
  assert.ok(names.length > 0, `No traces found in ${tracesDir()} (set UMQTT_TRACES)`);
  assert.deepEqual(names, Object.keys(SCENARIOS).sort());
});

/** Whether a trace drives umqtt.robust (false when the folder is missing: the first test reports that). */
function robustTrace(name: string): boolean {
  try {
    return usesRobust(loadTrace(name));
  } catch {
    return false;
  }
}

for (const name of Object.keys(SCENARIOS).sort()) {
  const which = robustTrace(name) ? "robust" : "umqtt";
  test(`${which} MQTTClient replays trace ${name} byte-exact`, async () => {
    await replay(name);
  });
}

test("robust MQTTClient.publish() resends with DUP under the same id when the link drops before PUBACK (o4, valid topic)", async () => {
  // o4 with a topic mosquitto accepts ("umqtt/o4/a", same length as "umqtt/o4/#"): the broker drops the
  // connection after the QoS 1 PUBLISH, as in the trace. umqtt.robust reconnects and then waits forever
  // for a PUBACK (the message is never resent); ours resends it on the new connection and returns.
  const trace = loadTrace("o4-robust-publish-qos1-hang");
  const rec = connSpecs(trace);
  const publish = rec[0]!.c2s[1]!.replace("756d7174742f6f342f23", "756d7174742f6f342f61");
  assert.equal(publish, "3219000a756d7174742f6f342f6100016e657665722d61636b6564");
  const specs: ConnSpec[] = [
    { c2s: [rec[0]!.c2s[0]!, publish], s2c: [{ hex: CONNACK, after: 1, at: 0 }], brokerEnd: { after: 2, at: 0 } },
    // recorded reconnect (clean session 0), then the PUBLISH again with DUP (0x3a), same packet id 1
    only([rec[1]!.c2s[0]!, "3a" + publish.slice(2), "e000"], [CONNACK, "40020001"]),
  ];
  const script = [...trace.script.map((l) => l.replace('b"umqtt/o4/#"', 'b"umqtt/o4/a"')), "c.disconnect()"];
  const r = new Replay({ ...trace, script }, specs);
  const outcomes: Outcome[] = [];
  try {
    for (const [i, code] of script.entries()) {
      r.step = i;
      outcomes.push(await r.run(code));
    }
    checkOutcome("publish(qos=1) across the drop", outcomes[5]!, { value: undefined });
    checkOutcome("disconnect()", outcomes[6]!, { value: undefined });
    assert.deepEqual(r.conns.map((c) => c.received), specs.map((c) => c.c2s));
    assert.deepEqual(r.logs.map(ourLog), ["log(false, ConnectionClosedError)"]);
    assert.deepEqual(r.logs.map((l) => l.step), [5]);
    assert.equal((r.vars.get("c") as MQTTClient).pid, 1);
  } finally {
    for (const c of r.conns) c.transport.close();
    await flush();
  }
});

test("robust MQTTClient.publish() resends with DUP under the same id when the drop is seen only after writing (o3, late FIN)", async () => {
  // o3 when the takeover's FIN reaches the client only after it wrote PUBLISH "after-1" (id 2) on the
  // dead connection: the message counts as sent, so after the reconnect it is resent with DUP (0x3a)
  // under id 2. umqtt.robust, whose write fails with EPIPE, sends it again as new (0x32, id 2).
  const trace = loadTrace("o3-robust-publish-reconnect");
  const rec = connSpecs(trace);
  const after1 = rec[1]!.c2s[1]!;
  assert.equal(after1.slice(0, 2), "32");
  const specs: ConnSpec[] = [
    { c2s: [...rec[0]!.c2s, after1], s2c: rec[0]!.s2c, brokerEnd: { after: 3, at: 7 } },
    { ...rec[1]!, c2s: rec[1]!.c2s.map((h, k) => (k === 1 ? "3a" + h.slice(2) : h)) },
    rec[2]!,
  ];
  const r = new Replay(trace, specs);
  const outcomes: Outcome[] = [];
  try {
    for (const call of trace.calls) {
      r.step = call.i;
      outcomes.push(await r.run(call.code));
      r.pump();
      await flush();
    }
    for (const k of [5, 7, 8, 9, 11]) checkOutcome(`line ${k}`, outcomes[k]!, { value: undefined });
    checkOutcome("line 10", outcomes[10]!, { value: false });
    assert.deepEqual(r.conns.map((c) => c.received), specs.map((c) => c.c2s));
    assert.deepEqual(r.logs.map(ourLog), ["log(false, ConnectionClosedError)"]);
    assert.deepEqual(r.logs.map((l) => l.step), [7]);
  } finally {
    for (const c of r.conns) c.transport.close();
    await flush();
  }
});
