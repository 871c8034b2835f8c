/**
 * Read primitives shared by the MQTT 3.1.1 and MQTT 5.0 decoders: packet
 * names, Two Byte Integers, packet identifiers and a reader of
 * length-prefixed fields that fails with a clear error when short.
 *
 * @module
 */
import { MalformedPacketError } from "./errors.ts";
import { decodeUtf8 } from "./utf8.ts";

/** Packet names by type number, for error messages (15 is AUTH in MQTT 5.0 only). */
export const NAMES: readonly string[] = [
  "RESERVED",
  "CONNECT",
  "CONNACK",
  "PUBLISH",
  "PUBACK",
  "PUBREC",
  "PUBREL",
  "PUBCOMP",
  "SUBSCRIBE",
  "SUBACK",
  "UNSUBSCRIBE",
  "UNSUBACK",
  "PINGREQ",
  "PINGRESP",
  "DISCONNECT",
  "RESERVED",
];

/** Where each packet's reason codes are listed, for error messages. */
export const REASON_RULES: Readonly<Record<number, string>> = {
  2: "[MQTT-3.2.2-8]",
  4: "[MQTT-3.4.2-1]",
  5: "[MQTT-3.5.2-1]",
  6: "[MQTT-3.6.2-1]",
  7: "[MQTT-3.7.2-1]",
  9: "[MQTT-3.9.3-2]",
  11: "[MQTT-3.11.3-2]",
  14: "[MQTT-3.14.2-1]",
  15: "[MQTT-3.15.2-1]",
};

/** Two lowercase hex digits. */
export function hex(n: number): string {
  return n.toString(16).padStart(2, "0");
}

/** Read a Two Byte Integer. */
export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Refuse a body whose length is not exactly `n`. */
export function expectLength(name: string, body: Uint8Array, n: number): void {
  if (body.length !== n) {
    throw new MalformedPacketError(`${name} remaining length must be ${n}, got ${body.length}`);
  }
}

/** Read a non-zero packet identifier [MQTT-2.3.1-1]. */
export function packetId(name: string, b: Uint8Array, o: number): number {
  const id = u16(b, o);
  if (id === 0) throw new MalformedPacketError(`${name} packet identifier must not be 0 [MQTT-2.3.1-1]`);
  return id;
}

/**
 * Read a PUBLISH's packet identifier after its topic (QoS 1/2), or check
 * that a QoS 0 PUBLISH has DUP 0 and none [MQTT-3.3.1-2]; shared by the
 * 3.1.1 and 5.0 decoders.
 */
export function publishId(first: number, qos: number, r: Reader): number | undefined {
  if (qos > 0) {
    if (r.o + 2 > r.b.length) throw new MalformedPacketError("PUBLISH is too short for its packet identifier");
    const id = packetId("PUBLISH", r.b, r.o);
    r.o += 2;
    return id;
  }
  if ((first & 0x08) !== 0) throw new MalformedPacketError("PUBLISH with QoS 0 must have DUP 0 [MQTT-3.3.1-2]");
  return undefined;
}

/** Reads length-prefixed fields, failing with a clear error when short. */
export class Reader {
  o: number;
  constructor(readonly b: Uint8Array, readonly name: string, start: number) {
    this.o = start;
  }
  bytes(field: string): Uint8Array {
    const b = this.b;
    if (this.o + 2 > b.length) {
      throw new MalformedPacketError(`${this.name} is too short for the length of its ${field}`);
    }
    const n = u16(b, this.o);
    const end = this.o + 2 + n;
    if (end > b.length) {
      throw new MalformedPacketError(
        `${this.name} ${field} declares ${n} bytes but only ${b.length - this.o - 2} remain`,
      );
    }
    const out = b.subarray(this.o + 2, end);
    this.o = end;
    return out;
  }
  string(field: string): string {
    const raw = this.bytes(field);
    const s = decodeUtf8(raw);
    if (s === null) throw new MalformedPacketError(`${this.name} ${field} is not valid UTF-8 [MQTT-1.5.3-1]`);
    if (s.includes("\u0000")) throw new MalformedPacketError(`${this.name} ${field} contains U+0000 [MQTT-1.5.3-2]`);
    return s;
  }
  done(): boolean {
    return this.o >= this.b.length;
  }
}
