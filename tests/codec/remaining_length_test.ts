import { test } from "node:test";
import assert from "node:assert/strict";
import { readRemainingLength, remainingLengthSize, writeRemainingLength } from "../../src/codec/remaining_length.ts";
import { encodePacket } from "../../src/codec/encode.ts";
import { PacketDecoder } from "../../src/codec/decode.ts";
import { MalformedPacketError } from "../../src/codec/errors.ts";
import type { PublishPacket } from "../../src/codec/packets.ts";
import { hex, toHex } from "../_fake.ts";

/** Every boundary of the variable byte integer [MQTT-2.2.3], with its bytes. */
const BOUNDARIES: [number, string][] = [
  [0, "00"],
  [1, "01"],
  [127, "7f"],
  [128, "8001"],
  [321, "c102"],
  [16_383, "ff7f"],
  [16_384, "808001"],
  [2_097_151, "ffff7f"],
  [2_097_152, "80808001"],
  [268_435_455, "ffffff7f"],
];

test("writeRemainingLength() writes the exact bytes at every boundary", () => {
  for (const [n, want] of BOUNDARIES) {
    const buf = new Uint8Array(6).fill(0xee);
    const end = writeRemainingLength(n, buf, 1);
    assert.equal(end, 1 + want.length / 2, `${n}`);
    assert.equal(toHex(buf.subarray(1, end)), want, `${n}`);
    assert.equal(buf[0], 0xee, "wrote before the offset");
    assert.equal(buf[end], 0xee, "wrote past the end");
  }
});

test("remainingLengthSize() matches the encoded size at every boundary", () => {
  for (const [n, want] of BOUNDARIES) assert.equal(remainingLengthSize(n), want.length / 2, `${n}`);
});

test("readRemainingLength() reads every boundary back with its size", () => {
  for (const [n, want] of BOUNDARIES) {
    const bytes = hex("aa" + want + "bb");
    assert.deepEqual(readRemainingLength(bytes, 1, bytes.length), [n, want.length / 2], `${n}`);
  }
});

test("readRemainingLength() returns null until the last byte has arrived", () => {
  for (const [n, want] of BOUNDARIES) {
    const bytes = hex(want);
    for (let end = 0; end < bytes.length; end++) {
      assert.equal(readRemainingLength(bytes, 0, end), null, `${n} with ${end} bytes`);
    }
  }
});

test("readRemainingLength() throws MalformedPacketError when a fifth byte would be needed", () => {
  for (const s of ["ffffffff01", "80808080", "ffffffff"]) {
    const bytes = hex(s);
    assert.throws(
      () => readRemainingLength(bytes, 0, bytes.length),
      (e: unknown) => e instanceof MalformedPacketError && /more than 4 bytes \[MQTT-2\.2\.3\]/.test(e.message),
      s,
    );
  }
});

test("remainingLengthSize() and writeRemainingLength() refuse values outside 0..268435455", () => {
  for (const n of [-1, 268_435_456, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => remainingLengthSize(n), /Cannot encode remaining length .*0\.\.268435455/, String(n));
    assert.throws(() => writeRemainingLength(n, new Uint8Array(8), 0), RangeError, String(n));
  }
});

function publishOfLength(rl: number): PublishPacket {
  // topic "a" (3 bytes with its length) + payload
  return { type: "publish", topic: "a", payload: new Uint8Array(rl - 3).fill(0x5a), qos: 0, retain: false, dup: false };
}

test("encodePacket() and PacketDecoder handle real PUBLISH packets at every boundary up to 2097152", () => {
  for (const [rl, want] of BOUNDARIES) {
    if (rl < 3 || rl > 2_097_152) continue;
    const p = publishOfLength(rl);
    const bytes = encodePacket(p);
    assert.equal(bytes.length, 1 + want.length / 2 + rl, `${rl}`);
    assert.equal(toHex(bytes.subarray(0, 1 + want.length / 2 + 3)), "30" + want + "000161", `${rl}`);
    // Whole, and split inside the header, just after it, in the middle and before the last byte.
    const hl = 1 + want.length / 2;
    for (const cut of [1, hl - 1, hl, hl + 1, bytes.length >> 1, bytes.length - 1]) {
      const d = new PacketDecoder();
      d.feed(bytes.slice(0, cut));
      assert.equal(d.next(), null, `${rl} cut at ${cut}`);
      d.feed(bytes.slice(cut));
      const got = d.next() as PublishPacket;
      assert.equal(got.topic, "a");
      assert.equal(got.payload.length, rl - 3, `${rl} cut at ${cut}`);
      assert.ok(got.payload.every((x) => x === 0x5a));
    }
  }
});

test("PacketDecoder accepts a header declaring 268435455 bytes with the default maxPacketSize and waits", () => {
  const d = new PacketDecoder();
  d.feed(hex("30 ff ff ff 7f 00 01 61"));
  assert.equal(d.hasPacket(), false);
  assert.equal(d.next(), null);
  assert.equal(d.buffered, 8);
});

test("PacketDecoder refuses a header declaring 268435455 bytes at the header when maxPacketSize is smaller", () => {
  const d = new PacketDecoder({ maxPacketSize: 1_048_576 });
  d.feed(hex("30 ff ff ff 7f"));
  assert.equal(d.hasPacket(), true, "hasPacket() must report it so the reader calls next() and fails");
  assert.throws(
    () => d.next(),
    (e: unknown) =>
      e instanceof MalformedPacketError && e.message.includes("268435460 bytes exceeds maxPacketSize 1048576"),
  );
});
