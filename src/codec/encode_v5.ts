/**
 * MQTT 5.0 packet encoders: compute the length first, then write once into
 * one buffer, with the same primitives as the 3.1.1 encoders. Field errors
 * are `RangeError`/`TypeError` naming the field and the rule.
 *
 * @module
 */
import { show } from "./_show.ts";
import { checkBinary, fixed, putBytes, putU16 } from "./_write.ts";
import { checkKeepalive, checkPacketId, checkQos, PROTOCOL_NAME } from "./encode.ts";
import type {
  AuthPacket,
  ConnackPacketV5,
  ConnectPacketV5,
  DisconnectPacketV5,
  PacketV5,
  PubAckPacketV5,
  PublishPacketV5,
  SubackPacketV5,
  SubscribePacketV5,
  UnsubscribePacketV5,
} from "./packets_v5.ts";
import { PROTOCOL_VERSION_5 } from "./packets_v5.ts";
import {
  type PreparedProperties,
  prepareProperties,
  type Properties,
  propertiesSize,
  writeProperties,
} from "./properties.ts";
import { describeReasonCode, reasonCodeAllowedIn } from "./reason_codes.ts";
import { validateTopicName } from "./topic.ts";
import { encodeUtf8 } from "./utf8.ts";
import { NAMES, REASON_RULES } from "./_read.ts";

function checkReason(type: number, code: unknown): number {
  const c = code ?? 0;
  if (typeof c !== "number" || !reasonCodeAllowedIn(type, c)) {
    const what = typeof c === "number" && Number.isInteger(c) ? describeReasonCode(c) : show(c);
    throw new RangeError(`Cannot encode ${NAMES[type]}: reason code ${what} is not valid there ${REASON_RULES[type]}`);
  }
  return c;
}

function props(p: Properties | undefined, type: number): PreparedProperties {
  return prepareProperties(p, type, NAMES[type]!);
}

/**
 * Encode an MQTT 5.0 CONNECT (protocol version 5) [MQTT-3.1].
 *
 * @param p The packet.
 * @returns The bytes.
 * @example A CONNECT with a session expiry
 * ```ts
 * import { encodeConnectV5 } from "./encode_v5.ts";
 * const bytes = encodeConnectV5({
 *   type: "connect",
 *   clientId: "c",
 *   cleanSession: true,
 *   keepalive: 30,
 *   properties: { sessionExpiryInterval: 60 },
 * });
 * console.log(bytes.length); // 21
 * ```
 */
export function encodeConnectV5(p: ConnectPacketV5): Uint8Array {
  const ka = checkKeepalive(p.keepalive);
  const id = encodeUtf8(p.clientId, "client id");
  const cp = props(p.properties, 1);
  let rl = 10 + propertiesSize(cp) + 2 + id.length;
  let flags = p.cleanSession ? 0x02 : 0;
  let willTopic: Uint8Array | undefined;
  let willPayload: Uint8Array | undefined;
  let wp: PreparedProperties | undefined;
  if (p.will) {
    wp = prepareProperties(p.will.properties, 0, "CONNECT");
    willTopic = encodeUtf8(p.will.topic, "will topic");
    willPayload = checkBinary(p.will.payload, "will message");
    rl += propertiesSize(wp) + 4 + willTopic.length + willPayload.length;
    flags |= 0x04 | (checkQos(p.will.qos) << 3) | (p.will.retain ? 0x20 : 0);
  }
  let user: Uint8Array | undefined;
  if (p.username !== undefined) {
    user = encodeUtf8(p.username, "user name");
    rl += 2 + user.length;
    flags |= 0x80;
  }
  if (p.password !== undefined) {
    // MQTT 5.0 allows a password without a user name (§3.1.2.9).
    checkBinary(p.password, "password");
    rl += 2 + p.password.length;
    flags |= 0x40;
  }
  const buf = fixed(0x10, rl);
  const start = buf.length - rl;
  buf.set(PROTOCOL_NAME, start);
  let o = start + 6;
  buf[o++] = PROTOCOL_VERSION_5;
  buf[o++] = flags;
  o = putU16(buf, o, ka);
  o = writeProperties(buf, o, cp);
  o = putBytes(buf, o, id);
  if (wp && willTopic && willPayload) {
    o = writeProperties(buf, o, wp);
    o = putBytes(buf, o, willTopic);
    o = putBytes(buf, o, willPayload);
  }
  if (user) o = putBytes(buf, o, user);
  if (p.password !== undefined) putBytes(buf, o, p.password);
  return buf;
}

/**
 * Encode an MQTT 5.0 PUBLISH [MQTT-3.3]. The topic may be empty when the
 * properties carry a Topic Alias. `topicBytes` may be passed to skip
 * re-encoding a topic that was already validated and encoded.
 *
 * @param p The packet.
 * @param topicBytes The topic's UTF-8 bytes, if already at hand.
 * @returns The bytes.
 * @example A QoS 1 PUBLISH with a message expiry
 * ```ts
 * import { encodePublishV5 } from "./encode_v5.ts";
 * const p = {
 *   type: "publish",
 *   topic: "a",
 *   payload: new Uint8Array([1]),
 *   qos: 1,
 *   retain: false,
 *   dup: false,
 *   packetId: 5,
 *   properties: { messageExpiryInterval: 10 },
 * } as const;
 * console.log(encodePublishV5(p)); // Uint8Array [50, 12, 0, 1, 97, 0, 5, 5, 2, 0, 0, 0, 10, 1]
 * ```
 */
export function encodePublishV5(p: PublishPacketV5, topicBytes?: Uint8Array): Uint8Array {
  const qos = checkQos(p.qos);
  if (p.dup && qos === 0) throw new RangeError("Cannot set DUP on a QoS 0 PUBLISH [MQTT-3.3.1-2]");
  const pp = props(p.properties, 3);
  let topic = topicBytes;
  if (topic === undefined) {
    if (p.topic === "" && p.properties?.topicAlias !== undefined) {
      topic = new Uint8Array(0); // the alias stands for the topic (MQTT 5.0 §3.3.2.3.4)
    } else {
      validateTopicName(p.topic);
      topic = encodeUtf8(p.topic, "topic");
    }
  }
  const payload = p.payload;
  const rl = 2 + topic.length + (qos > 0 ? 2 : 0) + propertiesSize(pp) + payload.length;
  const buf = fixed(0x30 | (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 1 : 0), rl);
  let o = putBytes(buf, buf.length - rl, topic);
  if (qos > 0) o = putU16(buf, o, checkPacketId(p.packetId));
  o = writeProperties(buf, o, pp);
  buf.set(payload, o);
  return buf;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP: the short forms when there is nothing to say [MQTT-3.4.2.1]. */
function encodeAckV5(type: number, p: PubAckPacketV5): Uint8Array {
  const id = checkPacketId(p.packetId);
  const code = checkReason(type, p.reasonCode);
  const pp = props(p.properties, type);
  const rl = pp.size > 0 ? 3 + propertiesSize(pp) : code !== 0 ? 3 : 2;
  const buf = fixed((type << 4) | (type === 6 ? 2 : 0), rl);
  let o = putU16(buf, buf.length - rl, id);
  if (rl > 2) buf[o++] = code;
  if (pp.size > 0) writeProperties(buf, o, pp);
  return buf;
}

/** DISCONNECT and AUTH: reason code and properties, both left out when 0 and none. */
function encodeReasonV5(type: number, p: DisconnectPacketV5 | AuthPacket): Uint8Array {
  const code = checkReason(type, p.reasonCode);
  const pp = props(p.properties, type);
  const rl = pp.size > 0 ? 1 + propertiesSize(pp) : code !== 0 ? 1 : 0;
  const buf = fixed(type << 4, rl);
  if (rl > 0) {
    const o = buf.length - rl;
    buf[o] = code;
    if (pp.size > 0) writeProperties(buf, o + 1, pp);
  }
  return buf;
}

/**
 * Encode an MQTT 5.0 SUBSCRIBE with subscription options [MQTT-3.8].
 *
 * @param p The packet.
 * @returns The bytes.
 * @example No Local, and no retained messages at subscribe time
 * ```ts
 * import { encodeSubscribeV5 } from "./encode_v5.ts";
 * const bytes = encodeSubscribeV5({
 *   type: "subscribe",
 *   packetId: 1,
 *   subscriptions: [{ topic: "a", qos: 1, noLocal: true, retainHandling: 2 }],
 * });
 * console.log(bytes[bytes.length - 1]?.toString(2)); // "100101": retain handling 2, no local, QoS 1
 * ```
 */
export function encodeSubscribeV5(p: SubscribePacketV5): Uint8Array {
  const id = checkPacketId(p.packetId);
  if (p.subscriptions.length === 0) throw new RangeError("SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-2]");
  const pp = props(p.properties, 8);
  const topics = p.subscriptions.map((s) => encodeUtf8(s.topic, "topic filter"));
  const options = p.subscriptions.map((s) => {
    const rh = s.retainHandling ?? 0;
    if (rh !== 0 && rh !== 1 && rh !== 2) {
      throw new RangeError(`retainHandling must be 0, 1 or 2, got ${show(rh)} (MQTT 5.0 §3.8.3.1)`);
    }
    return checkQos(s.qos) | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | (rh << 4);
  });
  let rl = 2 + propertiesSize(pp);
  for (const t of topics) rl += 3 + t.length;
  const buf = fixed(0x82, rl);
  let o = putU16(buf, buf.length - rl, id);
  o = writeProperties(buf, o, pp);
  topics.forEach((t, i) => {
    o = putBytes(buf, o, t);
    buf[o++] = options[i]!;
  });
  return buf;
}

/**
 * Encode an MQTT 5.0 UNSUBSCRIBE [MQTT-3.10].
 *
 * @param p The packet.
 * @returns The bytes.
 * @example Unsubscribing from one filter
 * ```ts
 * import { encodeUnsubscribeV5 } from "./encode_v5.ts";
 * console.log(encodeUnsubscribeV5({ type: "unsubscribe", packetId: 2, topics: ["a"] }));
 * // Uint8Array [162, 6, 0, 2, 0, 0, 1, 97]
 * ```
 */
export function encodeUnsubscribeV5(p: UnsubscribePacketV5): Uint8Array {
  const id = checkPacketId(p.packetId);
  if (p.topics.length === 0) throw new RangeError("UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]");
  const pp = props(p.properties, 10);
  const topics = p.topics.map((t) => encodeUtf8(t, "topic filter"));
  let rl = 2 + propertiesSize(pp);
  for (const t of topics) rl += 2 + t.length;
  const buf = fixed(0xa2, rl);
  let o = putU16(buf, buf.length - rl, id);
  o = writeProperties(buf, o, pp);
  for (const t of topics) o = putBytes(buf, o, t);
  return buf;
}

function encodeConnackV5(p: ConnackPacketV5): Uint8Array {
  const code = checkReason(2, p.reasonCode);
  if (p.sessionPresent && code !== 0) {
    throw new RangeError("Cannot encode CONNACK: session present must be 0 with a non-zero reason code [MQTT-3.2.2-6]");
  }
  const pp = props(p.properties, 2);
  const rl = 2 + propertiesSize(pp);
  const buf = fixed(0x20, rl);
  const o = buf.length - rl;
  buf[o] = p.sessionPresent ? 1 : 0;
  buf[o + 1] = code;
  writeProperties(buf, o + 2, pp);
  return buf;
}

function encodeSubackV5(type: number, p: SubackPacketV5): Uint8Array {
  const id = checkPacketId(p.packetId);
  const codes = p.reasonCodes;
  if (!Array.isArray(codes) || codes.length === 0) {
    throw new RangeError(`Cannot encode ${NAMES[type]}: it needs at least one reason code`);
  }
  for (const c of codes) checkReason(type, c);
  const pp = props(p.properties, type);
  const rl = 2 + propertiesSize(pp) + codes.length;
  const buf = fixed(type << 4, rl);
  let o = putU16(buf, buf.length - rl, id);
  o = writeProperties(buf, o, pp);
  buf.set(codes, o);
  return buf;
}

/**
 * Encode any MQTT 5.0 packet, in either direction.
 *
 * @param p The packet.
 * @returns The bytes.
 * @example A DISCONNECT with a reason and a Reason String
 * ```ts
 * import { encodePacketV5 } from "./encode_v5.ts";
 * const bytes = encodePacketV5({ type: "disconnect", reasonCode: 0x8b, properties: { reasonString: "bye" } });
 * console.log(bytes); // Uint8Array [224, 8, 139, 6, 31, 0, 3, 98, 121, 101]
 * ```
 */
export function encodePacketV5(p: PacketV5): Uint8Array {
  switch (p.type) {
    case "connect":
      return encodeConnectV5(p);
    case "connack":
      return encodeConnackV5(p);
    case "publish":
      return encodePublishV5(p);
    case "puback":
      return encodeAckV5(4, p);
    case "pubrec":
      return encodeAckV5(5, p);
    case "pubrel":
      return encodeAckV5(6, p);
    case "pubcomp":
      return encodeAckV5(7, p);
    case "subscribe":
      return encodeSubscribeV5(p);
    case "suback":
      return encodeSubackV5(9, p);
    case "unsubscribe":
      return encodeUnsubscribeV5(p);
    case "unsuback":
      return encodeSubackV5(11, p);
    case "pingreq":
      return new Uint8Array([0xc0, 0]);
    case "pingresp":
      return new Uint8Array([0xd0, 0]);
    case "disconnect":
      return encodeReasonV5(14, p);
    case "auth":
      return encodeReasonV5(15, p);
    default:
      throw new TypeError(`Cannot encode packet of unknown type ${show((p as { type: unknown }).type)}`);
  }
}
