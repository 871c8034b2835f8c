import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../src/client.ts";
import { ConnectionClosedError, MalformedPacketError } from "../../src/codec/errors.ts";
import type { QoS } from "../../src/codec/packets.ts";
import { connected, fakeFactory, flush, settled } from "./_helpers.ts";

const bad = (v: number): QoS => v as QoS;

/** Run `call` on a connected client and assert it throws `name` matching `message` with nothing written. */
async function rejectsWritingNothing(
  call: (c: MQTTClient) => Promise<unknown>,
  name: string,
  message: RegExp,
): Promise<void> {
  const { client, t } = await connected();
  await assert.rejects(call(client), { name, message });
  await flush();
  assert.deepEqual(t.writtenHex, [], "nothing may be written");
  assert.equal(client.connected, true, "the connection stays up");
  await client.disconnect();
}

test("publish() rejects qos 3 with a RangeError and writes nothing", async () => {
  await rejectsWritingNothing(
    (c) => c.publish("t", "x", { qos: bad(3) }),
    "RangeError",
    /qos must be 0, 1 or 2, got 3/,
  );
});

test("subscribe() rejects qos 3 with a RangeError and writes nothing", async () => {
  await rejectsWritingNothing((c) => c.subscribe("t", bad(3)), "RangeError", /qos must be 0, 1 or 2, got 3/);
});

test("publish() rejects wildcard topics with a RangeError and writes nothing", async () => {
  for (const topic of ["a/#", "a/+/b", "#", "+"]) {
    await rejectsWritingNothing((c) => c.publish(topic, "x"), "RangeError", /must not contain wildcards/);
  }
});

test("subscribe() rejects the filter a/#/b with a RangeError and writes nothing", async () => {
  await rejectsWritingNothing((c) => c.subscribe("a/#/b"), "RangeError", /"a\/#\/b".*"#" must be the whole last level/);
});

test("subscribe() rejects the filter a+ with a RangeError and writes nothing", async () => {
  await rejectsWritingNothing((c) => c.subscribe("a+"), "RangeError", /"a\+".*"\+" must occupy a whole level/);
});

test("unsubscribe() rejects a malformed filter with a RangeError and writes nothing", async () => {
  await rejectsWritingNothing((c) => c.unsubscribe("a/#/b"), "RangeError", /must be the whole last level/);
});

test("publish() and subscribe() reject an empty topic and write nothing", async () => {
  await rejectsWritingNothing((c) => c.publish("", "x"), "RangeError", /empty topic/);
  await rejectsWritingNothing((c) => c.subscribe(""), "RangeError", /must not be empty/);
});

test("publish() and subscribe() reject U+0000 in a topic and write nothing", async () => {
  await rejectsWritingNothing((c) => c.publish("a\u0000b", "x"), "RangeError", /U\+0000/);
  await rejectsWritingNothing((c) => c.subscribe("a\u0000b"), "RangeError", /U\+0000/);
});

test("publish() and subscribe() reject a lone surrogate in a topic and write nothing", async () => {
  await rejectsWritingNothing((c) => c.publish("a\ud800", "x"), "RangeError", /lone surrogate/);
  await rejectsWritingNothing((c) => c.subscribe("a\udc00/b"), "RangeError", /lone surrogate/);
});

test("publish() rejects invalid UTF-8 topic bytes and writes nothing", async () => {
  await rejectsWritingNothing((c) => c.publish(new Uint8Array([0x61, 0xff]), "x"), "RangeError", /not valid UTF-8/);
});

test("publish() and subscribe() reject a 65536-byte topic and write nothing", async () => {
  const long = "x".repeat(65_536);
  await rejectsWritingNothing((c) => c.publish(long, "x"), "RangeError", /65535/);
  await rejectsWritingNothing((c) => c.subscribe(long), "RangeError", /65535/);
  // Two-byte characters: 32768 of them are 65536 UTF-8 bytes.
  await rejectsWritingNothing((c) => c.publish("é".repeat(32_768), "x"), "RangeError", /65535/);
});

test("new MQTTClient() rejects a 65536-byte client id", () => {
  assert.throws(() => new MQTTClient("x".repeat(65_536), "127.0.0.1"), { name: "RangeError", message: /client id/ });
  assert.doesNotThrow(() => new MQTTClient("x".repeat(65_535), "127.0.0.1"));
});

test("new MQTTClient() rejects keepalive 65536, -1 and 1.5", () => {
  for (const keepalive of [65_536, -1, 1.5]) {
    assert.throws(() => new MQTTClient("c", "127.0.0.1", { keepalive }), {
      name: "RangeError",
      message: new RegExp(`keepalive must be an integer number of seconds in 0\\.\\.65535, got ${keepalive}`),
    });
  }
});

test("new MQTTClient() rejects a password without a user name", () => {
  assert.throws(() => new MQTTClient("c", "127.0.0.1", { password: "p" }), {
    name: "TypeError",
    message: /password needs a user name.*MQTT-3\.1\.2-22/,
  });
});

test("setLastWill() rejects wildcard topics and qos 3", () => {
  const c = new MQTTClient("c", "127.0.0.1");
  assert.throws(() => c.setLastWill("a/#", "x"), { name: "RangeError", message: /wildcards/ });
  assert.throws(() => c.setLastWill("w", "x", { qos: bad(3) }), { name: "RangeError", message: /got 3/ });
});

test("calls before connect() reject with ConnectionClosedError and open nothing", async () => {
  const f = fakeFactory();
  const c = new MQTTClient("c", "127.0.0.1", { transport: f });
  const calls: [string, () => Promise<unknown>][] = [
    ["publish", () => c.publish("t", "x")],
    ["publish qos 1", () => c.publish("t", "x", { qos: 1 })],
    ["subscribe", () => c.subscribe("t")],
    ["unsubscribe", () => c.unsubscribe("t")],
    ["ping", () => c.ping()],
    ["waitMsg", () => c.waitMsg()],
    ["checkMsg", () => c.checkMsg()],
  ];
  for (const [what, call] of calls) {
    const r = await settled(call());
    assert.ok(!r.ok && r.error instanceof ConnectionClosedError, `${what}: ${JSON.stringify(r)}`);
    assert.match((r as { error: Error }).error.message, /connect/i, what);
  }
  assert.equal(f.transports.length, 0);
});

test("calls after disconnect() reject with ConnectionClosedError and write nothing", async () => {
  const { client, t } = await connected();
  await client.disconnect();
  t.takeWritten();
  const calls: (() => Promise<unknown>)[] = [
    () => client.publish("t", "x"),
    () => client.publish("t", "x", { qos: 1 }),
    () => client.subscribe("t"),
    () => client.unsubscribe("t"),
    () => client.ping(),
    () => client.waitMsg(),
    () => client.checkMsg(),
  ];
  for (const call of calls) {
    const r = await settled(call());
    assert.ok(!r.ok && r.error instanceof ConnectionClosedError, JSON.stringify(r));
  }
  assert.deepEqual(t.writtenHex, []);
});

/** Pending calls of every kind on a connected client. */
async function pendingCalls(client: MQTTClient): Promise<Promise<unknown>[]> {
  const calls = [
    client.publish("t", "x", { qos: 1 }),
    client.publish("t", "y", { qos: 2 }),
    client.subscribe("s", 1),
    client.unsubscribe("s"),
    client.ping(),
    client.waitMsg(),
  ];
  for (const p of calls) p.catch(() => {});
  await flush();
  return calls;
}

const malformed: [string, string, RegExp][] = [
  ["a remaining length longer than four bytes", "30ffffffff01", /remaining length/i],
  ["reserved flags set on PUBACK", "41020001", /reserved|flags/i],
  ["reserved flags set on SUBACK", "9103000100", /reserved|flags/i],
  ["packet type 0", "0000", /type/i],
  ["packet type 15", "f000", /type|unexpected/i],
  ["a second CONNACK", "20020000", /CONNACK/],
  ["a PUBLISH with QoS 3", "36070001740001" + "6869", /qos/i],
];

for (const [what, bytes, message] of malformed) {
  test(`a MalformedPacketError for ${what} closes the connection and rejects every pending call`, async () => {
    const { client, t } = await connected();
    const calls = await pendingCalls(client);
    t.receive(bytes);
    const errors = [];
    for (const p of calls) {
      const r = await settled(p);
      assert.equal(r.ok, false, `${what}: a pending call resolved`);
      errors.push((r as { error: unknown }).error);
    }
    const first = errors.find((e) => e instanceof MalformedPacketError) as MalformedPacketError | undefined;
    assert.ok(first, `${what}: no MalformedPacketError among ${errors.map(String).join(", ")}`);
    assert.match(first.message, message);
    for (const e of errors) assert.equal(e, first, `${what}: every pending call gets the same error`);
    assert.equal(t.closed, true);
    assert.equal(client.connected, false);
    await assert.rejects(client.publish("t", "x"));
  });
}

test("connection loss (EOF) rejects every pending call with one ConnectionClosedError", async () => {
  const { client, t } = await connected();
  const calls = await pendingCalls(client);
  t.end();
  const errors = [];
  for (const p of calls) {
    const r = await settled(p);
    assert.equal(r.ok, false);
    errors.push((r as { error: unknown }).error);
  }
  assert.ok(errors[0] instanceof ConnectionClosedError, String(errors[0]));
  for (const e of errors) assert.equal(e, errors[0]);
  assert.equal(client.connected, false);
});

test("connection loss (read error) rejects every pending call with one ConnectionClosedError citing the cause", async () => {
  const { client, t } = await connected();
  const calls = await pendingCalls(client);
  const cause = new Error("ECONNRESET");
  t.fail(cause);
  const errors = [];
  for (const p of calls) {
    const r = await settled(p);
    assert.equal(r.ok, false);
    errors.push((r as { error: unknown }).error);
  }
  const e = errors[0] as ConnectionClosedError;
  assert.ok(e instanceof ConnectionClosedError, String(e));
  assert.equal(e.cause, cause);
  assert.match(e.message, /ECONNRESET/);
  for (const x of errors) assert.equal(x, e);
});

test("a failing write rejects the call and closes the connection", async () => {
  const { client, t } = await connected();
  const waiting = client.waitMsg();
  waiting.catch(() => {});
  t.failWrites = new Error("EPIPE");
  const r = await settled(client.publish("t", "x", { qos: 1 }));
  assert.ok(!r.ok && r.error instanceof ConnectionClosedError, JSON.stringify(r));
  const w = await settled(waiting);
  assert.ok(!w.ok && w.error instanceof ConnectionClosedError);
  assert.equal(client.connected, false);
});

test('publish() quotes a string qos in its error, so "1" is not mistaken for 1', async () => {
  await rejectsWritingNothing(
    (c) => c.publish("t", "x", { qos: "1" as unknown as QoS }),
    "RangeError",
    /qos must be 0, 1 or 2, got "1"$/,
  );
  await rejectsWritingNothing((c) => c.subscribe("t", "2" as unknown as QoS), "RangeError", /got "2"$/);
});
