/**
 * MQTT 3.1.1 packet type numbers and protocol limits.
 *
 * @module
 */

/**
 * MQTT control packet type numbers (upper nibble of the first byte).
 *
 * @example Reading the type of a first byte
 * ```ts
 * import { PacketType } from "./constants.ts";
 * console.log((0x32 >> 4) === PacketType.PUBLISH); // true
 * ```
 */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
} as const;

/**
 * Largest value a Remaining Length can hold (four bytes) [MQTT-2.2.3].
 *
 * @example The largest whole packet
 * ```ts
 * import { MAX_REMAINING_LENGTH } from "./constants.ts";
 * console.log(1 + 4 + MAX_REMAINING_LENGTH); // 268435460
 * ```
 */
export const MAX_REMAINING_LENGTH = 268_435_455;

/**
 * Largest length of an MQTT UTF-8 string or binary field [MQTT-1.5.3].
 *
 * @example Checking a topic's size
 * ```ts
 * import { MAX_STRING_BYTES } from "./constants.ts";
 * console.log(new TextEncoder().encode("sensors/1").length <= MAX_STRING_BYTES); // true
 * ```
 */
export const MAX_STRING_BYTES = 65_535;

/**
 * Largest packet identifier; identifiers run 1..65535 [MQTT-2.3.1-1].
 *
 * @example The id after the largest wraps to 1
 * ```ts
 * import { MAX_PACKET_ID } from "./constants.ts";
 * console.log((MAX_PACKET_ID % MAX_PACKET_ID) + 1); // 1
 * ```
 */
export const MAX_PACKET_ID = 65_535;

/**
 * Largest keepalive in seconds (two bytes) [MQTT-3.1.2.10].
 *
 * @example About 18 hours
 * ```ts
 * import { MAX_KEEPALIVE } from "./constants.ts";
 * console.log(Math.floor(MAX_KEEPALIVE / 3600)); // 18
 * ```
 */
export const MAX_KEEPALIVE = 65_535;

/**
 * Protocol level of MQTT 3.1.1 [MQTT-3.1.2-2], sent in every CONNECT.
 *
 * @example The level byte of a CONNECT
 * ```ts
 * import { encodeConnect, PROTOCOL_LEVEL } from "./mod.ts";
 * const bytes = encodeConnect({ type: "connect", clientId: "c", cleanSession: true, keepalive: 0 });
 * console.log(bytes[8] === PROTOCOL_LEVEL); // true
 * ```
 */
export const PROTOCOL_LEVEL = 4;

/**
 * CONNACK return codes and their meanings [MQTT-3.2.2.3].
 *
 * @example Explaining a refusal
 * ```ts
 * import { CONNACK_REASONS } from "./constants.ts";
 * console.log(CONNACK_REASONS[5]); // "not authorized"
 * ```
 */
export const CONNACK_REASONS: Readonly<Record<number, string>> = {
  0: "connection accepted",
  1: "unacceptable protocol version",
  2: "identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};

/**
 * SUBACK return code for a refused subscription [MQTT-3.9.3].
 *
 * @example Checking granted QoS values
 * ```ts
 * import { SUBACK_FAILURE } from "./constants.ts";
 * const returnCodes = [1, SUBACK_FAILURE];
 * console.log(returnCodes.map((c) => c === SUBACK_FAILURE ? "refused" : `QoS ${c}`)); // ["QoS 1", "refused"]
 * ```
 */
export const SUBACK_FAILURE = 0x80;
