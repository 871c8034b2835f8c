import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionClosedError, MQTTClient } from "../../mod.ts";
import type { Message } from "../../mod.ts";
import { encodePublish } from "../../src/codec/encode.ts";
import type { TransportConnectOptions } from "../../src/transport/types.ts";
import { autoAnswer, FakeClock, fakeFactory, FakeTransport, flush } from "../_fake.ts";

/** PUBLISH to "t" with a one-byte payload, QoS 0 or (with an id) QoS 1. */
function pub(byte: number, id?: number): string {
  const b = byte.toString(16).padStart(2, "0");
  return id === undefined ? `3004000174${b}` : `3206000174${id.toString(16).padStart(4, "0")}${b}`;
}

test("a full messages() buffer does not block the acknowledgement a handler waits for (request/response)", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("rr", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const t = f.transports[0]!;
  let burst = "";
  for (let i = 0; i < 10; i++) burst += pub(i, i + 1); // QoS 1 requests: never dropped, bounded by the broker's window
  t.receive(burst);
  let handled = 0;
  for await (const m of client.messages({ bufferSize: 2 })) {
    await client.publish("reply", m.payload, { qos: 1 }); // needs a PUBACK behind the other requests
    if (++handled === 10) break;
  }
  assert.equal(handled, 10);
  await client.disconnect();
});

test("connect() on a connected client with reconnect replaces the link without an automatic reconnect", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const lost: string[] = [];
  const client = new MQTTClient("c2", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0 },
    onConnectionLost: (e) => {
      lost.push(e.message);
    },
  });
  await client.connect();
  await client.connect();
  await clock.advance(10_000);
  assert.equal(f.transports.length, 2, "exactly one new connection");
  assert.deepEqual(lost, []);
  assert.equal(client.connected, true);
  await client.publish("t", "x", { qos: 1 });
  await client.disconnect();
});

test("a publish aborted while waiting for an in-flight slot leaves the line and later publishes still go out", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const client = new MQTTClient("sa", "h", { transport: f, keepalive: 0, maxInflight: 1 });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  const a = client.publish("t", "a", { qos: 1 });
  const ac = new AbortController();
  const b = client.publish("t", "b", { qos: 1, signal: ac.signal });
  const d = client.publish("t", "d", { qos: 1 });
  await flush();
  ac.abort(new Error("no longer needed"));
  await assert.rejects(b, /no longer needed/);
  t.receive("40020001"); // PUBACK a
  await a;
  await flush();
  assert.deepEqual(t.writtenHex, ["3206000174000161", "3206000174000264"], "b never sent, d sent");
  t.receive("40020002");
  await d;
  const e = client.publish("t", "e"); // QoS 0 after it all
  await e;
  assert.equal(t.writtenHex.at(-1), "300400017465");
});

test("a QoS 0 publish given a slot passes the line on, so QoS 1 publishes behind it are not stranded", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const client = new MQTTClient("sq", "h", { transport: f, keepalive: 0, maxInflight: 1 });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  const a = client.publish("t", "a", { qos: 1 });
  const c = client.publish("t", "c"); // QoS 0 waits behind a for ordering
  const d = client.publish("t", "d", { qos: 1 });
  await flush();
  t.receive("40020001");
  await Promise.all([a, c]);
  await flush();
  assert.deepEqual(t.writtenHex, ["3206000174000161", "300400017463", "3206000174000264"]);
  t.receive("40020002");
  await d;
});

test("disconnect() while an automatic reconnect is opening stops it for good", async () => {
  const clock = new FakeClock();
  let release: (() => void) | null = null;
  const transports: FakeTransport[] = [];
  const connected: boolean[] = [];
  const factory = (_o: TransportConnectOptions): Promise<FakeTransport> => {
    const t = new FakeTransport();
    autoAnswer(t, transports.length);
    transports.push(t);
    if (transports.length === 1) return Promise.resolve(t);
    return new Promise((r) => (release = () => r(t))); // the reconnect's link opens slowly
  };
  const client = new MQTTClient("dr", "h", {
    transport: factory,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0 },
    onConnect: (i) => connected.push(i.reconnected),
  });
  await client.connect();
  transports[0]!.end();
  await flush();
  await clock.advance(10);
  assert.equal(transports.length, 2, "reconnect attempt started");
  await client.disconnect();
  release!();
  await flush();
  await clock.advance(60_000);
  assert.equal(client.connected, false);
  assert.equal(transports[1]!.closed, true, "the late link is closed");
  assert.deepEqual(transports[1]!.writtenHex, [], "no CONNECT on it");
  assert.equal(transports.length, 2, "no further attempts");
  assert.deepEqual(connected, [false]);
});

test("abort() with reconnect and cleanSession false rejects in-flight publishes instead of keeping them forever", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const client = new MQTTClient("ab", "h", { transport: f, keepalive: 0, reconnect: true });
  await client.connect({ cleanSession: false });
  const p = client.publish("t", "x", { qos: 1 });
  await flush();
  client.abort();
  await assert.rejects(p, ConnectionClosedError);
});

test("a publish made while the reconnect waits for CONNACK is queued behind the offline queue and resolves", async () => {
  const clock = new FakeClock();
  let holdConnack = false;
  const f = fakeFactory((t) => {
    const n = f.transports.length - 1;
    autoAnswer(t, n);
    if (n === 1) {
      const answer = t.onWrite!;
      t.onWrite = (b) => {
        if (b[0] === 0x10) holdConnack = true; // CONNACK sent later by the test
        else answer(b);
      };
    }
  });
  const client = new MQTTClient("pc", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0 },
  });
  await client.connect();
  f.transports[0]!.end();
  await flush();
  const a = client.publish("t", "a", { qos: 1 }); // offline: queued
  await clock.advance(10);
  assert.equal(holdConnack, true);
  const b = client.publish("t", "b", { qos: 1 }); // CONNECT sent, CONNACK not yet
  await flush();
  assert.deepEqual(f.transports[1]!.writtenHex.slice(1), [], "nothing before CONNACK");
  f.transports[1]!.receive("20020000");
  await Promise.all([a, b]);
  assert.deepEqual(f.transports[1]!.writtenHex.slice(1), ["3206000174000161", "3206000174000262"]);
  await client.disconnect();
});

test("calls made after disconnect() started are refused, not written after the DISCONNECT", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("dc", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const d = client.disconnect();
  const p = client.publish("t", "late");
  await assert.rejects(p, /Disconnected by the client/);
  await d;
  assert.equal(f.transports[0]!.writtenHex.at(-1), "e000");
});

test("a slow link still delivering data is not declared dead while its PINGRESP is queued behind a large message", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0, { pingresp: false }));
  const client = new MQTTClient("sl", "h", {
    transport: f,
    clock,
    keepalive: 10,
    pingTimeout: 2_000,
    callback: () => {},
  });
  await client.connect();
  client.startLoop();
  const t = f.transports[0]!;
  await clock.advance(10_000); // PINGREQ goes out
  assert.equal(t.writtenHex.at(-1), "c000");
  // A 64 KiB message arrives at 2 KiB per second: slower than pingTimeout, but alive.
  const big = new Uint8Array(5 + 2 + 65_536);
  big.set([0x30, 0x82, 0x80, 0x04, 0x00, 0x01, 0x74]); // remaining length 65539, topic "t"
  for (let i = 0; i < 6; i++) {
    t.receive(big.subarray(i * 2048, (i + 1) * 2048));
    await clock.advance(1_000);
  }
  assert.equal(client.connected, true, "alive while data flows");
  await clock.advance(4_000); // now silent: two empty windows
  assert.equal(client.connected, false, "dead once nothing arrives");
});

test("messages() settles concurrent next() calls in order", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("nx", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const it = client.messages();
  const first = it.next();
  const second = it.next();
  f.transports[0]!.receive(pub(1) + pub(2));
  assert.equal(((await first).value as Message).payload[0], 1);
  assert.equal(((await second).value as Message).payload[0], 2);
  const third = it.next();
  const fourth = it.next();
  await client.disconnect();
  assert.deepEqual([(await third).done, (await fourth).done], [true, true]);
});

test("with ackOnCallbackError false, a QoS 1/2 message whose callback throws is not acknowledged, and a QoS 2 redelivery is delivered again", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  let fail = true;
  const seen: string[] = [];
  const client = new MQTTClient("cb", "h", {
    transport: f,
    keepalive: 0,
    ackOnCallbackError: false,
    callback: (m) => {
      seen.push(m.text());
      if (fail) throw new Error("handler bug");
    },
  });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  t.receive(pub(0x61, 7));
  await assert.rejects(client.waitMsg(), /handler bug/);
  t.receive("3406000174000862"); // QoS 2, id 8
  await assert.rejects(client.waitMsg(), /handler bug/);
  assert.deepEqual(t.takeWritten(), [], "neither PUBACK nor PUBREC");
  fail = false;
  t.receive("3c06000174000862"); // the broker's DUP redelivery
  await client.waitMsg();
  assert.deepEqual(seen, ["a", "b", "b"]);
  assert.deepEqual(t.takeWritten(), ["50020008"]);
});

test("encodePublish() refuses DUP on QoS 0 and topic names the decoder would reject", () => {
  const base = { type: "publish", payload: new Uint8Array(), retain: false } as const;
  assert.throws(() => encodePublish({ ...base, topic: "t", qos: 0, dup: true }), /DUP on a QoS 0 PUBLISH/);
  assert.throws(() => encodePublish({ ...base, topic: "a/#", qos: 0, dup: false }), /wildcards/);
  assert.throws(() => encodePublish({ ...base, topic: "", qos: 0, dup: false }), /empty topic/);
});
