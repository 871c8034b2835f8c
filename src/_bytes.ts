/**
 * Byte helpers shared by the transports and the CLI.
 *
 * @module
 */

/**
 * Join byte arrays into one; a single part is returned as it is.
 *
 * @param parts The arrays, in order.
 * @param size Their total length, if already known.
 * @returns One array with every byte.
 * @example Joining two packets
 * ```ts
 * import { concat } from "./_bytes.ts";
 * console.log(concat([new Uint8Array([1]), new Uint8Array([2, 3])])); // Uint8Array(3) [ 1, 2, 3 ]
 * ```
 */
export function concat(parts: Uint8Array[], size?: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
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
