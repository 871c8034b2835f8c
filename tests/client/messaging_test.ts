import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../src/client.ts";
import { MQTTException } from "../../src/codec/errors.ts";
import { answer, connected, fakeFactory, flush, isPending, settled } from "./_helpers.ts";

test("publish() sends QoS 0 without a packet id and resolves once written", async () => {
  const { client, t } = await connected();
  await client.publish("t", "hi");
  await client.publish("t", new Uint8Array([0, 0xff]), { retain: true });
  assert.deepEqual(t.writtenHex, ["30050001746869", "3105000174" + "00ff"]);
  assert.equal(client.session.lastPacketId, 0);
});

test("publish() QoS 1 sends 0x32 with a packet id and resolves on the matching PUBACK", async () => {
  const { client, t } = await connected();
  const p = client.publish("t", "hi", { qos: 1 });
  await flush();
  assert.deepEqual(t.writtenHex, ["3207000174" + "00016869"]);
  t.receive("40020009"); // an unrelated id is ignored
  assert.equal(await isPending(p), true);
  t.receive("40020001");
  assert.deepEqual(await settled(p), { ok: true, value: undefined });
});

test("publish() QoS 1 with retain sends first byte 0x33", async () => {
  const { client, t } = await connected();
  answer(t, { "33": "40020001" });
  await client.publish("t", "hi", { qos: 1, retain: true });
  assert.deepEqual(t.writtenHex, ["3307000174" + "00016869"]);
});

test("publish() QoS 2 sends PUBLISH, answers PUBREC with PUBREL and resolves on PUBCOMP", async () => {
  const { client, t } = await connected();
  const p = client.publish("t", "hi", { qos: 2, retain: true });
  await flush();
  t.receive("50020001");
  await flush();
  assert.equal(await isPending(p), true);
  t.receive("70020001");
  assert.deepEqual(await settled(p), { ok: true, value: undefined });
  assert.deepEqual(t.writtenHex, ["3507000174" + "00016869", "62020001"]);
});

test("publish() resends an unacknowledged QoS 1 message with DUP after a persistent reconnect", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive(f.transports.length === 1 ? "20020000" : "20020100");
    };
  });
  const c = new MQTTClient("c", "127.0.0.1", { transport: f, keepalive: 0 });
  await c.connect({ cleanSession: false });
  const p = c.publish("t", "hi", { qos: 1 });
  p.catch(() => {});
  await flush();
  f.transports[0]!.end();
  await flush();
  await c.connect({ cleanSession: false });
  await flush();
  const t1 = f.transports[1]!;
  assert.deepEqual(t1.writtenHex, ["100d00044d51545404000000000163", "3a07000174" + "00016869"]);
  t1.receive("40020001");
  await flush();
  assert.equal(c.inflight, 0);
  await c.disconnect();
});

test("publish() measures a non-ASCII topic in UTF-8 bytes", async () => {
  const { client, t } = await connected();
  await client.publish("é/ü", "x");
  assert.deepEqual(t.writtenHex, ["30080005c3a92fc3bc78"]);
});

test("publish() packet ids wrap from 65535 to 1", async () => {
  const { client, t } = await connected();
  t.onWrite = (b) => {
    if (b[0] === 0x32) t.receive(`4002${Array.from(b.slice(5, 7), (x) => x.toString(16).padStart(2, "0")).join("")}`);
  };
  client.session.lastPacketId = 65533;
  await client.publish("t", "a", { qos: 1 });
  await client.publish("t", "b", { qos: 1 });
  await client.publish("t", "c", { qos: 1 });
  assert.deepEqual(t.writtenHex, ["3206000174fffe61", "3206000174ffff62", "320600017400016" + "3"]);
});

test("publish() and subscribe() skip packet ids still in flight when the counter wraps", async () => {
  const { client, t } = await connected();
  const first = client.publish("t", "a", { qos: 1 }); // id 1, never acknowledged yet
  const second = client.publish("t", "b", { qos: 1 }); // id 2
  await flush();
  client.session.lastPacketId = 65535;
  const sub = client.subscribe("s", 0); // would be 1 and 2: both in flight, so 3
  await flush();
  assert.deepEqual(t.writtenHex, ["320600017400016" + "1", "3206000174000262", "82060003000173" + "00"]);
  t.receive("900300" + "0300");
  t.receive("40020001");
  t.receive("40020002");
  assert.equal((await settled(sub)).ok, true);
  assert.equal((await settled(first)).ok, true);
  assert.equal((await settled(second)).ok, true);
});

test("subscribe() sends one filter with its QoS and resolves to the granted QoS", async () => {
  const { client, t } = await connected();
  answer(t, { "82": "9003000101" });
  assert.equal(await client.subscribe("a/+", 2), 1);
  assert.deepEqual(t.writtenHex, ["820800010003612f2b02"]);
});

test("subscribe() rejects with MQTTException(0x80) when the broker refuses and keeps the connection", async () => {
  const { client, t } = await connected();
  answer(t, { "82": "9003000180", "c0": "d000" });
  await assert.rejects(
    client.subscribe("forbidden/#", 1),
    (e: unknown) => e instanceof MQTTException && e.code === 128,
  );
  assert.equal(client.connected, true);
  await client.ping();
});

test("unsubscribe() sends UNSUBSCRIBE 0xA2 and resolves on the matching UNSUBACK", async () => {
  const { client, t } = await connected();
  const p = client.unsubscribe("a/+");
  await flush();
  assert.deepEqual(t.writtenHex, ["a20700010003612f2b"]);
  assert.equal(await isPending(p), true);
  t.receive("b0020001");
  assert.deepEqual(await settled(p), { ok: true, value: undefined });
});

test("ping() sends PINGREQ and resolves on PINGRESP", async () => {
  const { client, t } = await connected();
  const p = client.ping();
  await flush();
  assert.deepEqual(t.writtenHex, ["c000"]);
  assert.equal(await isPending(p), true);
  t.receive("d000");
  assert.deepEqual(await settled(p), { ok: true, value: undefined });
});

test("waitMsg() resolves to the PUBLISH first byte and delivers the message to the callback", async () => {
  const { client, t, messages } = await connected();
  const p = client.waitMsg();
  assert.equal(await isPending(p), true);
  t.receive("3b07000174000768" + "69"); // QoS 1, DUP, retain, id 7
  assert.deepEqual(await settled(p), { ok: true, value: 0x3b });
  assert.equal(messages.length, 1);
  const m = messages[0]!;
  assert.deepEqual([m.topic, m.text(), m.qos, m.retain, m.dup], ["t", "hi", 1, true, true]);
  assert.deepEqual(t.writtenHex, ["40020007"]);
});

test("waitMsg() resolves null for PINGRESP", async () => {
  const { client, t } = await connected();
  const p = client.waitMsg();
  t.receive("d000");
  assert.deepEqual(await settled(p), { ok: true, value: null });
});

test("checkMsg() resolves null at once and writes nothing when nothing arrived", async () => {
  const { client, t } = await connected();
  assert.equal(await client.checkMsg(), null);
  assert.deepEqual(t.writtenHex, []);
});

test("messages reach the callback without checkMsg(), which then finds nothing left", async () => {
  const { client, t, messages } = await connected();
  t.receive("30050001746869" + "30050001746a6b");
  await flush();
  assert.deepEqual(messages.map((m) => m.text()), ["hi", "jk"]);
  assert.equal(await client.checkMsg(), null);
});

test("checkMsg() yields to the event loop, so a polling loop lets timers and sockets run", async () => {
  const { client, t, messages } = await connected();
  let fired = false;
  setTimeout(() => {
    fired = true;
    t.receive("30050001746869");
  }, 0);
  let i = 0;
  while (!fired && i < 1000) {
    await client.checkMsg();
    i++;
  }
  assert.equal(fired, true, `the timer never ran in ${i} checkMsg() calls`);
  await flush();
  assert.deepEqual(messages.map((m) => m.text()), ["hi"]);
});

test("an inbound QoS 1 PUBLISH is acknowledged with PUBACK after the callback returns", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020000");
    };
  });
  let writesInCallback = -1;
  const c = new MQTTClient("c", "127.0.0.1", {
    transport: f,
    keepalive: 0,
    callback: () => {
      writesInCallback = f.transports[0]!.writes.length;
    },
  });
  await c.connect();
  const t = f.transports[0]!;
  const p = c.waitMsg();
  t.receive("3207000174" + "12346869");
  assert.equal((await settled(p)).ok, true);
  assert.equal(writesInCallback, 1); // only CONNECT so far
  assert.deepEqual(t.writtenHex.slice(1), ["40021234"]);
  await c.disconnect();
});

test("an inbound QoS 2 PUBLISH repeated before PUBREL is delivered once and each copy gets PUBREC", async () => {
  const { client, t, messages } = await connected();
  for (const bytes of ["3407000174" + "00056869", "3c07000174" + "00056869"]) {
    const p = client.waitMsg();
    t.receive(bytes);
    assert.equal((await settled(p)).ok, true);
  }
  assert.equal(messages.length, 1);
  assert.deepEqual(t.takeWritten(), ["50020005", "50020005"]);
  const rel = client.waitMsg();
  t.receive("62020005");
  assert.deepEqual(await settled(rel), { ok: true, value: 0x62 });
  assert.deepEqual(t.takeWritten(), ["70020005"]);
  // After PUBREL the id is free again: a new message with id 5 is a new delivery.
  const again = client.waitMsg();
  t.receive("3407000174" + "00056a6b");
  assert.equal((await settled(again)).ok, true);
  assert.deepEqual(messages.map((m) => m.text()), ["hi", "jk"]);
});

test("a PUBREL for an unknown packet id is answered with PUBCOMP", async () => {
  const { client, t, messages } = await connected();
  const p = client.waitMsg();
  t.receive("62020042");
  assert.deepEqual(await settled(p), { ok: true, value: 0x62 });
  assert.deepEqual(t.writtenHex, ["70020042"]);
  assert.equal(messages.length, 0);
});

test("publish() QoS 1 delivers a PUBLISH that arrives before its PUBACK", async () => {
  const { client, t, messages } = await connected();
  answer(t, { "32": "3207000174000168" + "69" + "40020001" });
  await client.publish("t", "hi", { qos: 1 });
  assert.equal(messages.length, 1);
  assert.deepEqual(t.writtenHex, ["3207000174" + "00016869", "40020001"]);
});

test("disconnect() sends DISCONNECT and closes the transport", async () => {
  const { client, t } = await connected();
  await client.disconnect();
  assert.deepEqual(t.writtenHex, ["e000"]);
  assert.equal(t.closed, true);
  assert.equal(client.connected, false);
});
