/**
 * MQTT 3.1.1 packets as a discriminated union on `type`.
 *
 * Topics, client ids and user names are strings (UTF-8 on the wire);
 * payloads and passwords are bytes.
 *
 * @module
 */

/**
 * Quality of service level: 0 at most once, 1 at least once, 2 exactly
 * once.
 *
 * @example Checking a number before using it as QoS
 * ```ts
 * import type { QoS } from "./packets.ts";
 * const n: number = 1;
 * const qos: QoS = n === 0 || n === 1 || n === 2 ? n : 0;
 * console.log(qos); // 1
 * ```
 */
export type QoS = 0 | 1 | 2;

/**
 * Last will carried in CONNECT: published by the broker if the connection
 * ends without DISCONNECT.
 *
 * @example An "offline" status
 * ```ts
 * import type { Will } from "./packets.ts";
 * const will: Will = { topic: "status/sensor-1", payload: new TextEncoder().encode("offline"), qos: 1, retain: true };
 * console.log(will.topic); // "status/sensor-1"
 * ```
 */
export interface Will {
  /** Topic the broker publishes the will on. */
  topic: string;
  /** Will payload. */
  payload: Uint8Array;
  /** Will QoS. */
  qos: QoS;
  /** Whether the broker retains the will message. */
  retain: boolean;
}

/**
 * CONNECT (client to broker).
 *
 * @example A CONNECT with credentials
 * ```ts
 * import type { ConnectPacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: ConnectPacket = {
 *   type: "connect",
 *   clientId: "c1",
 *   cleanSession: true,
 *   keepalive: 60,
 *   username: "u",
 *   password: new TextEncoder().encode("p"),
 * };
 * console.log(encodePacket(p)[9]?.toString(2)); // "11000010": user name, password, clean session
 * ```
 */
export interface ConnectPacket {
  /** Discriminant. */
  type: "connect";
  /** Client identifier (may be empty with clean session). */
  clientId: string;
  /** Clean session flag. */
  cleanSession: boolean;
  /** Keepalive in seconds, 0..65535. */
  keepalive: number;
  /** Last will; when absent, the connection has none. */
  will?: Will | undefined;
  /** User name; when absent, none is sent. */
  username?: string | undefined;
  /** Password; when absent, none is sent. Needs a user name [MQTT-3.1.2-22]. */
  password?: Uint8Array | undefined;
}

/**
 * CONNACK (broker to client).
 *
 * @example An accepted connection resuming a session
 * ```ts
 * import type { ConnackPacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: ConnackPacket = { type: "connack", sessionPresent: true, returnCode: 0 };
 * console.log(encodePacket(p)); // Uint8Array [32, 2, 1, 0]
 * ```
 */
export interface ConnackPacket {
  /** Discriminant. */
  type: "connack";
  /** Session present flag. */
  sessionPresent: boolean;
  /** Return code 0..5. */
  returnCode: number;
}

/**
 * PUBLISH (both directions).
 *
 * @example A QoS 1 message
 * ```ts
 * import type { PublishPacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: PublishPacket = { type: "publish", topic: "a", payload: new Uint8Array([1]), qos: 1, retain: false, dup: false, packetId: 5 };
 * console.log(encodePacket(p)); // Uint8Array [50, 6, 0, 1, 97, 0, 5, 1]
 * ```
 */
export interface PublishPacket {
  /** Discriminant. */
  type: "publish";
  /** Topic name (no wildcards). */
  topic: string;
  /** Application payload. */
  payload: Uint8Array;
  /** QoS level. */
  qos: QoS;
  /** Retain flag. */
  retain: boolean;
  /** Duplicate delivery flag. */
  dup: boolean;
  /** Packet identifier 1..65535: required when qos > 0, absent for QoS 0. */
  packetId?: number | undefined;
}

/**
 * A packet that carries only a packet identifier: PUBACK, PUBREC,
 * PUBREL, PUBCOMP or UNSUBACK.
 *
 * @example Acknowledging a QoS 1 message
 * ```ts
 * import type { AckPacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: AckPacket = { type: "puback", packetId: 5 };
 * console.log(encodePacket(p)); // Uint8Array [64, 2, 0, 5]
 * ```
 */
export interface AckPacket {
  /** Discriminant. */
  type: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback";
  /** Packet identifier 1..65535. */
  packetId: number;
}

/**
 * One topic filter with its requested QoS.
 *
 * @example Every temperature, at QoS 1
 * ```ts
 * import type { Subscription } from "./packets.ts";
 * const s: Subscription = { topic: "sensors/+/temp", qos: 1 };
 * console.log(s.topic); // "sensors/+/temp"
 * ```
 */
export interface Subscription {
  /** Topic filter (wildcards allowed). */
  topic: string;
  /** Requested QoS. */
  qos: QoS;
}

/**
 * SUBSCRIBE (client to broker).
 *
 * @example Two filters in one packet
 * ```ts
 * import type { SubscribePacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: SubscribePacket = { type: "subscribe", packetId: 1, subscriptions: [{ topic: "a", qos: 0 }, { topic: "b", qos: 2 }] };
 * console.log(encodePacket(p).length); // 12
 * ```
 */
export interface SubscribePacket {
  /** Discriminant. */
  type: "subscribe";
  /** Packet identifier. */
  packetId: number;
  /** One or more filters. */
  subscriptions: Subscription[];
}

/**
 * SUBACK (broker to client).
 *
 * @example One filter granted QoS 1, one refused
 * ```ts
 * import type { SubackPacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: SubackPacket = { type: "suback", packetId: 1, returnCodes: [1, 0x80] };
 * console.log(encodePacket(p)); // Uint8Array [144, 4, 0, 1, 1, 128]
 * ```
 */
export interface SubackPacket {
  /** Discriminant. */
  type: "suback";
  /** Packet identifier. */
  packetId: number;
  /** Granted QoS (0, 1, 2) or 0x80 per filter. */
  returnCodes: number[];
}

/**
 * UNSUBSCRIBE (client to broker).
 *
 * @example Leaving one filter
 * ```ts
 * import type { UnsubscribePacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: UnsubscribePacket = { type: "unsubscribe", packetId: 2, topics: ["a"] };
 * console.log(encodePacket(p)); // Uint8Array [162, 5, 0, 2, 0, 1, 97]
 * ```
 */
export interface UnsubscribePacket {
  /** Discriminant. */
  type: "unsubscribe";
  /** Packet identifier. */
  packetId: number;
  /** One or more filters. */
  topics: string[];
}

/**
 * PINGREQ, PINGRESP or DISCONNECT: no body.
 *
 * @example DISCONNECT on the wire
 * ```ts
 * import type { EmptyPacket } from "./packets.ts";
 * import { encodePacket } from "./encode.ts";
 * const p: EmptyPacket = { type: "disconnect" };
 * console.log(encodePacket(p)); // Uint8Array [224, 0]
 * ```
 */
export interface EmptyPacket {
  /** Discriminant. */
  type: "pingreq" | "pingresp" | "disconnect";
}

/**
 * Any MQTT 3.1.1 packet, discriminated by `type`.
 *
 * @example Narrowing on `type`
 * ```ts
 * import type { Packet } from "./packets.ts";
 * function describe(p: Packet): string {
 *   switch (p.type) {
 *     case "publish":
 *       return `${p.topic} (${p.payload.length} bytes)`;
 *     case "suback":
 *       return `granted ${p.returnCodes.join(", ")}`;
 *     default:
 *       return p.type;
 *   }
 * }
 * console.log(describe({ type: "pingresp" })); // "pingresp"
 * ```
 */
export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | EmptyPacket;
