/**
 * Byte helpers shared by the transports and the CLI.
 *
 * @module
 */

/**
 * Join byte arrays into one; a single part is returned as it is, and parts that
 * are adjacent views of one buffer are returned as one view of that buffer
 * (callers must not write into the parts afterwards).
 *
 * @param parts The arrays, in order.
 * @param size Their total length, if already known.
 * @returns One array with every byte.
 * @example Joining two packets
 * ```ts
 * import { concat } from "./_bytes.ts";
 * console.log(concat([new Uint8Array([1]), new Uint8Array([2, 3])])); // Uint8Array(3) [ 1, 2, 3 ]
 * const slab = new Uint8Array([1, 2, 3, 4]);
 * console.log(concat([slab.subarray(0, 2), slab.subarray(2)]).buffer === slab.buffer); // true: no copy
 * ```
 */
export function concat(parts: Uint8Array[], size?: number): Uint8Array {
  if (parts.length === 0) return new Uint8Array(0);
  if (parts.length === 1) return parts[0]!;
  // Packets encoded one after another sit side by side in the encoder's slab: span them, no copy.
  const first = parts[0]!;
  let end = first.byteOffset + first.length;
  let adjacent = true;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.buffer !== first.buffer || p.byteOffset !== end) {
      adjacent = false;
      break;
    }
    end += p.length;
  }
  if (adjacent) return new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
  let n = size ?? 0;
  if (size === undefined) { for (const p of parts) n += p.length; }
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
