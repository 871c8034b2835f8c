/**
 * UTF-8 string fields: validation and conversion [MQTT-1.5.3].
 *
 * @module
 */
import { MAX_STRING_BYTES } from "./constants.ts";

const encoder = new TextEncoder();
const fatalDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Encode a string to UTF-8, refusing what MQTT forbids: lone surrogates
 * [MQTT-1.5.3-1], U+0000 [MQTT-1.5.3-2] and more than 65535 bytes.
 *
 * @param s The string.
 * @param what What the string is, for the error message ("topic", "client id"…).
 * @returns The UTF-8 bytes.
 * @example A two-byte character
 * ```ts
 * import { encodeUtf8 } from "./utf8.ts";
 * console.log(encodeUtf8("é", "topic")); // Uint8Array [195, 169]
 * ```
 */
export function encodeUtf8(s: string, what: string): Uint8Array {
  if (typeof s !== "string") {
    throw new TypeError(`Invalid ${what}: expected a string or Uint8Array, got ${typeof s}`);
  }
  checkString(s, what);
  const bytes = encoder.encode(s);
  if (bytes.length > MAX_STRING_BYTES) {
    throw new RangeError(
      `Invalid ${what}: ${bytes.length} UTF-8 bytes, the maximum is ${MAX_STRING_BYTES}`,
    );
  }
  return bytes;
}

/**
 * Check a string as {@linkcode encodeUtf8} does (same errors), without
 * making its bytes: plain ASCII is checked in place.
 *
 * @param s The string.
 * @param what What it is, for error messages ("client id").
 * @example
 * ```ts
 * import { checkUtf8 } from "./utf8.ts";
 * checkUtf8("sensor-1", "client id"); // no error
 * ```
 */
export function checkUtf8(s: string, what: string): void {
  if (asciiLength(s) < 0) encodeUtf8(s, what);
}

/**
 * The UTF-8 length of a string that is plain ASCII without U+0000 and fits
 * an MQTT string (those need no other check), or -1: then use
 * {@linkcode encodeUtf8}, which checks everything and names the problem.
 *
 * @param s The string.
 * @returns Its length, or -1.
 * @example
 * ```ts
 * import { asciiLength } from "./utf8.ts";
 * console.log(asciiLength("a/b"), asciiLength("é")); // 3 -1
 * ```
 */
export function asciiLength(s: string): number {
  if (typeof s !== "string" || s.length > MAX_STRING_BYTES) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return -1;
  }
  return s.length;
}

/**
 * Check a string for lone surrogates and U+0000.
 *
 * @param s The string.
 * @param what What the string is, for the error message.
 * @example Checking a topic
 * ```ts
 * import { checkString } from "./utf8.ts";
 * checkString("a/b", "topic"); // ok
 * ```
 */
export function checkString(s: string, what: string): void {
  if (!s.isWellFormed()) {
    throw new RangeError(`Invalid ${what} ${JSON.stringify(s)}: it contains a lone surrogate [MQTT-1.5.3-1]`);
  }
  if (s.includes("\u0000")) {
    throw new RangeError(`Invalid ${what} ${JSON.stringify(s)}: it contains U+0000 [MQTT-1.5.3-2]`);
  }
}

/**
 * Decode UTF-8 bytes, returning `null` when they are not valid UTF-8.
 *
 * @param bytes The bytes.
 * @returns The string, or `null`.
 * @example Decoding valid UTF-8
 * ```ts
 * import { decodeUtf8 } from "./utf8.ts";
 * console.log(decodeUtf8(new Uint8Array([0x61]))); // "a"
 * ```
 */
export function decodeUtf8(bytes: Uint8Array): string | null {
  // Fast path: plain ASCII needs no validation beyond the range check.
  if (bytes.length < 64) {
    let ascii = true;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  }
  try {
    return fatalDecoder.decode(bytes);
  } catch {
    return null;
  }
}

/**
 * Convert a `string | Uint8Array` argument to a string, checking that bytes
 * are valid UTF-8.
 *
 * @param v The value.
 * @param what What it is, for the error message.
 * @returns The string.
 * @example Bytes to text
 * ```ts
 * import { toText } from "./utf8.ts";
 * console.log(toText(new Uint8Array([0x61, 0x2f, 0x62]), "topic")); // "a/b"
 * ```
 */
export function toText(v: string | Uint8Array, what: string): string {
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) {
    const s = decodeUtf8(v);
    if (s === null) throw new RangeError(`Invalid ${what}: the bytes are not valid UTF-8 [MQTT-1.5.3]`);
    return s;
  }
  throw new TypeError(`Invalid ${what}: expected a string or Uint8Array, got ${v === null ? "null" : typeof v}`);
}

/**
 * Convert a `string | Uint8Array` payload to bytes (strings as UTF-8).
 *
 * @param v The value.
 * @param what What it is, for the error message.
 * @returns The bytes.
 * @example Text to bytes
 * ```ts
 * import { toBytes } from "./utf8.ts";
 * console.log(toBytes("hi", "payload")); // Uint8Array [104, 105]
 * ```
 */
export function toBytes(v: string | Uint8Array, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return encoder.encode(v);
  throw new TypeError(`Invalid ${what}: expected a string or Uint8Array, got ${v === null ? "null" : typeof v}`);
}
