import { test } from "node:test";
import assert from "node:assert/strict";
import { concat } from "../../src/_bytes.ts";
import { encodePacket } from "../../src/codec/encode.ts";

test("concat() spans adjacent views of one buffer without copying, and copies otherwise", () => {
  const slab = new Uint8Array([1, 2, 3, 4, 5]);
  const spanned = concat([slab.subarray(0, 2), slab.subarray(2, 4)]);
  assert.equal(spanned.buffer, slab.buffer);
  assert.deepEqual(Array.from(spanned), [1, 2, 3, 4]);
  const gap = concat([slab.subarray(0, 1), slab.subarray(2, 3)]);
  assert.notEqual(gap.buffer, slab.buffer);
  assert.deepEqual(Array.from(gap), [1, 3]);
  const mixed = concat([new Uint8Array([9]), slab.subarray(0, 1)]);
  assert.deepEqual(Array.from(mixed), [9, 1]);
  assert.deepEqual(Array.from(concat([new Uint8Array([7]), new Uint8Array([8])], 2)), [7, 8]);
  assert.equal(concat([]).length, 0);
});

test("packets encoded one after another are joined by concat() into exactly their bytes", () => {
  const a = encodePacket({ type: "puback", packetId: 1 });
  const b = encodePacket({
    type: "publish",
    topic: "t",
    payload: new Uint8Array([1, 2]),
    qos: 0,
    retain: false,
    dup: false,
  });
  const c = encodePacket({ type: "pingreq" });
  const joined = concat([a, b, c]);
  assert.deepEqual(Array.from(joined), [...a, ...b, ...c]);
});
