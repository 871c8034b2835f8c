/**
 * MQTT 3.1.1 packet type numbers and protocol limits.
 *
 * @module
 */

/** MQTT control packet type numbers (upper nibble of the first byte). */
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

/** Largest value a Remaining Length can hold (four bytes) [MQTT-2.2.3]. */
export const MAX_REMAINING_LENGTH = 268_435_455;

/** Largest length of an MQTT UTF-8 string or binary field [MQTT-1.5.3]. */
export const MAX_STRING_BYTES = 65_535;

/** Largest packet identifier; identifiers run 1..65535 [MQTT-2.3.1-1]. */
export const MAX_PACKET_ID = 65_535;

/** Largest keepalive in seconds (two bytes) [MQTT-3.1.2.10]. */
export const MAX_KEEPALIVE = 65_535;

/** Protocol level of MQTT 3.1.1 [MQTT-3.1.2-2]. */
export const PROTOCOL_LEVEL = 4;

/** CONNACK return codes and their meanings [MQTT-3.2.2.3]. */
export const CONNACK_REASONS: Readonly<Record<number, string>> = {
  0: "connection accepted",
  1: "unacceptable protocol version",
  2: "identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};

/** SUBACK return code for a refused subscription [MQTT-3.9.3]. */
export const SUBACK_FAILURE = 0x80;
