import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePublish, encodePublishHeader } from "../../src/codec/encode.ts";
import type { PublishPacket } from "../../src/codec/packets.ts";
import { cat, FIXTURES } from "./_fixtures.ts";

const enc = new TextEncoder();

function publish(over: Partial<PublishPacket>): PublishPacket {
  return {
    type: "publish",
    topic: "a/b",
    payload: new Uint8Array([1, 2, 3]),
    qos: 0,
    retain: false,
    dup: false,
    ...over,
  };
}

test("encodePublishHeader() followed by the payload equals encodePublish() for every PUBLISH fixture", () => {
  const fixtures = FIXTURES.filter((f) => f.packet.type === "publish");
  assert.ok(fixtures.length > 0);
  for (const f of fixtures) {
    const p = f.packet as PublishPacket;
    const header = encodePublishHeader(p);
    assert.deepEqual(cat(header, p.payload), encodePublish(p), f.name);
    assert.deepEqual(cat(header, p.payload), f.bytes, f.name);
  }
});

test("encodePublishHeader() counts the payload in the Remaining Length at every length boundary", () => {
  // 127/128, 16383/16384 and 2097151/2097152 bytes of remaining length: 1, 2, 3 and 4 length bytes.
  for (const rl of [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152]) {
    for (const qos of [0, 1, 2] as const) {
      const head = 2 + 3 + (qos > 0 ? 2 : 0);
      const size = Math.max(0, rl - head);
      const p = publish({ qos, payload: new Uint8Array(size).fill(0x5a), ...(qos > 0 ? { packetId: 513 } : {}) });
      const header = encodePublishHeader(p);
      assert.deepEqual(cat(header, p.payload), encodePublish(p), `rl ${rl} qos ${qos}`);
    }
  }
});

test("encodePublishHeader() uses topicBytes, retain and dup like encodePublish()", () => {
  const p = publish({ topic: "ignored", qos: 1, packetId: 7, retain: true, dup: true });
  const topic = enc.encode("t/ü");
  assert.deepEqual(cat(encodePublishHeader(p, topic), p.payload), encodePublish(p, topic));
  assert.deepEqual(encodePublishHeader(p, topic), new Uint8Array([0x3b, 11, 0, 4, 0x74, 0x2f, 0xc3, 0xbc, 0, 7]));
});

test("encodePublishHeader() throws the errors encodePublish() throws", () => {
  const cases: PublishPacket[] = [
    publish({ topic: "a/#" }),
    publish({ topic: "" }),
    publish({ qos: 0, dup: true }),
    publish({ qos: 1 }),
    publish({ qos: 2, packetId: 70_000 }),
    publish({ qos: 3 as 0 }),
  ];
  for (const p of cases) {
    let expected: unknown;
    try {
      encodePublish(p);
    } catch (e) {
      expected = e;
    }
    assert.ok(expected instanceof Error, JSON.stringify(p.topic));
    assert.throws(() => encodePublishHeader(p), { name: expected.name, message: expected.message });
  }
});

test("encodePublish() copies short and long topics and payloads the same way", () => {
  for (const n of [0, 1, 15, 16, 17, 64, 65, 3000]) {
    const topic = "t".repeat(Math.max(1, n));
    const payload = new Uint8Array(n).map((_, i) => i & 0xff);
    const bytes = encodePublish(publish({ topic, payload }));
    const rl = 2 + topic.length + n;
    const lenBytes = rl < 128 ? 1 : 2;
    const o = 1 + lenBytes;
    assert.deepEqual(bytes.subarray(o + 2, o + 2 + topic.length), enc.encode(topic), `topic ${n}`);
    assert.deepEqual(bytes.subarray(o + 2 + topic.length), payload, `payload ${n}`);
  }
});
