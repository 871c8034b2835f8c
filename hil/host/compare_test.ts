import assert from "node:assert/strict";
import { test } from "node:test";
import { align, applyAllowList, compareRuns, globMatch, sideBySide } from "./compare.ts";
import { fromHex } from "./hex.ts";
import { bytesRepr, fromTrace, normaliseRef, type Observed } from "./observed.ts";
import { loadTraces } from "./_test_util.ts";

function trace(name: string) {
  const t = loadTraces().find((x) => x.scenario.startsWith(name));
  if (!t) throw new Error(`no trace ${name}`);
  return t;
}

function clone(o: Observed): Observed {
  return {
    packets: o.packets.map((p) => ({ ...p, bytes: p.bytes.slice() })),
    conns: o.conns.map((c) => ({ ...c, firstEnd: c.firstEnd && { ...c.firstEnd } })),
    calls: o.calls.map((c) => ({ ...c })),
    callbacks: o.callbacks.map((c) => ({ ...c })),
    sides: o.sides.map((s) => ({ ...s })),
  };
}

test("compareRuns() finds no difference between every trace and itself", () => {
  for (const t of loadTraces()) {
    const o = fromTrace(t);
    assert.deepEqual(compareRuns(o, clone(o)).map((d) => d.key), [], t.scenario);
  }
});

test("align() keeps one extra item from cascading", () => {
  const a = ["A", "B", "C", "D"], b = ["A", "X", "B", "C", "D"];
  const ops = align(a, b, (x) => x);
  assert.deepEqual(ops.map((o) => o.op), ["eq", "ins", "eq", "eq", "eq"]);
});

test("compareRuns() reports one extra c2s packet once, not as a cascade", () => {
  const ref = fromTrace(trace("f1"));
  const ours = clone(ref);
  const pub = ours.packets.find((p) => p.dir === "c2s" && p.bytes[0] === 0x32)!;
  ours.packets.push({ ...pub, t_ms: pub.t_ms + 0.01, bytes: fromHex("c000") });
  const keys = compareRuns(ref, ours).map((d) => d.key);
  assert.deepEqual(keys, ["c2s extra PINGREQ c000"]);
});

test("compareRuns() maps packet ids consistently but still reports raw id changes", () => {
  const ref = fromTrace(trace("f1"));
  const ours = clone(ref);
  // shift every client id by +10 (consistently, as a client starting at 11 would)
  for (const p of ours.packets) {
    if (
      (p.dir === "c2s" && p.bytes[0] === 0x32) || (p.dir === "c2s" && p.bytes[0] === 0x33) ||
      (p.dir === "s2c" && p.bytes[0] === 0x40)
    ) {
      const off = p.dir === "s2c" ? 2 : 2 + 2 + ((p.bytes[2]! << 8) | p.bytes[3]!);
      p.bytes[off + 1] = p.bytes[off + 1]! + 10;
    }
  }
  const keys = compareRuns(ref, ours).map((d) => d.key);
  assert.equal(keys.length, 4);
  assert.ok(keys.every((k) => /^c2s packet id PUBLISH: ref \d ours 1\d$/.test(k)), keys.join("\n"));
});

test("compareRuns() requires a PUBACK to echo the broker's id", () => {
  const ref = fromTrace(trace("h2"));
  const ours = clone(ref);
  const ack = ours.packets.find((p) => p.dir === "c2s" && p.bytes[0] === 0x40)!;
  ack.bytes[3] = 9; // PUBACK for an id the broker never used
  const keys = compareRuns(ref, ours).map((d) => d.key);
  assert.deepEqual(keys, ["c2s changed PUBACK 40020001 -> PUBACK 40020009"]);
});

test("compareRuns() compares outcomes, callbacks, side actions, connection ends and timing", () => {
  const ref = fromTrace(trace("n7"));
  const ours = clone(ref);
  ours.calls.find((c) => c.i === 7)!.outcome = "int 48";
  ours.callbacks[0]!.during = 6;
  ours.conns[0]!.firstEnd = null;
  const keys = compareRuns(ref, ours).map((d) => d.key);
  assert.deepEqual(keys.sort(), [
    "callback b'umqtt/n7/t' b'echo-me' ran during ref i=5 ours i=6",
    "close conn 0: ref closed after DISCONNECT ours still open",
    "result i=7 c.check_msg(): ref None ours int 48",
  ]);
  const n6 = fromTrace(trace("n6"));
  const slow = clone(n6);
  const pings = slow.packets.filter((p) => p.conn === 1 && p.dir === "c2s" && p.bytes[0] === 0xc0);
  pings[3]!.t_ms += 400;
  const tk = compareRuns(n6, slow, {
    timing: [
      { kind: "c2s-interval", conn: 1, type: "PINGREQ", ms: 500, tol_ms: 150, what: "pings" },
      { kind: "broker-closes-idle", conn: 0, min_ms: 1500, max_ms: 8000, what: "idle" },
    ],
  }).map((d) => d.key);
  assert.equal(tk.length, 2, tk.join("\n"));
  assert.ok(tk.every((k) => k.startsWith("timing pings: PINGREQ #")));
  const sides = fromTrace(trace("e1"));
  const s2 = clone(sides);
  s2.sides[1] = { ...s2.sides[1]!, rc: 27, stdout: [] };
  assert.match(compareRuns(sides, s2).map((d) => d.key).join("\n"), /^side check_retained mosquitto_sub: ref rc=0/);
});

test("applyAllowList() allows matching diffs, rejects others and reports stale entries", () => {
  const diffs = [
    { key: "c2s extra PUBREL 62020001" },
    { key: "result i=4 c.publish(x): ref AssertionError ours None" },
    { key: "c2s extra PINGREQ c000" },
  ];
  const entries = [
    { scenario: "s", what: "qos2", reason: "r", match: ["c2s extra PUBREL *", "result i=4 *"] },
    { scenario: "s", what: "stale", reason: "r", match: ["never"] },
    { scenario: "other", what: "elsewhere", reason: "r", match: ["*"] },
  ];
  const r = applyAllowList("s", diffs, entries);
  assert.equal(r.allowed.length, 2);
  assert.deepEqual(r.unexpected.map((d) => d.key), ["c2s extra PINGREQ c000"]);
  assert.deepEqual(r.stale.map((e) => e.what), ["stale"]);
  assert.ok(globMatch("a*c", "abbbc") && !globMatch("a*c", "abd") && globMatch("x.(y)", "x.(y)"));
});

test("sideBySide() shows the first differing byte with field names", () => {
  const rows = sideBySide(
    fromHex("3217000a756d7174742f66322f7400007069642d3635353336"),
    fromHex("3217000a756d7174742f66322f7400017069642d3635353336"),
  );
  assert.match(rows[0]!, /first differing byte: offset 15/);
  assert.ok(rows.some((r) => /^ {2}\* {3}15 \| {2}00 \| {3}01 \| packet id/.test(r)), rows.join("\n"));
});

test("normaliseRef() and bytesRepr() follow MicroPython's repr", () => {
  assert.equal(normaliseRef("0", undefined), "int 0");
  assert.equal(normaliseRef(undefined, "MQTTException(128,)"), "MQTTException 128");
  assert.equal(normaliseRef(undefined, "OSError(-1,)"), "OSError");
  assert.equal(normaliseRef("None", undefined), "None");
  assert.equal(bytesRepr(new TextEncoder().encode("umqtt/h1/x")), "b'umqtt/h1/x'");
  assert.equal(bytesRepr(Uint8Array.of(0, 0x27, 10, 0x5c, 0xff)), `b"\\x00'\\n\\\\\\xff"`);
});

test("compareRuns() compares umqtt.robust's DEBUG lines: each missing or extra retry is one difference", () => {
  const ref = fromTrace(trace("o2"));
  assert.deepEqual(ref.logs?.map((l) => l.line), ["mqtt: OSError", "mqtt: OSError"]);
  const same = { ...clone(ref), logs: ref.logs!.map((l, k) => ({ ...l, during: [8, 13][k]! })) };
  assert.deepEqual(compareRuns(ref, same).map((d) => d.key), []);
  const ours = {
    ...clone(ref),
    logs: [
      { line: "mqtt: OSError", raw: "mqtt: OSError (ConnectionClosedError)", during: 8 },
      { line: "mqtt reconnect: OSError", raw: "mqtt reconnect: OSError (ConnectionClosedError)", during: 13 },
    ],
  };
  assert.deepEqual(compareRuns(ref, ours).map((d) => d.key), [
    "log missing mqtt: OSError",
    "log extra mqtt reconnect: OSError (ours during i=13)",
  ]);
});
