/**
 * The one Remaining Length (variable byte integer) encoder and decoder
 * [MQTT-2.2.3].
 *
 * @module
 */
import { MAX_REMAINING_LENGTH } from "./constants.ts";
import { MalformedPacketError } from "./errors.ts";

/**
 * Number of bytes the Remaining Length `n` takes on the wire (1..4).
 *
 * @param n A length in 0..268435455.
 * @returns 1, 2, 3 or 4.
 * @example Sizes around the one-byte limit
 * ```ts
 * import { remainingLengthSize } from "./remaining_length.ts";
 * console.log(remainingLengthSize(127), remainingLengthSize(128)); // 1 2
 * ```
 */
export function remainingLengthSize(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_REMAINING_LENGTH) {
    throw new RangeError(
      `Cannot encode remaining length ${n}: it must be an integer in 0..${MAX_REMAINING_LENGTH} (a packet over 268435455 bytes is not allowed)`,
    );
  }
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * Write `n` as a Remaining Length into `buf` at `offset`.
 *
 * @param n A length in 0..268435455.
 * @param buf Destination.
 * @param offset Where to write.
 * @returns The offset just past the written bytes.
 * @example Writing 321 as two bytes
 * ```ts
 * import { writeRemainingLength } from "./remaining_length.ts";
 * const buf = new Uint8Array(4);
 * console.log(writeRemainingLength(321, buf, 0), buf.subarray(0, 2)); // 2 Uint8Array [193, 2]
 * ```
 */
export function writeRemainingLength(n: number, buf: Uint8Array, offset: number): number {
  remainingLengthSize(n);
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[offset++] = byte;
  } while (n > 0);
  return offset;
}

/**
 * Read a Remaining Length from `buf[offset..end)`.
 *
 * Returns the value and the number of bytes it took, or `null` when more
 * bytes are needed. Throws {@linkcode MalformedPacketError} when a fifth
 * continuation byte would be needed.
 *
 * @param buf Source bytes.
 * @param offset Where the Remaining Length starts.
 * @param end End of the valid bytes in `buf`.
 * @returns `[value, size]` or `null` if incomplete.
 * @example Reading a two-byte length
 * ```ts
 * import { readRemainingLength } from "./remaining_length.ts";
 * console.log(readRemainingLength(new Uint8Array([0xc1, 0x02]), 0, 2)); // [321, 2]
 * ```
 */
export function readRemainingLength(
  buf: Uint8Array,
  offset: number,
  end: number,
): [number, number] | null {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= end) return null;
    const byte = buf[offset + i]!;
    value += (byte & 0x7f) * mult;
    if ((byte & 0x80) === 0) return [value, i + 1];
    mult *= 128;
  }
  throw new MalformedPacketError(
    "Malformed Remaining Length: more than 4 bytes [MQTT-2.2.3]",
  );
}
