import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePacket } from "../../src/codec/encode.ts";
import { PacketDecoder } from "../../src/codec/decode.ts";
import type { Packet } from "../../src/codec/packets.ts";
import { toHex } from "../_fake.ts";
import { cat, FIXTURES } from "./_fixtures.ts";

/** Decode everything in `chunks`, fed in order, returning the packets. */
function decodeChunks(chunks: Uint8Array[], maxPacketSize?: number): Packet[] {
  const d = new PacketDecoder(maxPacketSize === undefined ? {} : { maxPacketSize });
  const out: Packet[] = [];
  for (const c of chunks) {
    // A copy: the decoder may keep a reference to what it is fed.
    d.feed(c.slice());
    for (let p = d.next(); p; p = d.next()) out.push(p);
  }
  assert.equal(d.buffered, 0, "bytes left over in the decoder");
  return out;
}

test("FIXTURES covers every packet type", () => {
  const types = new Set(FIXTURES.map((f) => f.packet.type));
  for (
    const t of [
      "connect",
      "connack",
      "publish",
      "puback",
      "pubrec",
      "pubrel",
      "pubcomp",
      "subscribe",
      "suback",
      "unsubscribe",
      "unsuback",
      "pingreq",
      "pingresp",
      "disconnect",
    ]
  ) assert.ok(types.has(t as Packet["type"]), `no fixture for ${t}`);
});

test("encodePacket() produces the exact fixture bytes for every packet type", () => {
  for (const f of FIXTURES) {
    assert.equal(toHex(encodePacket(f.packet)), toHex(f.bytes), f.name);
  }
});

test("PacketDecoder.next() decodes every fixture to its packet", () => {
  for (const f of FIXTURES) {
    const d = new PacketDecoder();
    d.feed(f.bytes.slice());
    assert.ok(d.hasPacket(), f.name);
    assert.deepEqual(d.next(), f.packet, f.name);
    assert.equal(d.lastFirstByte, f.bytes[0], f.name);
    assert.equal(d.next(), null, f.name);
    assert.equal(d.buffered, 0, f.name);
  }
});

test("encodePacket() and PacketDecoder round-trip every fixture", () => {
  for (const f of FIXTURES) {
    const d = new PacketDecoder();
    d.feed(encodePacket(f.packet));
    const p = d.next();
    assert.ok(p, f.name);
    assert.equal(toHex(encodePacket(p)), toHex(f.bytes), f.name);
    assert.deepEqual(p, f.packet, f.name);
  }
});

test("PacketDecoder.next() decodes every fixture split in two at every offset", () => {
  for (const f of FIXTURES) {
    for (let i = 0; i <= f.bytes.length; i++) {
      const d = new PacketDecoder();
      d.feed(f.bytes.slice(0, i));
      if (i < f.bytes.length) {
        assert.equal(d.hasPacket(), false, `${f.name} split at ${i}`);
        assert.equal(d.next(), null, `${f.name} split at ${i}`);
      }
      d.feed(f.bytes.slice(i));
      assert.deepEqual(d.next(), f.packet, `${f.name} split at ${i}`);
      assert.equal(d.buffered, 0);
    }
  }
});

test("PacketDecoder.next() decodes every fixture split in three at every pair of offsets", () => {
  for (const f of FIXTURES) {
    if (f.bytes.length > 40) continue; // the 200-byte payload is covered by the two-way split
    for (let i = 0; i <= f.bytes.length; i++) {
      for (let j = i; j <= f.bytes.length; j++) {
        const got = decodeChunks([f.bytes.subarray(0, i), f.bytes.subarray(i, j), f.bytes.subarray(j)]);
        assert.deepEqual(got, [f.packet], `${f.name} split at ${i}, ${j}`);
      }
    }
  }
});

test("PacketDecoder.next() decodes every fixture fed one byte at a time", () => {
  for (const f of FIXTURES) {
    const chunks = Array.from(f.bytes, (x) => new Uint8Array([x]));
    assert.deepEqual(decodeChunks(chunks), [f.packet], f.name);
  }
});

test("PacketDecoder.next() decodes all fixtures concatenated in one chunk, in order", () => {
  const all = cat(...FIXTURES.map((f) => f.bytes));
  assert.deepEqual(decodeChunks([all]), FIXTURES.map((f) => f.packet));
});

test("PacketDecoder.next() decodes all fixtures concatenated and fed one byte at a time", () => {
  const all = cat(...FIXTURES.map((f) => f.bytes));
  assert.deepEqual(decodeChunks(Array.from(all, (x) => new Uint8Array([x]))), FIXTURES.map((f) => f.packet));
});

test("PacketDecoder.next() decodes all fixtures concatenated and cut at every 7th byte", () => {
  const all = cat(...FIXTURES.map((f) => f.bytes));
  for (const size of [2, 3, 7, 64, 101]) {
    const chunks: Uint8Array[] = [];
    for (let o = 0; o < all.length; o += size) chunks.push(all.subarray(o, o + size));
    assert.deepEqual(decodeChunks(chunks), FIXTURES.map((f) => f.packet), `chunk size ${size}`);
  }
});

test("PacketDecoder keeps returned payloads intact when later chunks arrive", () => {
  const d = new PacketDecoder();
  const first = FIXTURES.find((f) => f.name === "PUBLISH QoS 0")!;
  // The packet plus the first byte of the next one, so the decoder keeps its buffer.
  d.feed(cat(first.bytes, new Uint8Array([0x30])));
  const p = d.next();
  assert.deepEqual(p, first.packet);
  d.feed(new Uint8Array([0x03, 0x00, 0x01, 0x7a]).slice());
  d.feed(new Uint8Array([0xee, 0xee, 0xee, 0xee]));
  assert.deepEqual(d.next(), {
    type: "publish",
    topic: "z",
    payload: new Uint8Array(0),
    qos: 0,
    retain: false,
    dup: false,
  });
  assert.deepEqual(p, first.packet, "an earlier payload was overwritten");
});

test("PacketDecoder.hasPacket() is false for an empty or one-byte buffer", () => {
  const d = new PacketDecoder();
  assert.equal(d.hasPacket(), false);
  assert.equal(d.next(), null);
  d.feed(new Uint8Array(0));
  assert.equal(d.buffered, 0);
  d.feed(new Uint8Array([0xc0]));
  assert.equal(d.hasPacket(), false);
  assert.equal(d.next(), null);
  d.feed(new Uint8Array([0x00]));
  assert.equal(d.hasPacket(), true);
  assert.deepEqual(d.next(), { type: "pingreq" });
});
