import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePacketV5 } from "../../src/codec/encode_v5.ts";
import { PacketDecoderV5 } from "../../src/codec/decode_v5.ts";
import type { PacketV5 } from "../../src/codec/packets_v5.ts";
import { PROPERTIES } from "../../src/codec/properties.ts";
import { toHex } from "../_fake.ts";
import { cat } from "./_fixtures.ts";
import { ALTERNATIVE_V5, FIXTURES_V5 } from "./v5_fixtures.ts";

function decodeChunks(chunks: Uint8Array[]): PacketV5[] {
  const d = new PacketDecoderV5();
  const out: PacketV5[] = [];
  for (const c of chunks) {
    d.feed(c.slice());
    for (let p = d.next(); p; p = d.next()) out.push(p);
  }
  assert.equal(d.buffered, 0, "bytes left over in the decoder");
  return out;
}

test("FIXTURES_V5 covers every MQTT 5.0 packet type", () => {
  const types = new Set(FIXTURES_V5.map((f) => f.packet.type));
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
      "auth",
    ]
  ) assert.ok(types.has(t as PacketV5["type"]), `no fixture for ${t}`);
});

test("FIXTURES_V5 carries every MQTT 5.0 property at least once", () => {
  const seen = new Set<string>();
  for (const f of FIXTURES_V5) {
    const p = f.packet as { properties?: object; will?: { properties?: object } };
    for (const k of Object.keys(p.properties ?? {})) seen.add(k);
    for (const k of Object.keys(p.will?.properties ?? {})) seen.add(k);
  }
  assert.equal(PROPERTIES.length, 27);
  for (const prop of PROPERTIES) assert.ok(seen.has(prop.key), `no fixture carries ${prop.name}`);
});

test("encodePacketV5() produces the exact fixture bytes for every packet type", () => {
  for (const f of FIXTURES_V5) {
    assert.equal(toHex(encodePacketV5(f.packet)), toHex(f.bytes), f.name);
  }
});

test("PacketDecoderV5.next() decodes every fixture to its packet", () => {
  for (const f of FIXTURES_V5) {
    const d = new PacketDecoderV5();
    d.feed(f.bytes.slice());
    assert.ok(d.hasPacket(), f.name);
    assert.deepEqual(d.next(), f.packet, f.name);
    assert.equal(d.lastFirstByte, f.bytes[0], f.name);
    assert.equal(d.next(), null, f.name);
  }
});

test("PacketDecoderV5.next() accepts the alternative encodings and encodePacketV5() writes them canonically", () => {
  for (const f of ALTERNATIVE_V5) {
    const [p] = decodeChunks([f.bytes]);
    assert.deepEqual(p, f.packet, f.name);
    const again = decodeChunks([encodePacketV5(p!)]);
    assert.deepEqual(again, [f.packet], f.name);
    assert.ok(encodePacketV5(p!).length <= f.bytes.length, `${f.name}: the canonical form is not longer`);
  }
});

test("encodePacketV5() and PacketDecoderV5 round-trip every fixture", () => {
  for (const f of FIXTURES_V5) {
    const [p] = decodeChunks([encodePacketV5(f.packet)]);
    assert.deepEqual(p, f.packet, f.name);
    assert.equal(toHex(encodePacketV5(p!)), toHex(f.bytes), f.name);
  }
});

test("PacketDecoderV5.next() decodes every fixture split in two at every offset", () => {
  for (const f of [...FIXTURES_V5, ...ALTERNATIVE_V5]) {
    for (let i = 0; i <= f.bytes.length; i++) {
      const d = new PacketDecoderV5();
      d.feed(f.bytes.slice(0, i));
      if (i < f.bytes.length) assert.equal(d.next(), null, `${f.name} split at ${i}`);
      d.feed(f.bytes.slice(i));
      assert.deepEqual(d.next(), f.packet, `${f.name} split at ${i}`);
      assert.equal(d.buffered, 0);
    }
  }
});

test("PacketDecoderV5.next() decodes all fixtures concatenated, fed one byte at a time and in odd chunks", () => {
  const all = cat(...FIXTURES_V5.map((f) => f.bytes));
  const want = FIXTURES_V5.map((f) => f.packet);
  assert.deepEqual(decodeChunks([all]), want);
  assert.deepEqual(decodeChunks(Array.from(all, (x) => new Uint8Array([x]))), want);
  for (const size of [2, 3, 7, 64]) {
    const chunks: Uint8Array[] = [];
    for (let o = 0; o < all.length; o += size) chunks.push(all.subarray(o, o + size));
    assert.deepEqual(decodeChunks(chunks), want, `chunk size ${size}`);
  }
});

test("encodePacketV5() fills in the defaults: reason code 0, no properties, plain subscription options", () => {
  const cases: [PacketV5, PacketV5][] = [
    [{ type: "puback", packetId: 9 }, { type: "puback", packetId: 9, reasonCode: 0 }],
    [{ type: "pubrel", packetId: 9, properties: {} }, { type: "pubrel", packetId: 9, reasonCode: 0 }],
    [{ type: "disconnect" }, { type: "disconnect", reasonCode: 0 }],
    [{ type: "auth", properties: { userProperties: [] } }, { type: "auth", reasonCode: 0 }],
    [
      { type: "subscribe", packetId: 1, subscriptions: [{ topic: "a", qos: 2 }] },
      {
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topic: "a", qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      },
    ],
  ];
  for (const [input, decoded] of cases) assert.deepEqual(decodeChunks([encodePacketV5(input)]), [decoded]);
});

test("PacketDecoderV5 keeps the MQTT 3.1.1 decoder's framing: maxPacketSize is enforced from the header", () => {
  const d = new PacketDecoderV5({ maxPacketSize: 10 });
  d.feed(new Uint8Array([0x30, 0x09]));
  assert.throws(() => d.next(), /Packet of 11 bytes exceeds maxPacketSize 10/);
});
