import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import type { Message } from "../../mod.ts";
import { autoAnswer, fakeFactory, flush } from "../_fake.ts";

const CONNECT_Q = "101000044d5154540402003c000471322d74"; // "q2-t", keepalive 60, clean

function setup(opts: Record<string, unknown> = {}, auto = {}) {
  const f = fakeFactory((t, _o) => autoAnswer(t, f.transports.length - 1, auto));
  const got: Message[] = [];
  const client = new MQTTClient("q2-t", "127.0.0.1", {
    transport: f,
    autoKeepalive: false,
    callback: (m) => got.push(m),
    ...opts,
  });
  return { f, client, got };
}

test("publish() qos 2 sends PUBLISH, answers PUBREC with PUBREL and resolves on PUBCOMP", async () => {
  const { f, client } = setup({}, { acks: false });
  await client.connect();
  const t = f.transports[0]!;
  assert.equal(t.writtenHex[0], CONNECT_Q);
  let done = false;
  const p = client.publish("a/b", "hi", { qos: 2 }).then(() => done = true);
  await flush();
  assert.equal(t.writtenHex[1], "3409" + "0003612f62" + "0001" + "6869");
  t.receive("50020001"); // PUBREC
  await flush();
  assert.equal(t.writtenHex[2], "62020001"); // PUBREL with flags 0010
  assert.equal(done, false, "must wait for PUBCOMP");
  t.receive("70020001");
  await p;
  assert.equal(client.inflight, 0);
});

test("incoming qos 2 is delivered once when the broker repeats PUBLISH before PUBREL", async () => {
  const { f, client, got } = setup();
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  const pub = "3409" + "0003612f62" + "0007" + "6869"; // qos2 id 7
  t.receive(pub);
  assert.equal(await client.waitMsg(), 0x34);
  t.receive("3c09" + "0003612f62" + "0007" + "6869"); // repeat with DUP
  assert.equal(await client.waitMsg(), 0x3c);
  assert.equal(got.length, 1, "delivered exactly once");
  assert.equal(got[0]!.text(), "hi");
  assert.equal(got[0]!.qos, 2);
  t.receive("62020007"); // PUBREL
  assert.equal(await client.waitMsg(), 0x62);
  assert.deepEqual(t.takeWritten(), ["50020007", "50020007", "70020007"]);
  // After PUBREL the id is free: a new message with id 7 is a new message.
  t.receive(pub);
  await client.waitMsg();
  assert.equal(got.length, 2);
});

test("PUBREL for an unknown packet id still gets PUBCOMP", async () => {
  const { f, client } = setup();
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  t.receive("62020123");
  assert.equal(await client.waitMsg(), 0x62);
  assert.deepEqual(t.takeWritten(), ["70020123"]);
});

test("incoming qos 1 is acknowledged with PUBACK after the callback ran", async () => {
  const order: string[] = [];
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("q2-t", "127.0.0.1", {
    transport: f,
    autoKeepalive: false,
    callback: () => order.push(`callback, writes so far: ${f.transports[0]!.writes.length}`),
  });
  await client.connect();
  f.transports[0]!.receive("320700017400096869"); // qos1 id 9 topic "t" payload "hi"
  assert.equal(await client.waitMsg(), 0x32);
  assert.deepEqual(order, ["callback, writes so far: 1"]);
  assert.deepEqual(f.transports[0]!.writtenHex.slice(1), ["40020009"]);
});

test("publish() pipelines up to maxInflight and resolves each on its own acknowledgement", async () => {
  const { f, client } = setup({ maxInflight: 2 }, { acks: false });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  const done: number[] = [];
  const ps = [1, 2, 3].map((i) => client.publish("t", `m${i}`, { qos: 1 }).then(() => done.push(i)));
  await flush();
  assert.deepEqual(t.writtenHex, ["3207000174" + "0001" + "6d31", "3207000174" + "0002" + "6d32"]);
  t.receive("40020002"); // ack the second first
  await flush();
  assert.deepEqual(done, [2]);
  assert.equal(t.writtenHex[2], "3207000174" + "0003" + "6d33", "third goes out once a slot frees");
  t.receive("4002000140020003");
  await Promise.all(ps);
  assert.deepEqual(done, [2, 1, 3]);
});

test("qos 0 publish waits behind queued qos 1 publishes to keep order", async () => {
  const { f, client } = setup({ maxInflight: 1 }, { acks: false });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  const a = client.publish("t", "a", { qos: 1 });
  const b = client.publish("t", "b", { qos: 1 });
  const c = client.publish("t", "c");
  await flush();
  assert.equal(t.writtenHex.length, 1);
  t.receive("40020001");
  await flush();
  t.receive("40020002");
  await Promise.all([a, b, c]);
  assert.deepEqual(t.takeWritten(), ["3206000174" + "0001" + "61", "3206000174" + "0002" + "62", "3004000174" + "63"]);
});

test("packet ids wrap from 65535 to 1 and skip ids still in flight", async () => {
  const { f, client } = setup({}, { acks: false });
  await client.connect();
  const t = f.transports[0]!;
  t.takeWritten();
  client.session.lastPacketId = 65533;
  const p1 = client.publish("t", "x", { qos: 1 }); // 65534
  const p2 = client.publish("t", "x", { qos: 1 }); // 65535
  const p3 = client.publish("t", "x", { qos: 1 }); // 1
  await flush();
  client.session.lastPacketId = 65533;
  const p4 = client.publish("t", "x", { qos: 1 }); // 65534,65535,1 busy -> 2
  await flush();
  const ids = t.writtenHex.map((h) => h.slice(10, 14));
  assert.deepEqual(ids, ["fffe", "ffff", "0001", "0002"]);
  t.receive("4002fffe4002ffff4002000140020002");
  await Promise.all([p1, p2, p3, p4]);
});

test("per-topic handlers get matching messages; unmatched ones go to the callback", async () => {
  const { f, client, got } = setup();
  await client.connect();
  const temps: string[] = [];
  const all: string[] = [];
  assert.equal(await client.subscribe("sensors/+/temp", 1, (m) => temps.push(m.topic)), 1);
  assert.equal(await client.subscribe("sensors/#", { qos: 0, handler: (m) => all.push(m.topic) }), 0);
  const t = f.transports[0]!;
  const enc = new TextEncoder();
  const pub = (topic: string): string => {
    const tb = enc.encode(topic);
    return "30" + (2 + tb.length).toString(16).padStart(2, "0") + "00" + tb.length.toString(16).padStart(2, "0") +
      Array.from(tb, (x) => x.toString(16).padStart(2, "0")).join("");
  };
  for (const topic of ["sensors/1/temp", "sensors/1/hum", "other", "sensors/temp"]) {
    t.receive(pub(topic));
    await client.waitMsg();
  }
  assert.deepEqual(temps, ["sensors/1/temp"]);
  assert.deepEqual(all, ["sensors/1/temp", "sensors/1/hum", "sensors/temp"]);
  assert.deepEqual(got.map((m) => m.topic), ["other"]);
  await client.unsubscribe("sensors/#");
  t.receive(pub("sensors/2/hum"));
  await client.waitMsg();
  assert.deepEqual(got.map((m) => m.topic), ["other", "sensors/2/hum"]);
});

test("a '$' topic is not matched by '#' or '+' handlers [MQTT-4.7.2-1]", async () => {
  const { f, client, got } = setup();
  await client.connect();
  const seen: string[] = [];
  await client.subscribe("#", (m) => seen.push(m.topic));
  f.transports[0]!.receive("300900077324535953" + "2f78"); // "$SYS/x"? length 7 => "s$SYS/x"
  await client.waitMsg();
  f.transports[0]!.receive("3008000624535953" + "2f78"); // "$SYS/x"
  await client.waitMsg();
  assert.deepEqual(seen, ["s$SYS/x"]);
  assert.deepEqual(got.map((m) => m.topic), ["$SYS/x"]);
});

test("subscribe() with a refused filter rejects with MQTTException 0x80 and drops its handler", async () => {
  const f = fakeFactory((t) => {
    autoAnswer(t, 0, { suback: false });
    const base = t.onWrite!;
    t.onWrite = (b) => {
      if (b[0] === 0x82) {
        t.receive(`9003${b[2]!.toString(16).padStart(2, "0")}${b[3]!.toString(16).padStart(2, "0")}80`);
      } else base(b);
    };
  });
  const client = new MQTTClient("x", "h", { transport: f, autoKeepalive: false });
  await client.connect();
  await assert.rejects(client.subscribe("forbidden/#", 1, () => {}), (e: Error & { code?: number }) => {
    assert.equal(e.name, "MQTTException");
    assert.equal(e.code, 0x80);
    assert.match(e.message, /forbidden\/#/);
    return true;
  });
});
