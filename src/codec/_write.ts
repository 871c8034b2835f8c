/**
 * Write primitives shared by the MQTT 3.1.1 and MQTT 5.0 encoders: one slab
 * allocator, one fixed-header writer (over the one Remaining Length codec),
 * length-prefixed fields and the integer types of MQTT 5.0 [MQTT-1.5].
 *
 * @module
 */
import { MAX_STRING_BYTES } from "./constants.ts";
import { remainingLengthSize, writeRemainingLength } from "./remaining_length.ts";

// Small packets are carved out of a shared slab: allocating an ArrayBuffer per packet costs
// about a microsecond on some runtimes. A slab region is handed out once and never reused.
const SLAB_SIZE = 64 * 1024;
const SMALL_PACKET = 2 * 1024;
let slab: ArrayBuffer = new ArrayBuffer(0);
let slabUsed = 0;

/** A fresh region of `n` bytes (from the slab when small). */
export function alloc(n: number): Uint8Array {
  if (n > SMALL_PACKET) return new Uint8Array(n);
  if (slabUsed + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  // A view on the buffer: cheaper than `subarray()`, which looks up the species constructor.
  const b = new Uint8Array(slab, slabUsed, n);
  slabUsed += n;
  return b;
}

/** One buffer for the whole packet with its fixed header written; the body starts at `length - rl`. */
export function fixed(first: number, rl: number): Uint8Array {
  const buf = alloc(1 + remainingLengthSize(rl) + rl);
  buf[0] = first;
  writeRemainingLength(rl, buf, 1);
  return buf;
}

/** Write a two-byte length and the bytes; returns the offset past them. */
export function putBytes(buf: Uint8Array, o: number, b: Uint8Array): number {
  buf[o] = b.length >> 8;
  buf[o + 1] = b.length & 0xff;
  buf.set(b, o + 2);
  return o + 2 + b.length;
}

/** Check a binary field: a `Uint8Array` of at most 65535 bytes. */
export function checkBinary(b: Uint8Array, what: string): Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`Invalid ${what}: expected a Uint8Array`);
  if (b.length > MAX_STRING_BYTES) {
    throw new RangeError(`Invalid ${what}: ${b.length} bytes, the maximum is ${MAX_STRING_BYTES}`);
  }
  return b;
}

/** Write a Two Byte Integer; returns the offset past it. */
export function putU16(buf: Uint8Array, o: number, n: number): number {
  buf[o] = n >> 8;
  buf[o + 1] = n & 0xff;
  return o + 2;
}

/** Write a Four Byte Integer; returns the offset past it. */
export function putU32(buf: Uint8Array, o: number, n: number): number {
  buf[o] = n >>> 24;
  buf[o + 1] = (n >>> 16) & 0xff;
  buf[o + 2] = (n >>> 8) & 0xff;
  buf[o + 3] = n & 0xff;
  return o + 4;
}
