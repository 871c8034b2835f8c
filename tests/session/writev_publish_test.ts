import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import { encodePublish } from "../../src/codec/encode.ts";
import { autoAnswer, FakeTransport, flush } from "../_fake.ts";

/** A fake transport with writev(): records each call's two parts and whether the payload was passed as it is. */
class VecTransport extends FakeTransport {
  vec: { header: Uint8Array; payload: Uint8Array }[] = [];
  writev(header: Uint8Array, payload: Uint8Array): Promise<void> | void {
    this.vec.push({ header: header.slice(), payload });
    const joined = new Uint8Array(header.length + payload.length);
    joined.set(header);
    joined.set(payload, header.length);
    return this.write(joined);
  }
}

function setup() {
  const transports: VecTransport[] = [];
  const factory = () => {
    const t = new VecTransport();
    transports.push(t);
    autoAnswer(t, transports.length - 1);
    return Promise.resolve(t);
  };
  const client = new MQTTClient("wv", "127.0.0.1", { transport: factory, autoKeepalive: false });
  return { client, transports };
}

test("publish() hands a payload of 2 KiB or more to Transport.writev() as it is, after its header", async () => {
  const { client, transports } = setup();
  await client.connect();
  const t = transports[0]!;
  const big = new Uint8Array(4096).fill(7);
  await client.publish("a/b", big, { qos: 0 });
  await client.publish("a/b", big, { qos: 1 });
  assert.equal(t.vec.length, 2);
  assert.equal(t.vec[0]!.payload, big, "the caller's array, not a copy");
  assert.equal(t.vec[1]!.payload, big);
  const q0 = { type: "publish", topic: "a/b", payload: big, qos: 0, retain: false, dup: false } as const;
  assert.deepEqual(t.writes.at(-2), encodePublish(q0));
  assert.deepEqual(t.writes.at(-1), encodePublish({ ...q0, qos: 1, packetId: 1 }));
  await client.disconnect();
});

test("publish() encodes a small payload whole and uses write(), never writev()", async () => {
  const { client, transports } = setup();
  await client.connect();
  const t = transports[0]!;
  await client.publish("a/b", new Uint8Array(2047), { qos: 1 });
  await flush();
  assert.equal(t.vec.length, 0);
  await client.disconnect();
});
