/**
 * The connection lifecycle and delivery rules, each test written against a
 * bug that the client once had (see the test names), over the scripted
 * fake transport: several packets in one chunk, held writes
 * (backpressure), a manual clock.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionClosedError, MalformedPacketError, MQTTClient, MQTTException } from "../../mod.ts";
import type { Message } from "../../mod.ts";
import type { Transport, TransportConnectOptions } from "../../src/transport/types.ts";
import { autoAnswer, FakeClock, fakeFactory, FakeTransport, flush } from "../_fake.ts";

/** PUBLISH to "t" with a one-byte payload: QoS 0 without an id, else QoS 1 (or 2) with it. */
function pub(byte: number, id?: number, qos = 1): string {
  const b = byte.toString(16).padStart(2, "0");
  if (id === undefined) return `3004000174${b}`;
  return `3${(qos << 1).toString(16)}06000174${id.toString(16).padStart(4, "0")}${b}`;
}

/** Whether `p` is still pending after the event loop drained. */
async function pending(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await flush();
  await flush();
  return !done;
}

/** A factory whose n-th connection is opened only when the test says so. */
function gatedFactory(gated: Set<number>): {
  factory: (o: TransportConnectOptions) => Promise<Transport>;
  transports: FakeTransport[];
  open(n: number): void;
} {
  const transports: FakeTransport[] = [];
  const gates = new Map<number, () => void>();
  let n = 0;
  const factory = (_o: TransportConnectOptions): Promise<Transport> => {
    const i = n++;
    const t = new FakeTransport();
    transports.push(t);
    autoAnswer(t, i);
    if (!gated.has(i)) return Promise.resolve(t);
    return new Promise((resolve) => gates.set(i, () => resolve(t)));
  };
  return { factory, transports, open: (i) => gates.get(i)?.() };
}

test("bug 1: connect() during an automatic reconnect attempt wins; the cancelled attempt schedules nothing", async () => {
  const clock = new FakeClock();
  const g = gatedFactory(new Set([1]));
  const client = new MQTTClient("b1", "h", {
    transport: g.factory,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 100, jitter: 0 },
  });
  await client.connect();
  g.transports[0]!.end(); // lost: an automatic attempt starts after 100 ms
  await flush();
  await clock.advance(100);
  assert.equal(client.state, "connecting");
  assert.equal(g.transports.length, 2, "attempt 1 is opening (gated)");
  await client.connect(); // the user's own connect: transport 2
  assert.equal(client.state, "connected");
  const t2 = g.transports[2]!;
  t2.onWrite = null; // no PUBACK: the publish stays in flight
  const inflight = client.publish("t", "x", { qos: 1 });
  g.open(1); // the stale attempt's socket opens late
  await flush();
  assert.equal(g.transports[1]!.closed, true, "the stale socket is closed");
  await clock.advance(60_000);
  assert.equal(g.transports.length, 3, "no further connection");
  assert.equal(t2.closed, false);
  assert.equal(await pending(inflight), true, "the user's in-flight publish is untouched");
  t2.receive("40020001");
  await inflight;
  await client.disconnect();
});

test("bug 2: resends go first, in order, before a publish made by a callback for a message in the CONNACK's chunk", async () => {
  let n = 0;
  const f = fakeFactory((t) => {
    const i = n++;
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive(i === 0 ? "20020000" : "20020100" + pub(0x41)); // CONNACK + PUBLISH in one chunk
    };
  });
  const replies: Promise<void>[] = [];
  const client: MQTTClient = new MQTTClient("b2", "h", {
    transport: f,
    keepalive: 0,
    reconnect: { minDelay: 1, jitter: 0 },
    callback: () => replies.push(client.publish("reply", "r", { qos: 1 })),
  });
  await client.connect({ cleanSession: false });
  const p1 = client.publish("a", "1", { qos: 1 });
  const p2 = client.publish("b", "2", { qos: 1 });
  await flush();
  f.transports[0]!.end();
  await new Promise((r) => setTimeout(r, 20));
  await flush();
  const t1 = f.transports[1]!;
  assert.deepEqual(t1.writtenHex.slice(1), [
    "3a0600016100" + "0131", // DUP resend of id 1
    "3a0600016200" + "0232", // DUP resend of id 2
    "320a0005" + "7265706c79" + "0003" + "72", // the callback's reply, once, id 3
  ]);
  t1.receive("40020001" + "40020002" + "40020003");
  await Promise.all([p1, p2, ...replies]);
  await client.disconnect();
});

test("bug 3: a QoS 2 publish aborted after PUBREC is finished on resume (PUBREL), not stranded", async () => {
  const clock = new FakeClock();
  let n = 0;
  const f = fakeFactory((t) => {
    const i = n++;
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive(i === 0 ? "20020000" : "20020100");
      else if (b[0] === 0x34 && i === 0) t.receive("50020001"); // PUBREC, then silence
    };
  });
  const client = new MQTTClient("b3", "h", {
    transport: f,
    clock,
    keepalive: 0,
    commandTimeout: 1000,
    reconnect: { minDelay: 10, jitter: 0 },
  });
  await client.connect({ cleanSession: false });
  const p = client.publish("t", "x", { qos: 2 });
  const rejected = assert.rejects(p, /No PUBCOMP for packet id 1/);
  await clock.advance(1000);
  await rejected;
  assert.equal(client.inflight, 1, "the id stays taken while the broker holds it");
  const t0 = f.transports[0]!;
  assert.deepEqual(t0.writtenHex.slice(-1), ["62020001"], "PUBREL went out");
  t0.end();
  await flush();
  await clock.advance(10);
  const t1 = f.transports[1]!;
  assert.deepEqual(t1.writtenHex.slice(1), ["62020001"], "PUBREL resent on resume");
  t1.receive("70020001");
  await flush();
  assert.equal(client.inflight, 0, "PUBCOMP completes the flow");
  await client.disconnect();
});

test("bug 3: a QoS 1 publish that timed out is resent with DUP on resume and its id is not reused meanwhile", async () => {
  const clock = new FakeClock();
  let n = 0;
  const f = fakeFactory((t) => {
    const i = n++;
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive(i === 0 ? "20020000" : "20020100");
    };
  });
  const client = new MQTTClient("b3b", "h", {
    transport: f,
    clock,
    keepalive: 0,
    commandTimeout: 500,
    reconnect: { minDelay: 10, jitter: 0 },
  });
  await client.connect({ cleanSession: false });
  await assert.rejects(
    Promise.all([client.publish("t", "x", { qos: 1 }), clock.advance(500)]),
    /No PUBACK for packet id 1/,
  );
  const next = client.publish("t", "y", { qos: 1 });
  await flush();
  assert.equal(f.transports[0]!.writtenHex.at(-1), "3206000174000279", "the next publish takes id 2");
  f.transports[0]!.end();
  await flush();
  await clock.advance(10);
  assert.deepEqual(f.transports[1]!.writtenHex.slice(1), ["3a06000174000178", "3a06000174000279"]);
  f.transports[1]!.receive("40020001" + "40020002");
  await next;
  assert.equal(client.inflight, 0);
  await client.disconnect();
});

test("bug 4: with reconnect, a refused first connect (bad credentials) rejects and nothing retries in the background", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0, { returnCode: 5 }));
  const client = new MQTTClient("b4", "h", { transport: f, clock, keepalive: 0, reconnect: { minDelay: 10 } });
  await assert.rejects(client.connect(), (e: Error) => e instanceof MQTTException && e.code === 5);
  await clock.advance(60_000);
  assert.equal(f.transports.length, 1, "one attempt only");
  assert.equal(client.state, "closed");
});

test("bug 4: after a lost connection, a reconnect refused as not authorized stops instead of retrying forever", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0, { returnCode: f.transports.length > 1 ? 5 : 0 }));
  const errors: unknown[] = [];
  const client = new MQTTClient("b4r", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0 },
    onError: (e) => errors.push(e),
  });
  await client.connect();
  const it = client.messages();
  f.transports[0]!.end();
  await flush();
  await clock.advance(10);
  await clock.advance(60_000);
  assert.equal(f.transports.length, 2, "one refused attempt, then nothing");
  assert.equal(client.state, "closed");
  assert.ok(errors.some((e) => e instanceof MQTTException && e.code === 5), "the refusal reaches onError");
  await assert.rejects(it.next(), MQTTException);
});

test("bug 4: with reconnect, the first connect retries a missing CONNACK with backoff until it connects", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => {
    if (f.transports.length >= 3) autoAnswer(t, 0); // the first two attempts get no CONNACK
  });
  const hooks: number[] = [];
  const client = new MQTTClient("b4b", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 100, jitter: 0 },
    onReconnect: (n) => hooks.push(n),
  });
  const p = client.connect({ timeout: 1000 });
  await clock.advance(1000); // attempt 1 times out
  assert.equal(client.state, "reconnect-wait");
  await clock.advance(100 + 1000); // attempt 2 after 100 ms, times out
  await clock.advance(200); // attempt 3 after 200 ms
  assert.equal(await p, false);
  assert.equal(client.state, "connected");
  assert.deepEqual(hooks, [1, 2]);
  await client.disconnect();
});

test("bug 4: with reconnect and maxAttempts, the first connect gives up and leaves nothing running", async () => {
  const clock = new FakeClock();
  const f = fakeFactory(() => {}); // never answers
  const client = new MQTTClient("b4c", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0, maxAttempts: 2 },
  });
  const p = assert.rejects(client.connect({ timeout: 100 }), /Gave up connecting after 2 attempts: .*No CONNACK/);
  await clock.advance(1000);
  await p;
  await clock.advance(60_000);
  assert.equal(f.transports.length, 3);
  assert.equal(clock.pending, 0, "no timer left");
});

test("bug 5: await using ends a client that is waiting to reconnect, and one whose attempt is opening", async () => {
  for (const phase of ["reconnect-wait", "connecting"] as const) {
    const clock = new FakeClock();
    const g = gatedFactory(new Set([1]));
    {
      await using client = new MQTTClient("b5", "h", {
        transport: g.factory,
        clock,
        keepalive: 0,
        reconnect: { minDelay: 100, jitter: 0 },
      });
      await client.connect();
      g.transports[0]!.end();
      await flush();
      if (phase === "connecting") await clock.advance(100);
      assert.equal(client.state, phase);
    }
    g.open(1);
    await clock.advance(60_000);
    assert.equal(g.transports.length, phase === "connecting" ? 2 : 1, `${phase}: no attempt after the scope ended`);
    if (phase === "connecting") assert.equal(g.transports[1]!.closed, true);
  }
});

test("bug 6: disconnect() gives up on a DISCONNECT the broker does not read, and writes nothing after it", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("b6", "h", { transport: f, clock, keepalive: 10 });
  await client.connect();
  const t = f.transports[0]!;
  t.holdWrites = true; // the broker stopped reading
  const done = client.disconnect({ timeout: 2000 });
  assert.equal(t.writtenHex.at(-1), "e000");
  t.receive(pub(0x61, 9)); // a QoS 1 message still arriving
  await clock.advance(1999);
  assert.equal(await pending(done), true);
  await clock.advance(1);
  await done;
  assert.equal(t.closed, true);
  await clock.advance(30_000); // past keepalive
  assert.equal(t.writtenHex.at(-1), "e000", "no PUBACK or PINGREQ after DISCONNECT [MQTT-3.14.4-2]");
  assert.equal(client.state, "closed");
});

test("bug 7: disconnect() then connect() without awaiting: the old disconnect does not touch the new connection", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1, { acks: false }));
  const client = new MQTTClient("b7", "h", { transport: f, clock, keepalive: 0 });
  await client.connect();
  const t0 = f.transports[0]!;
  t0.holdWrites = true;
  const gone = client.disconnect();
  await client.connect();
  const t1 = f.transports[1]!;
  const inflight = client.publish("t", "x", { qos: 1 });
  const it = client.messages();
  t0.releaseWrites();
  await gone;
  await clock.advance(10_000);
  assert.equal(t0.closed, true);
  assert.equal(t1.closed, false, "the new link stays open");
  assert.equal(client.connected, true);
  assert.equal(await pending(inflight), true);
  t1.receive("40020001" + pub(0x62));
  await inflight;
  assert.equal(((await it.next()).value as Message).text(), "b", "the new iterator is alive");
  await client.disconnect();
});

test("bug 8: an unacknowledged publish does not switch messages() backpressure off: memory stays bounded", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const errors: string[] = [];
  const client = new MQTTClient("b8", "h", { transport: f, keepalive: 0, onError: (e) => errors.push(String(e)) });
  await client.connect();
  const t = f.transports[0]!;
  const it = client.messages({ bufferSize: 3 });
  const waiting = client.publish("t", "x", { qos: 1 }); // its PUBACK never comes
  for (let i = 0; i < 1000; i++) t.receive(pub(i & 0xff));
  await flush();
  await flush();
  const got: number[] = [];
  for (let i = 0; i < 3; i++) got.push(((await it.next()).value as Message).payload[0]!);
  assert.deepEqual(got, [0, 1, 2]);
  assert.equal(errors.length, 997, "every QoS 0 message that found the buffer full is reported, none kept");
  assert.match(errors[0]!, /messages\(\) buffer full \(bufferSize 3\): QoS 0 message on "t" dropped/);
  assert.equal(await pending(waiting), true);
  await client.disconnect();
  await waiting.catch(() => {});
});

test("bug 9: a throwing handler's QoS 1/2 message is acknowledged and the error goes to onError", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const errors: unknown[] = [];
  const client = new MQTTClient("b9", "h", { transport: f, keepalive: 0, onError: (e) => errors.push(e) });
  await client.connect();
  await client.subscribe("t", 1, () => {
    throw new Error("handler bug");
  });
  const t = f.transports[0]!;
  t.takeWritten();
  let burst = "";
  for (let i = 1; i <= 25; i++) burst += pub(i, i);
  t.receive(burst + pub(0x7a, 26, 2));
  await flush();
  const acks = t.takeWritten();
  assert.equal(acks.length, 26);
  assert.equal(acks[0], "40020001");
  assert.equal(acks[24], "40020019");
  assert.equal(acks[25], "5002001a");
  assert.equal(errors.length, 26);
  assert.match(String(errors[0]), /handler bug/);
  await client.disconnect();
});

test("bug 10: messages() acknowledges when the loop takes a message, and break hands the rest to the next consumer", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("b10", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const t = f.transports[0]!;
  const it = client.messages({ bufferSize: 5 });
  t.takeWritten();
  t.receive(pub(0x61, 1) + pub(0x62, 2) + pub(0x63, 3));
  await flush();
  assert.deepEqual(t.takeWritten(), [], "buffered is not delivered: no PUBACK yet");
  assert.equal(((await it.next()).value as Message).text(), "a");
  assert.deepEqual(t.takeWritten(), ["40020001"]);
  await it.return!();
  await flush();
  assert.deepEqual(t.takeWritten(), [], "the two messages the loop never took are not acknowledged");
  const got: string[] = [];
  client.setCallback((m) => got.push(m.text()));
  assert.deepEqual(got, ["b", "c"], "they go to the next consumer");
  assert.deepEqual(t.takeWritten(), ["40020002", "40020003"]);
  await client.disconnect();
});

test("bug 11: the same oversized inbound packet after every reconnect stops the loop and names the packet and the limit", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020100" + "32ffff03"); // a PUBLISH of 65535+ bytes behind the CONNACK
    };
  });
  const errors: unknown[] = [];
  const client = new MQTTClient("b11", "h", {
    transport: f,
    clock,
    keepalive: 0,
    maxPacketSize: 1024,
    reconnect: { minDelay: 10, jitter: 0 },
    onError: (e) => errors.push(e),
  });
  const it = client.messages();
  let e: unknown = null;
  const connecting = client.connect({ cleanSession: false }).catch((err) => (e = err));
  for (let i = 0; i < 100; i++) {
    await flush();
    await clock.advance(100);
  }
  await connecting;
  assert.ok(f.transports.length <= 3, `stopped after ${f.transports.length} connections`);
  assert.equal(client.state, "closed");
  assert.ok(e instanceof MalformedPacketError);
  assert.match(e.message, /Stopped reconnecting: .*exceeds maxPacketSize 1024.*raise maxPacketSize/);
  await assert.rejects(it.next(), MalformedPacketError);
});

test("bug 11: a publish the broker answers by closing the connection, again and again, is dropped and reported", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020100");
      else if ((b[0]! & 0xf0) === 0x30) queueMicrotask(() => t.end()); // "too large": the broker hangs up
    };
  });
  const client = new MQTTClient("b11b", "h", {
    transport: f,
    clock,
    keepalive: 0,
    reconnect: { minDelay: 10, jitter: 0 },
  });
  await client.connect({ cleanSession: false });
  const p = client.publish("big", "x".repeat(100), { qos: 1 });
  const rejected = assert.rejects(
    p,
    /closed the connection 3 times in a row right after PUBLISH to "big" \(packet id 1, 100 bytes payload\)/,
  );
  for (let i = 0; i < 20; i++) {
    await flush();
    await clock.advance(50);
  }
  await rejected;
  const n = f.transports.length;
  await clock.advance(10_000);
  assert.equal(f.transports.length, n, "the loop stopped");
  assert.equal(client.connected, true, "and the client is connected without the poison message");
  assert.equal(client.inflight, 0);
  await client.disconnect();
});

test("bug 12: a QoS 0 publisher on a half-open link pings after keepalive seconds without receiving", async () => {
  const clock = new FakeClock();
  const f = fakeFactory((t) => autoAnswer(t, 0, { pingresp: false }));
  const client = new MQTTClient("b12", "h", { transport: f, clock, keepalive: 10, pingTimeout: 2000 });
  await client.connect();
  for (let s = 1; s <= 10; s++) {
    await clock.advance(1000);
    await client.publish("t", "x"); // sends every second, receives nothing
  }
  assert.ok(f.transports[0]!.writtenHex.includes("c000"), "PINGREQ sent although the client keeps sending");
  await clock.advance(2000);
  assert.equal(client.connected, false, "the dead link is noticed");
});

test("bug 13: two subscribe() calls to one filter where the first fails keep the second one's handler and resubscription", async () => {
  let n = 0;
  const f = fakeFactory((t) => {
    const i = n++;
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020000");
    };
    if (i > 0) autoAnswer(t, i);
  });
  const got: string[] = [];
  const client = new MQTTClient("b13", "h", { transport: f, keepalive: 0, reconnect: { minDelay: 1, jitter: 0 } });
  await client.connect();
  const t = f.transports[0]!;
  const first = client.subscribe("t", 1, () => got.push("first"));
  const second = client.subscribe("t", 1, (m) => got.push(`second:${m.text()}`));
  await flush();
  t.receive("90030001" + "80" + "90030002" + "01"); // first refused, second granted
  await assert.rejects(first, MQTTException);
  assert.equal(await second, 1);
  t.receive(pub(0x61));
  await flush();
  assert.deepEqual(got, ["second:a"]);
  t.end();
  await new Promise((r) => setTimeout(r, 20));
  await flush();
  assert.ok(f.transports[1]!.writtenHex.some((h) => h.startsWith("82") && h.endsWith("00017401")), "resubscribed");
  await client.disconnect();
});

test("a handler set with subscribe() runs as messages arrive, without startLoop() or waitMsg()", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("h1", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const got: string[] = [];
  await client.subscribe("t", (m) => got.push(m.text()));
  f.transports[0]!.receive(pub(0x61) + pub(0x62, 5));
  await flush();
  assert.deepEqual(got, ["a", "b"]);
  assert.equal(f.transports[0]!.writtenHex.at(-1), "40020005");
  await client.disconnect();
});

test("connect() to a port that is not an MQTT broker names what answered", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = () => t.receive(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"));
  });
  const client = new MQTTClient("http", "h", { transport: f, keepalive: 0 });
  await assert.rejects(client.connect(), (e: Error) => {
    assert.ok(e instanceof MalformedPacketError);
    assert.equal(e.message, "Expected CONNACK, got 'HTTP/1.1 400 Bad Request...' (is this an MQTT port?)");
    return true;
  });
  assert.equal(client.state, "closed");
});

for (const split of [false, true]) {
  for (const qos of [0, 1, 2]) {
    test(`issue 15: a QoS ${qos} PUBLISH right behind the CONNACK (${split ? "two chunks" : "one chunk"}) reaches messages() created after connect() and is acknowledged`, async () => {
      const publish = qos === 0 ? pub(0x61) : pub(0x61, 7, qos);
      const f = fakeFactory((t) => {
        t.onWrite = (b) => {
          if (b[0] === 0x10) {
            if (split) {
              t.receive("20020000");
              t.receive(publish);
            } else t.receive("20020000" + publish);
          } else if (b[0] === 0x50) t.receive("62020007"); // PUBREC -> PUBREL
        };
      });
      const client = new MQTTClient("i15", "h", { transport: f, keepalive: 0 });
      await client.connect();
      await flush();
      const t = f.transports[0]!;
      assert.deepEqual(t.writtenHex.slice(1), [], "not acknowledged before a consumer took it");
      for await (const m of client.messages()) {
        assert.equal(m.text(), "a");
        break;
      }
      await flush();
      assert.deepEqual(
        t.writtenHex.slice(1),
        qos === 0 ? [] : qos === 1 ? ["40020007"] : ["50020007", "70020007"],
      );
      await client.disconnect();
    });
  }
}

test("disconnect() rejects pending calls with ConnectionClosedError and ends iterators", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0, { acks: false }));
  const client = new MQTTClient("d", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const p = client.publish("t", "x", { qos: 1 });
  const it = client.messages();
  const next = it.next();
  await client.disconnect();
  await assert.rejects(p, ConnectionClosedError);
  assert.deepEqual(await next, { value: undefined, done: true });
});
