import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionClosedError, MQTTClient, TimeoutError } from "../../mod.ts";
import { backoffDelay } from "../../src/client.ts";
import { autoAnswer, FakeClock, fakeFactory, flush } from "../_fake.ts";

test("automatic keepalive pings after keepalive seconds without sending, and after keepalive seconds without receiving", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("ka", "h", { transport: f, clock, keepalive: 10, callback: () => {} });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  await clock.advance(9_999);
  assert.deepEqual(t.writtenHex, []);
  t.receive("3003000161"); // an incoming message does not count as sending
  await clock.advance(1);
  assert.deepEqual(t.takeWritten(), ["c000"]);
  await clock.advance(5_000);
  await client.publish("a", "x"); // sending alone does not postpone it: nothing was received since the PINGRESP at 10 s
  t.takeWritten();
  await clock.advance(4_999);
  assert.deepEqual(t.writtenHex, []);
  await clock.advance(1);
  assert.deepEqual(t.takeWritten(), ["c000"], "a half-open link is probed though the client keeps sending");
  assert.equal(client.connected, true);
  await client.disconnect();
  assert.equal(clock.pending, 0, "no timers left after disconnect");
});

test("no PINGRESP within pingTimeout closes the link and rejects pending calls with TimeoutError", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0, { pingresp: false, acks: false }));
  const client = new MQTTClient("ka", "h", { transport: f, clock, keepalive: 5, pingTimeout: 2_000 });
  await client.connect();
  const pending = client.publish("a", "x", { qos: 1 });
  const rejected = assert.rejects(pending, TimeoutError);
  await clock.advance(5_000);
  assert.equal(f.transports[0]!.writtenHex.at(-1), "c000");
  assert.equal(client.connected, true);
  await clock.advance(2_000);
  assert.equal(client.connected, false);
  assert.equal(f.transports[0]!.closed, true);
  await rejected;
});

test("keepalive 0 sends no PINGREQ, and the umqtt shim never pings on its own", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("ka", "h", { transport: f, clock, keepalive: 0 });
  await client.connect();
  await clock.advance(1_000_000);
  assert.deepEqual(f.transports[0]!.writtenHex.slice(1), []);
  assert.equal(clock.pending, 0);
});

test("commandTimeout rejects the wait for an unacknowledged publish but keeps its packet id until the late PUBACK", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const client = new MQTTClient("ct", "h", { transport: f, clock, keepalive: 0, commandTimeout: 3_000 });
  await client.connect();
  const p = client.publish("a", "x", { qos: 1 });
  const check = assert.rejects(p, (e: Error) => e instanceof TimeoutError && /PUBACK for packet id 1/.test(e.message));
  await clock.advance(3_000);
  await check;
  assert.equal(client.inflight, 1, "the broker may hold the id [MQTT-2.3.1-3]: it stays in flight");
  assert.equal(client.connected, true, "a timed-out call leaves the session usable");
  f.transports[0]!.receive("40020001"); // the late PUBACK completes the flow
  await client.ping();
  assert.equal(client.inflight, 0);
});

test("an aborted publish sends nothing when aborted before, and keeps its id until acknowledged when aborted after sending", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const client = new MQTTClient("ab", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  const before = new AbortController();
  before.abort(new Error("stop"));
  await assert.rejects(client.publish("a", "x", { qos: 1, signal: before.signal }), /stop/);
  assert.deepEqual(t.writtenHex, []);
  const after = new AbortController();
  const p = client.publish("a", "x", { qos: 1, signal: after.signal });
  await flush();
  assert.equal(t.writtenHex.length, 1);
  after.abort(new Error("user gave up"));
  await assert.rejects(p, /user gave up/);
  assert.equal(client.inflight, 1);
  t.receive("40020001");
  await flush();
  assert.equal(client.inflight, 0);
  const w = new AbortController();
  const wp = client.waitMsg({ signal: w.signal });
  w.abort(new Error("no wait"));
  await assert.rejects(wp, /no wait/);
});

test("backoffDelay() doubles from minDelay up to maxDelay and jitter only shortens it", () => {
  const p = {
    minDelay: 500,
    maxDelay: 8_000,
    factor: 2,
    jitter: 0.5,
    maxAttempts: Infinity,
    maxQueued: 10,
    offlineQos0: "reject" as const,
  };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(p, n, 0)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(backoffDelay(p, 3, 0.999), 2000 * (1 - 0.5 * 0.999));
});

test("reconnect follows the backoff schedule, calls the hooks and resubscribes when the session is gone", async () => {
  const clock = new FakeClock();
  let refuse = 0;
  const f = fakeFactory((t) => {
    const n = f.transports.length - 1;
    if (n >= 1 && refuse-- > 0) {
      t.onWrite = () => t.end(); // connection dropped before CONNACK
      return;
    }
    autoAnswer(t, n);
  });
  const events: string[] = [];
  const client = new MQTTClient("rc", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 1_000, maxDelay: 4_000, jitter: 0 },
    onConnect: (i) => events.push(`connect present=${i.sessionPresent} reconnected=${i.reconnected}`),
    onReconnect: (n) => events.push(`attempt ${n} at ${clock.now()}`),
    onConnectionLost: (e) => {
      events.push(`lost: ${e.message}`);
    },
  });
  await client.connect();
  await client.subscribe("a/#", 1);
  await client.subscribe("b", 0);
  refuse = 2;
  f.transports[0]!.end();
  await flush();
  assert.equal(client.connected, false);
  await clock.advance(1_000); // attempt 1 fails
  await clock.advance(2_000); // attempt 2 fails
  await clock.advance(3_999);
  assert.equal(client.connected, false);
  await clock.advance(1); // attempt 3 at +4000 succeeds
  assert.equal(client.connected, true);
  assert.deepEqual(events, [
    "connect present=false reconnected=false",
    "lost: Connection closed by the broker",
    "attempt 1 at 1000",
    "lost: Connection closed by the broker",
    "attempt 2 at 3000",
    "lost: Connection closed by the broker",
    "attempt 3 at 7000",
    "connect present=false reconnected=true",
  ]);
  const last = f.transports.at(-1)!;
  assert.equal(last.writtenHex[0]!.slice(18, 20), "02", "reconnects with the same clean-session flag");
  assert.equal(last.writtenHex[1], "820c0003" + "0003612f2301" + "00016200", "one SUBSCRIBE with both filters");
  await client.disconnect();
  assert.equal(clock.pending, 0);
});

test("onConnectionLost returning 'stop' ends reconnecting and rejects queued publishes", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("rc", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 100 },
    onConnectionLost: () => "stop",
  });
  await client.connect();
  f.transports[0]!.end();
  await flush();
  await assert.rejects(client.publish("a", "x", { qos: 1 }), ConnectionClosedError);
  await clock.advance(60_000);
  assert.equal(f.transports.length, 1, "no reconnect attempt");
});

test("publishes made while offline are queued (bounded) and sent in order after the reconnect", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1));
  const client = new MQTTClient("oq", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 1_000, jitter: 0, maxQueued: 2 },
  });
  await client.connect();
  f.transports[0]!.end();
  await flush();
  const a = client.publish("t", "a", { qos: 1 });
  const b = client.publish("t", "b", { qos: 2 });
  await assert.rejects(
    client.publish("t", "c", { qos: 1 }),
    (e: Error) => e instanceof RangeError && /maxQueued 2/.test(e.message),
  );
  await assert.rejects(client.publish("t", "d"), (e: Error) => /QoS 0.*offline/.test(e.message));
  assert.equal(client.queued, 2);
  await clock.advance(1_000);
  await Promise.all([a, b]);
  const w = f.transports[1]!.writtenHex;
  assert.deepEqual(w.slice(1, 3), ["3206000174000161", "3406000174000262"]);
  await client.disconnect();
});

test("offlineQos0 'queue' queues QoS 0 too", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1));
  const client = new MQTTClient("oq", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0, offlineQos0: "queue" },
  });
  await client.connect();
  f.transports[0]!.end();
  await flush();
  const p = client.publish("t", "z");
  await clock.advance(10);
  await p;
  assert.equal(f.transports[1]!.writtenHex[1], "3004000174" + "7a");
  await client.disconnect();
});

test("cleanSession false: unacknowledged publishes are resent with DUP, same id, original order; PUBREL resumes", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1, { acks: false, sessionPresent: (n) => n > 0 }));
  const client = new MQTTClient("ps", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 50, jitter: 0 },
  });
  assert.equal(await client.connect({ cleanSession: false }), false);
  const t0 = f.transports[0]!;
  const q1 = client.publish("t", "1", { qos: 1 });
  const q2 = client.publish("t", "2", { qos: 2 });
  const q3 = client.publish("t", "3", { qos: 2 });
  await flush();
  t0.receive("50020002"); // PUBREC for id 2 -> PUBREL sent
  await flush();
  assert.deepEqual(t0.writtenHex.slice(1), ["3206000174000131", "3406000174000232", "3406000174000333", "62020002"]);
  t0.end();
  await flush();
  await clock.advance(50);
  assert.equal(client.connected, true);
  const t1 = f.transports[1]!;
  assert.equal(t1.writtenHex[0]!.slice(18, 20), "00", "reconnect keeps cleanSession false");
  assert.deepEqual(t1.writtenHex.slice(1), ["3a06000174000131", "62020002", "3c06000174000333"]);
  t1.receive("40020001" + "70020002" + "50020003");
  await flush();
  t1.receive("70020003");
  await Promise.all([q1, q2, q3]);
  assert.equal(t1.writtenHex.at(-1), "62020003");
  await client.disconnect();
});

test("cleanSession true: a drop rejects in-flight publishes and nothing is resent", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1, { acks: false }));
  const client = new MQTTClient("cs", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 50, jitter: 0 },
  });
  await client.connect();
  const p = client.publish("t", "1", { qos: 1 });
  await flush();
  f.transports[0]!.end();
  await assert.rejects(p, ConnectionClosedError);
  await clock.advance(50);
  assert.equal(client.connected, true);
  assert.deepEqual(f.transports[1]!.writtenHex.slice(1), []);
  await client.disconnect();
});

test("without reconnect, connection loss rejects every pending call with one error", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false, suback: false, unsuback: false, pingresp: false }));
  const client = new MQTTClient("cl", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const calls = [
    client.publish("t", "1", { qos: 1 }),
    client.subscribe("x"),
    client.ping(),
    client.waitMsg(),
    client.unsubscribe("y"),
  ];
  await flush();
  f.transports[0]!.end();
  const errors = await Promise.all(calls.map((c) => c.then(() => null, (e: unknown) => e)));
  assert.ok(errors[0] instanceof ConnectionClosedError);
  for (const e of errors) assert.equal(e, errors[0]);
  await assert.rejects(client.publish("t", "x"), ConnectionClosedError);
});

test("a publish queued offline and then aborted is removed from the queue and never sent", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1));
  const client = new MQTTClient("oq", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0 },
  });
  await client.connect();
  f.transports[0]!.end();
  await flush();
  const ac = new AbortController();
  const p = client.publish("t", "gone", { qos: 1, signal: ac.signal });
  const kept = client.publish("t", "kept", { qos: 1 });
  assert.equal(client.queued, 2);
  ac.abort(new Error("changed my mind"));
  await assert.rejects(p, /changed my mind/);
  assert.equal(client.queued, 1);
  await clock.advance(10);
  await kept;
  assert.deepEqual(f.transports[1]!.writtenHex.slice(1), ["320900017400016b657074"]);
  await client.disconnect();
});

test("connected stays false until the CONNACK arrives", async () => {
  const f = fakeFactory();
  const client = new MQTTClient("cn", "h", { transport: f, keepalive: 0 });
  const p = client.connect();
  await flush();
  assert.equal(f.transports[0]!.writtenHex.length, 1, "CONNECT sent");
  assert.equal(client.connected, false, "not connected before CONNACK");
  f.transports[0]!.receive("20020000");
  await p;
  assert.equal(client.connected, true);
  await client.disconnect();
  assert.equal(client.connected, false);
});
