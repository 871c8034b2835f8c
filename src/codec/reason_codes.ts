/**
 * MQTT 5.0 reason codes: every code with its name and the packets that may
 * carry it (MQTT 5.0 §2.4, Table 2-6).
 *
 * @module
 */

/**
 * A packet that carries reason codes in MQTT 5.0.
 *
 * @example Narrowing a packet type
 * ```ts
 * import type { ReasonCodePacket } from "./reason_codes.ts";
 * const t: ReasonCodePacket = "puback";
 * console.log(t); // "puback"
 * ```
 */
export type ReasonCodePacket =
  | "connack"
  | "puback"
  | "pubrec"
  | "pubrel"
  | "pubcomp"
  | "suback"
  | "unsuback"
  | "disconnect"
  | "auth";

/**
 * One row of {@linkcode REASON_CODES}.
 *
 * @example Reading a row
 * ```ts
 * import { REASON_CODES } from "./reason_codes.ts";
 * const row = REASON_CODES.find((r) => r.code === 0x87)!;
 * console.log(row.name, row.packets.includes("suback")); // "Not authorized" true
 * ```
 */
export interface ReasonCode {
  /** The byte on the wire. */
  readonly code: number;
  /** The spec's name for it in these packets. */
  readonly name: string;
  /** The packets it is valid in, with this name. */
  readonly packets: readonly ReasonCodePacket[];
}

// Packet type numbers as bits, for the per-code masks.
const CONNACK = 1 << 2;
const PUBACK = 1 << 4;
const PUBREC = 1 << 5;
const PUBREL = 1 << 6;
const PUBCOMP = 1 << 7;
const SUBACK = 1 << 9;
const UNSUBACK = 1 << 11;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;
const ACK = PUBACK | PUBREC;
const ERR = CONNACK | ACK | SUBACK | UNSUBACK | DISCONNECT; // 0x80, 0x83, 0x87

const TYPES: Readonly<Record<ReasonCodePacket, number>> = {
  connack: 2,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  suback: 9,
  unsuback: 11,
  disconnect: 14,
  auth: 15,
};

// [code, name, packets]: 0x00 has three names, one per group of packets.
const TABLE: readonly (readonly [number, string, number])[] = [
  [0x00, "Success", CONNACK | ACK | PUBREL | PUBCOMP | UNSUBACK | AUTH],
  [0x00, "Normal disconnection", DISCONNECT],
  [0x00, "Granted QoS 0", SUBACK],
  [0x01, "Granted QoS 1", SUBACK],
  [0x02, "Granted QoS 2", SUBACK],
  [0x04, "Disconnect with Will Message", DISCONNECT],
  [0x10, "No matching subscribers", ACK],
  [0x11, "No subscription existed", UNSUBACK],
  [0x18, "Continue authentication", AUTH],
  [0x19, "Re-authenticate", AUTH],
  [0x80, "Unspecified error", ERR],
  [0x81, "Malformed Packet", CONNACK | DISCONNECT],
  [0x82, "Protocol Error", CONNACK | DISCONNECT],
  [0x83, "Implementation specific error", ERR],
  [0x84, "Unsupported Protocol Version", CONNACK],
  [0x85, "Client Identifier not valid", CONNACK],
  [0x86, "Bad User Name or Password", CONNACK],
  [0x87, "Not authorized", ERR],
  [0x88, "Server unavailable", CONNACK],
  [0x89, "Server busy", CONNACK | DISCONNECT],
  [0x8a, "Banned", CONNACK],
  [0x8b, "Server shutting down", DISCONNECT],
  [0x8c, "Bad authentication method", CONNACK | DISCONNECT],
  [0x8d, "Keep Alive timeout", DISCONNECT],
  [0x8e, "Session taken over", DISCONNECT],
  [0x8f, "Topic Filter invalid", SUBACK | UNSUBACK | DISCONNECT],
  [0x90, "Topic Name invalid", CONNACK | ACK | DISCONNECT],
  [0x91, "Packet Identifier in use", ACK | SUBACK | UNSUBACK],
  [0x92, "Packet Identifier not found", PUBREL | PUBCOMP],
  [0x93, "Receive Maximum exceeded", DISCONNECT],
  [0x94, "Topic Alias invalid", DISCONNECT],
  [0x95, "Packet too large", CONNACK | DISCONNECT],
  [0x96, "Message rate too high", DISCONNECT],
  [0x97, "Quota exceeded", CONNACK | ACK | SUBACK | DISCONNECT],
  [0x98, "Administrative action", DISCONNECT],
  [0x99, "Payload format invalid", CONNACK | ACK | DISCONNECT],
  [0x9a, "Retain not supported", CONNACK | DISCONNECT],
  [0x9b, "QoS not supported", CONNACK | DISCONNECT],
  [0x9c, "Use another server", CONNACK | DISCONNECT],
  [0x9d, "Server moved", CONNACK | DISCONNECT],
  [0x9e, "Shared Subscriptions not supported", SUBACK | DISCONNECT],
  [0x9f, "Connection rate exceeded", CONNACK | DISCONNECT],
  [0xa0, "Maximum connect time", DISCONNECT],
  [0xa1, "Subscription Identifiers not supported", SUBACK | DISCONNECT],
  [0xa2, "Wildcard Subscriptions not supported", SUBACK | DISCONNECT],
];

/** Per code, the packet types (as bits) it is valid in. */
const ALLOWED = new Uint16Array(256);
for (const [code, , mask] of TABLE) ALLOWED[code]! |= mask;

const NAMES_BY_TYPE = Object.entries(TYPES) as [ReasonCodePacket, number][];

/**
 * Every MQTT 5.0 reason code, in order, with its name and the packets that
 * may carry it. 0x00 appears three times: "Success", "Normal
 * disconnection" (DISCONNECT) and "Granted QoS 0" (SUBACK).
 *
 * @example Codes a SUBACK may carry
 * ```ts
 * import { REASON_CODES } from "./reason_codes.ts";
 * const suback = REASON_CODES.filter((r) => r.packets.includes("suback")).map((r) => r.code);
 * console.log(suback.length); // 12
 * ```
 */
export const REASON_CODES: readonly ReasonCode[] = TABLE.map(([code, name, mask]) => ({
  code,
  name,
  packets: NAMES_BY_TYPE.filter(([, t]) => (mask & (1 << t)) !== 0).map(([n]) => n),
}));

/**
 * Whether `code` is a valid reason code in a packet of type number `type`
 * (2 CONNACK, 4..7 the acknowledgements, 9 SUBACK, 11 UNSUBACK,
 * 14 DISCONNECT, 15 AUTH). Used by the decoder.
 *
 * @param type The packet type number.
 * @param code The reason code.
 * @returns Whether it is allowed.
 * @example 0x92 belongs to PUBREL and PUBCOMP only
 * ```ts
 * import { reasonCodeAllowedIn } from "./reason_codes.ts";
 * console.log(reasonCodeAllowedIn(6, 0x92), reasonCodeAllowedIn(4, 0x92)); // true false
 * ```
 */
export function reasonCodeAllowedIn(type: number, code: number): boolean {
  return code >= 0 && code <= 0xff && ((ALLOWED[code] ?? 0) & (1 << type)) !== 0;
}

/**
 * Whether `code` is a valid reason code for `packet`.
 *
 * @param packet The packet type.
 * @param code The reason code.
 * @returns Whether the spec lists it for that packet.
 * @example "Not authorized" in PUBACK, but not in PUBREL
 * ```ts
 * import { isReasonCodeAllowed } from "./reason_codes.ts";
 * console.log(isReasonCodeAllowed("puback", 0x87), isReasonCodeAllowed("pubrel", 0x87)); // true false
 * ```
 */
export function isReasonCodeAllowed(packet: ReasonCodePacket, code: number): boolean {
  const t = TYPES[packet];
  return t !== undefined && Number.isInteger(code) && reasonCodeAllowedIn(t, code);
}

/**
 * The spec's name for a reason code, in `packet` when given (0x00 is
 * "Normal disconnection" in DISCONNECT and "Granted QoS 0" in SUBACK), or
 * `undefined` for a code MQTT 5.0 does not define.
 *
 * @param code The reason code.
 * @param packet The packet that carries it, if known.
 * @returns The name, or `undefined`.
 * @example Names
 * ```ts
 * import { reasonCodeName } from "./reason_codes.ts";
 * console.log(reasonCodeName(0x87)); // "Not authorized"
 * console.log(reasonCodeName(0x00, "disconnect")); // "Normal disconnection"
 * ```
 */
export function reasonCodeName(code: number, packet?: ReasonCodePacket): string | undefined {
  const bit = packet === undefined ? 0 : 1 << TYPES[packet];
  let fallback: string | undefined;
  for (const [c, name, mask] of TABLE) {
    if (c !== code) continue;
    if (bit === 0 || (mask & bit) !== 0) return name;
    fallback ??= name;
  }
  return fallback;
}

/**
 * A reason code as error messages show it: `"0x87 Not authorized"`, or
 * `"0x07 (unknown reason code)"`.
 *
 * @param code The reason code.
 * @param packet The packet that carries it, if known (picks the name of 0x00).
 * @returns The hex code and its name.
 * @example Explaining a refusal
 * ```ts
 * import { describeReasonCode } from "./reason_codes.ts";
 * console.log(describeReasonCode(0x87)); // "0x87 Not authorized"
 * console.log(describeReasonCode(0x01, "suback")); // "0x01 Granted QoS 1"
 * ```
 */
export function describeReasonCode(code: number, packet?: ReasonCodePacket): string {
  const hex = `0x${(code >>> 0).toString(16).padStart(2, "0")}`;
  return `${hex} ${reasonCodeName(code, packet) ?? "(unknown reason code)"}`;
}
