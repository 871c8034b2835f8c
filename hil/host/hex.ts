/** Hex helpers for the HIL host tools. @module */

/**
 * Decode a hex string.
 *
 * @param hex Even-length hex string.
 * @returns The bytes.
 * @throws {TypeError} When the string is not valid hex.
 */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new TypeError(`Cannot decode hex "${hex.slice(0, 40)}": not an even-length hex string`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Encode bytes as lowercase hex.
 *
 * @param bytes The bytes.
 * @returns Lowercase hex.
 */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
