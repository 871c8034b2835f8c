/**
 * MQTT 5.0 packets as a discriminated union on `type`, extending the
 * MQTT 3.1.1 shapes with reason codes and properties, plus AUTH.
 *
 * Decoded packets always carry every field (`reasonCode` 0 when the short
 * form left it out, subscription options in full); `properties` is present
 * only when the packet carried at least one. When encoding, the optional
 * fields default to 0/false and no properties.
 *
 * @module
 */
import type { ConnectPacket, PublishPacket, Subscription, UnsubscribePacket, Will } from "./packets.ts";
import type {
  AckProperties,
  AuthProperties,
  ConnackProperties,
  ConnectProperties,
  DisconnectProperties,
  PublishProperties,
  SubscribeProperties,
  UnsubscribeProperties,
  WillProperties,
} from "./properties.ts";

/**
 * Last will in an MQTT 5.0 CONNECT: the 3.1.1 will plus will properties.
 *
 * @example A will delayed by 10 s
 * ```ts
 * import type { WillV5 } from "./packets_v5.ts";
 * const will: WillV5 = {
 *   topic: "status/1",
 *   payload: new TextEncoder().encode("offline"),
 *   qos: 1,
 *   retain: true,
 *   properties: { willDelayInterval: 10 },
 * };
 * console.log(will.properties?.willDelayInterval); // 10
 * ```
 */
export interface WillV5 extends Will {
  /** Will properties. */
  properties?: WillProperties | undefined;
}

/**
 * MQTT 5.0 CONNECT. `cleanSession` is the Clean Start flag; a password
 * no longer needs a user name.
 *
 * @example A CONNECT asking for a one-hour session
 * ```ts
 * import type { ConnectPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: ConnectPacketV5 = {
 *   type: "connect",
 *   clientId: "c1",
 *   cleanSession: true,
 *   keepalive: 60,
 *   properties: { sessionExpiryInterval: 3600 },
 * };
 * console.log(encodePacketV5(p)[8]); // 5: protocol version
 * ```
 */
export interface ConnectPacketV5 extends ConnectPacket {
  /** Last will with its properties. */
  will?: WillV5 | undefined;
  /** CONNECT properties. */
  properties?: ConnectProperties | undefined;
}

/**
 * MQTT 5.0 CONNACK.
 *
 * @example A refusal
 * ```ts
 * import type { ConnackPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: ConnackPacketV5 = { type: "connack", sessionPresent: false, reasonCode: 0x87 };
 * console.log(encodePacketV5(p)); // Uint8Array [32, 3, 0, 135, 0]
 * ```
 */
export interface ConnackPacketV5 {
  /** Discriminant. */
  type: "connack";
  /** Session present flag (0 unless the reason code is 0 [MQTT-3.2.2-6]). */
  sessionPresent: boolean;
  /** Connect reason code (0 success, 0x80 and above a refusal). */
  reasonCode: number;
  /** CONNACK properties. */
  properties?: ConnackProperties | undefined;
}

/**
 * MQTT 5.0 PUBLISH. With a Topic Alias the topic may be empty.
 *
 * @example A message sent by alias only
 * ```ts
 * import type { PublishPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: PublishPacketV5 = {
 *   type: "publish",
 *   topic: "",
 *   payload: new Uint8Array([1]),
 *   qos: 0,
 *   retain: false,
 *   dup: false,
 *   properties: { topicAlias: 2 },
 * };
 * console.log(encodePacketV5(p)); // Uint8Array [48, 7, 0, 0, 3, 35, 0, 2, 1]
 * ```
 */
export interface PublishPacketV5 extends PublishPacket {
  /** PUBLISH properties. */
  properties?: PublishProperties | undefined;
}

/**
 * MQTT 5.0 PUBACK, PUBREC, PUBREL or PUBCOMP. With reason code 0 and no
 * properties it is sent in the 3.1.1 short form [MQTT-3.4.2.1].
 *
 * @example A PUBACK for a message nobody was subscribed to
 * ```ts
 * import type { PubAckPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: PubAckPacketV5 = { type: "puback", packetId: 5, reasonCode: 0x10 };
 * console.log(encodePacketV5(p)); // Uint8Array [64, 3, 0, 5, 16]
 * ```
 */
export interface PubAckPacketV5 {
  /** Discriminant. */
  type: "puback" | "pubrec" | "pubrel" | "pubcomp";
  /** Packet identifier 1..65535. */
  packetId: number;
  /** Reason code. @default {0} */
  reasonCode?: number | undefined;
  /** Reason String and User Properties. */
  properties?: AckProperties | undefined;
}

/**
 * A topic filter with the MQTT 5.0 subscription options.
 *
 * @example Not receiving one's own messages
 * ```ts
 * import type { SubscriptionV5 } from "./packets_v5.ts";
 * const s: SubscriptionV5 = { topic: "chat/#", qos: 1, noLocal: true };
 * console.log(s.noLocal); // true
 * ```
 */
export interface SubscriptionV5 extends Subscription {
  /** Do not send the client its own messages. @default {false} */
  noLocal?: boolean | undefined;
  /** Keep the RETAIN flag as published when forwarding. @default {false} */
  retainAsPublished?: boolean | undefined;
  /** 0 send retained messages, 1 only for a new subscription, 2 never. @default {0} */
  retainHandling?: 0 | 1 | 2 | undefined;
}

/**
 * MQTT 5.0 SUBSCRIBE.
 *
 * @example One filter with a subscription identifier
 * ```ts
 * import type { SubscribePacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: SubscribePacketV5 = {
 *   type: "subscribe",
 *   packetId: 1,
 *   subscriptions: [{ topic: "a", qos: 1 }],
 *   properties: { subscriptionIdentifiers: [7] },
 * };
 * console.log(encodePacketV5(p)); // Uint8Array [130, 9, 0, 1, 2, 11, 7, 0, 1, 97, 1]
 * ```
 */
export interface SubscribePacketV5 {
  /** Discriminant. */
  type: "subscribe";
  /** Packet identifier. */
  packetId: number;
  /** One or more filters with their options. */
  subscriptions: SubscriptionV5[];
  /** SUBSCRIBE properties. */
  properties?: SubscribeProperties | undefined;
}

/**
 * MQTT 5.0 SUBACK or UNSUBACK: one reason code per filter.
 *
 * @example QoS 1 granted, then a refusal
 * ```ts
 * import type { SubackPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: SubackPacketV5 = { type: "suback", packetId: 1, reasonCodes: [1, 0x87] };
 * console.log(encodePacketV5(p)); // Uint8Array [144, 5, 0, 1, 0, 1, 135]
 * ```
 */
export interface SubackPacketV5 {
  /** Discriminant. */
  type: "suback" | "unsuback";
  /** Packet identifier. */
  packetId: number;
  /** One reason code per topic filter, in order. */
  reasonCodes: number[];
  /** Reason String and User Properties. */
  properties?: AckProperties | undefined;
}

/**
 * MQTT 5.0 UNSUBSCRIBE.
 *
 * @example Leaving one filter
 * ```ts
 * import type { UnsubscribePacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: UnsubscribePacketV5 = { type: "unsubscribe", packetId: 2, topics: ["a"] };
 * console.log(encodePacketV5(p)); // Uint8Array [162, 6, 0, 2, 0, 0, 1, 97]
 * ```
 */
export interface UnsubscribePacketV5 extends UnsubscribePacket {
  /** UNSUBSCRIBE properties. */
  properties?: UnsubscribeProperties | undefined;
}

/**
 * PINGREQ or PINGRESP (as in 3.1.1).
 *
 * @example
 * ```ts
 * import type { PingPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: PingPacketV5 = { type: "pingreq" };
 * console.log(encodePacketV5(p)); // Uint8Array [192, 0]
 * ```
 */
export interface PingPacketV5 {
  /** Discriminant. */
  type: "pingreq" | "pingresp";
}

/**
 * MQTT 5.0 DISCONNECT, from either side. With reason code 0 and no
 * properties it is the 3.1.1 two bytes.
 *
 * @example Disconnecting and asking the broker to send the will
 * ```ts
 * import type { DisconnectPacketV5 } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: DisconnectPacketV5 = { type: "disconnect", reasonCode: 0x04 };
 * console.log(encodePacketV5(p)); // Uint8Array [224, 1, 4]
 * ```
 */
export interface DisconnectPacketV5 {
  /** Discriminant. */
  type: "disconnect";
  /** Disconnect reason code. @default {0} */
  reasonCode?: number | undefined;
  /** DISCONNECT properties. */
  properties?: DisconnectProperties | undefined;
}

/**
 * MQTT 5.0 AUTH (extended authentication, both directions).
 *
 * @example Continuing a challenge-response exchange
 * ```ts
 * import type { AuthPacket } from "./packets_v5.ts";
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const p: AuthPacket = {
 *   type: "auth",
 *   reasonCode: 0x18,
 *   properties: { authenticationMethod: "X", authenticationData: new Uint8Array([9]) },
 * };
 * console.log(encodePacketV5(p).length); // 12
 * ```
 */
export interface AuthPacket {
  /** Discriminant. */
  type: "auth";
  /** Authenticate reason code: 0 success, 0x18 continue, 0x19 re-authenticate. @default {0} */
  reasonCode?: number | undefined;
  /** AUTH properties. */
  properties?: AuthProperties | undefined;
}

/**
 * Any MQTT 5.0 packet, discriminated by `type`.
 *
 * @example Narrowing on `type`
 * ```ts
 * import type { PacketV5 } from "./packets_v5.ts";
 * function describe(p: PacketV5): string {
 *   switch (p.type) {
 *     case "suback":
 *     case "unsuback":
 *       return `${p.type} ${p.reasonCodes.join(", ")}`;
 *     case "auth":
 *       return `auth ${p.reasonCode ?? 0}`;
 *     default:
 *       return p.type;
 *   }
 * }
 * console.log(describe({ type: "auth", reasonCode: 0x18 })); // "auth 24"
 * ```
 */
export type PacketV5 =
  | ConnectPacketV5
  | ConnackPacketV5
  | PublishPacketV5
  | PubAckPacketV5
  | SubscribePacketV5
  | SubackPacketV5
  | UnsubscribePacketV5
  | PingPacketV5
  | DisconnectPacketV5
  | AuthPacket;

/**
 * The MQTT 5.0 protocol version byte in CONNECT [MQTT-3.1.2-2].
 *
 * @example
 * ```ts
 * import { PROTOCOL_VERSION_5 } from "./packets_v5.ts";
 * console.log(PROTOCOL_VERSION_5); // 5
 * ```
 */
export const PROTOCOL_VERSION_5 = 5;
