/**
 * CRC-32 (IEEE 802.3, zlib), the checksum the rig puts at the end of every
 * serial record. Written for the host side; it shares no code with the client.
 *
 * @module
 */

const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of bytes or of a string's Latin-1 code units (record lines are ASCII).
 *
 * @param data The bytes, or an ASCII string.
 * @returns The unsigned 32-bit checksum.
 */
export function crc32(data: Uint8Array | string): number {
  let c = 0xffffffff;
  if (typeof data === "string") {
    for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data.charCodeAt(i)) & 0xff]! ^ (c >>> 8);
  } else {
    for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 as 8 lowercase hex digits, the form used in records.
 *
 * @param data The bytes or ASCII string.
 * @returns e.g. `"cbf43926"` for `"123456789"`.
 */
export function crc32Hex(data: Uint8Array | string): string {
  return crc32(data).toString(16).padStart(8, "0");
}
