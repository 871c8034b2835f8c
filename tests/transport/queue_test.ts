import { test } from "node:test";
import assert from "node:assert/strict";
import { DIRECT, OutQueue, STAGE } from "../../src/transport/_queue.ts";

function bytes(n: number, fill: number): Uint8Array {
  return new Uint8Array(n).fill(fill);
}

/** Drain a queue, returning what each write would have sent (copied, as the gathering buffer is reused). */
function drain(q: OutQueue): Uint8Array[] {
  const out: Uint8Array[] = [];
  while (!q.empty) out.push(q.next().slice());
  assert.equal(q.bytes, 0);
  return out;
}

function joined(parts: Uint8Array[]): number[] {
  return parts.flatMap((p) => [...p]);
}

test("OutQueue.next() returns a single part as it is", () => {
  const q = new OutQueue();
  const a = bytes(10, 1);
  q.push(a);
  assert.equal(q.bytes, 10);
  assert.equal(q.next(), a);
  assert.ok(q.empty);
  assert.equal(q.next().length, 0);
});

test("OutQueue.next() returns adjacent views of one buffer as one view, without copying", () => {
  const slab = new Uint8Array(100).map((_, i) => i);
  const q = new OutQueue();
  q.push(slab.subarray(0, 4));
  q.push(slab.subarray(4, 10));
  q.push(slab.subarray(10, 30));
  const out = q.next();
  assert.equal(out.buffer, slab.buffer);
  assert.equal(out.byteOffset, 0);
  assert.equal(out.length, 30);
  assert.ok(q.empty);
});

test("OutQueue.next() gathers small parts from different buffers into one write, in order", () => {
  const q = new OutQueue();
  const parts = [bytes(5, 1), bytes(1000, 2), bytes(7, 3), bytes(16_384, 4)];
  for (const p of parts) q.push(p);
  const writes = drain(q);
  assert.equal(writes.length, 1);
  assert.deepEqual(joined(writes), joined(parts));
});

test("OutQueue.next() writes parts of DIRECT bytes or more as they are, between gathered runs", () => {
  const q = new OutQueue();
  const big = bytes(DIRECT, 9);
  const parts = [bytes(3, 1), bytes(4, 2), big, bytes(5, 3), bytes(6, 4)];
  for (const p of parts) q.push(p);
  assert.equal(q.next().length, 7);
  assert.equal(q.next(), big);
  assert.equal(q.next().length, 11);
  assert.ok(q.empty);
});

test("OutQueue.next() splits a gathered run at STAGE bytes", () => {
  const q = new OutQueue();
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 40; i++) parts.push(bytes(16_384, i), bytes(4, 200 + i));
  for (const p of parts) q.push(p);
  const writes = drain(q);
  assert.ok(writes.length > 1);
  for (const w of writes) assert.ok(w.length <= STAGE);
  assert.deepEqual(joined(writes), joined(parts));
});

test("OutQueue.unshift() puts a partly written rest back first, and a rest in the gathering buffer is not overwritten", () => {
  const q = new OutQueue();
  const parts = [bytes(10, 1), bytes(20, 2), bytes(30, 3)];
  q.push(parts[0]!);
  q.push(parts[1]!);
  const first = q.next(); // gathered: 30 bytes
  assert.equal(first.length, 30);
  const rest = first.subarray(12);
  q.unshift(rest);
  q.push(parts[2]!);
  q.push(bytes(1, 4)); // the next gather must not reuse the buffer `rest` lives in
  const sent = [...first.subarray(0, 12), ...joined(drain(q))];
  assert.deepEqual(sent, [...joined(parts), 4]);
});

test("OutQueue keeps order across many parts pushed while it drains, and clear() drops them", () => {
  const q = new OutQueue();
  const expected: number[] = [];
  const sent: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const p = new Uint8Array([i & 0xff, (i >> 8) & 0xff]);
    q.push(p);
    expected.push(...p);
    if (i % 7 === 0) sent.push(...q.next());
  }
  sent.push(...joined(drain(q)));
  assert.deepEqual(sent, expected);
  q.push(bytes(3, 1));
  q.clear();
  assert.ok(q.empty);
  assert.equal(q.bytes, 0);
});
