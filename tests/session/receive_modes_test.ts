import { test } from "node:test";
import assert from "node:assert/strict";
import { ConnectionClosedError, MQTTClient } from "../../mod.ts";
import type { Message } from "../../mod.ts";
import { MQTTClient as RobustClient } from "../../src/robust.ts";
import { autoAnswer, fakeFactory, FakeTransport, flush } from "../_fake.ts";

/** PUBLISH qos 0 to "t" with a one-byte payload. */
function pub0(byte: number): string {
  return "3004000174" + byte.toString(16).padStart(2, "0");
}

/** A transport that counts reads, to observe backpressure. */
class CountingTransport extends FakeTransport {
  reads = 0;
  override read(): Promise<Uint8Array | null> {
    this.reads++;
    return super.read();
  }
}

test("the client processes packets as they arrive, without waitMsg() or startLoop(); stopLoop() changes nothing", async () => {
  const got: string[] = [];
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("lp", "h", { transport: f, keepalive: 0, callback: (m) => got.push(m.text()) });
  await client.connect();
  const t = f.transports[0]!;
  t.receive(pub0(0x61) + pub0(0x62));
  await flush();
  t.receive("3206000174000563"); // qos 1: PUBACK sent by the client's own reading
  await flush();
  assert.deepEqual(got, ["a", "b", "c"]);
  assert.equal(t.writtenHex.at(-1), "40020005");
  client.startLoop();
  client.stopLoop();
  t.receive(pub0(0x64));
  await flush();
  assert.deepEqual(got, ["a", "b", "c", "d"]);
  assert.equal(await client.checkMsg(), null, "nothing left unprocessed");
  await client.disconnect();
});

test("messages() yields every message, then ends when the client disconnects", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("it", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const t = f.transports[0]!;
  const seen: string[] = [];
  const consumer = (async () => {
    for await (const m of client.messages()) seen.push(m.text());
  })();
  t.receive(pub0(0x31) + pub0(0x32) + pub0(0x33));
  await flush();
  assert.deepEqual(seen, ["1", "2", "3"]);
  await client.disconnect();
  await consumer;
});

test("messages() with a full buffer stops reading the socket until the consumer catches up", async () => {
  let tr!: CountingTransport;
  const factory = () => {
    tr = new CountingTransport();
    autoAnswer(tr, 0);
    return Promise.resolve(tr);
  };
  const client = new MQTTClient("bp", "h", { transport: factory, keepalive: 0 });
  await client.connect();
  const it = client.messages({ bufferSize: 3 });
  // The broker floods 50 chunks of one message each.
  for (let i = 0; i < 50; i++) tr.receive(pub0(i));
  await flush();
  const readsWhenFull = tr.reads;
  await flush();
  await flush();
  assert.equal(tr.reads, readsWhenFull, "no further reads while the buffer is full");
  assert.ok(readsWhenFull <= 5, `read ${readsWhenFull} chunks for a buffer of 3`);
  const first = await it.next();
  assert.equal((first.value as Message).payload[0], 0);
  // Consume everything: reading resumes and all 50 arrive in order.
  const bytes: number[] = [0];
  for (let i = 1; i < 50; i++) bytes.push(((await it.next()).value as Message).payload[0]!);
  assert.deepEqual(bytes, Array.from({ length: 50 }, (_, i) => i));
  await it.return!();
  await client.disconnect();
});

test("messages() throws the error when the connection is lost without reconnect", async () => {
  const f = fakeFactory((t) => autoAnswer(t, 0));
  const client = new MQTTClient("it", "h", { transport: f, keepalive: 0 });
  await client.connect();
  const it = client.messages({ filter: "t" });
  const next = it.next();
  f.transports[0]!.end();
  await assert.rejects(next, ConnectionClosedError);
});

test("robust publish() survives a drop while waiting for PUBACK: reconnects with cleanSession false and resends with DUP", async () => {
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1, { acks: f.transports.length > 1 }));
  const logs: string[] = [];
  const c = new RobustClient("rb", "h", 0, null, null, 0, false, { transport: f });
  c.DELAY = 0;
  c.DEBUG = true;
  c.log = (inReconnect, e) => logs.push(`${inReconnect}:${String(e)}`);
  await c.connect();
  const p = c.publish("t", "x", false, 1);
  await flush();
  assert.equal(f.transports[0]!.writtenHex[1], "3206000174000178");
  f.transports[0]!.end();
  await p;
  const t1 = f.transports[1]!;
  assert.equal(t1.writtenHex[0]!.slice(18, 20), "00", "robust reconnects with clean_session=False");
  assert.equal(t1.writtenHex[1], "3a06000174000178", "same id, DUP set, sent once");
  assert.equal(t1.writtenHex.length, 2);
  assert.deepEqual(logs, ["false:ConnectionClosedError: Connection closed by the broker"]);
});

test("robust wait_msg() reconnects after the link drops and keeps waiting", async () => {
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1));
  const c = new RobustClient("rb", "h", 0, null, null, 0, false, { transport: f });
  c.DELAY = 0;
  const got: string[] = [];
  c.set_callback((_t, m) => got.push(new TextDecoder().decode(m)));
  await c.connect();
  const w = c.wait_msg();
  f.transports[0]!.end();
  await flush();
  await flush();
  f.transports[1]!.receive(pub0(0x7a));
  assert.equal(await w, 0x30);
  assert.deepEqual(got, ["z"]);
});

test("robust wait_msg() rejects with the callback's own error instead of reconnecting", async () => {
  const f = fakeFactory((t) => autoAnswer(t, f.transports.length - 1));
  const c = new RobustClient("rb", "h", 0, null, null, 0, false, { transport: f });
  c.DELAY = 0;
  const logged: unknown[] = [];
  c.log = (_r, e) => logged.push(e);
  c.set_callback(() => {
    throw new Error("boom");
  });
  await c.connect();
  const w = c.wait_msg();
  f.transports[0]!.receive(pub0(0x61));
  await assert.rejects(w, /boom/);
  assert.equal(f.transports.length, 1, "no reconnect for an application error");
  assert.deepEqual(logged, []);
});
