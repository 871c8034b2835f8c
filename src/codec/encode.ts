/**
 * Packet encoders: compute the length first, then write once into one
 * buffer. Encoders check field ranges (lengths, QoS, packet ids) and throw
 * `RangeError`/`TypeError`; topic rules are checked by the client before it
 * calls them (see `topic.ts`).
 *
 * @module
 */
import { show } from "./_show.ts";
import { MAX_KEEPALIVE, MAX_PACKET_ID, PROTOCOL_LEVEL } from "./constants.ts";
import type { ConnectPacket, Packet, PublishPacket, QoS, SubscribePacket, UnsubscribePacket } from "./packets.ts";
import { alloc, checkBinary, fixed, putBytes } from "./_write.ts";
import { remainingLengthSize, writeRemainingLength } from "./remaining_length.ts";
import { validateTopicName } from "./topic.ts";
import { asciiLength, encodeUtf8 } from "./utf8.ts";

/** The protocol name field of CONNECT: length 4, "MQTT" (3.1.1 and 5.0). */
export const PROTOCOL_NAME: Uint8Array = new Uint8Array([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54]);

/**
 * Check a QoS value, throwing `RangeError: qos must be 0, 1 or 2, got X`.
 *
 * @param qos The value.
 * @returns The value as {@linkcode QoS}.
 * @example Accepting a valid QoS
 * ```ts
 * import { checkQos } from "./encode.ts";
 * console.log(checkQos(1)); // 1
 * ```
 */
export function checkQos(qos: unknown): QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) {
    throw new RangeError(`qos must be 0, 1 or 2, got ${show(qos)}`);
  }
  return qos;
}

/**
 * Check a keepalive, throwing `RangeError` unless it is an integer number
 * of seconds in 0..65535 (shared by the CONNECT encoders and the client).
 *
 * @param ka The value.
 * @returns The value.
 * @example Accepting a keepalive
 * ```ts
 * import { checkKeepalive } from "./encode.ts";
 * console.log(checkKeepalive(60)); // 60
 * ```
 */
export function checkKeepalive(ka: unknown): number {
  if (typeof ka !== "number" || !Number.isInteger(ka) || ka < 0 || ka > MAX_KEEPALIVE) {
    throw new RangeError(`keepalive must be an integer number of seconds in 0..65535, got ${show(ka)}`);
  }
  return ka;
}

/**
 * Check a packet identifier (1..65535) [MQTT-2.3.1-1].
 *
 * @param id The value.
 * @returns The value.
 * @example The largest packet id
 * ```ts
 * import { checkPacketId } from "./encode.ts";
 * console.log(checkPacketId(65535)); // 65535
 * ```
 */
export function checkPacketId(id: unknown): number {
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > MAX_PACKET_ID) {
    throw new RangeError(`packet id must be an integer in 1..65535, got ${show(id)} [MQTT-2.3.1-1]`);
  }
  return id;
}

/**
 * Encode CONNECT [MQTT-3.1].
 *
 * @param p The packet.
 * @returns The bytes.
 * @example A minimal CONNECT
 * ```ts
 * import { encodeConnect } from "./encode.ts";
 * const bytes = encodeConnect({ type: "connect", clientId: "c1", cleanSession: true, keepalive: 0 });
 * console.log(bytes.length); // 16
 * ```
 */
export function encodeConnect(p: ConnectPacket): Uint8Array {
  const ka = checkKeepalive(p.keepalive);
  // A plain ASCII id (the usual case) is copied straight into the packet: no array of its own.
  const idAscii = asciiLength(p.clientId);
  const id = idAscii < 0 ? encodeUtf8(p.clientId, "client id") : null;
  let rl = 10 + 2 + (id ? id.length : idAscii);
  let flags = p.cleanSession ? 0x02 : 0;
  let willTopic: Uint8Array | undefined;
  let willPayload: Uint8Array | undefined;
  if (p.will) {
    willTopic = encodeUtf8(p.will.topic, "will topic");
    willPayload = checkBinary(p.will.payload, "will message");
    rl += 4 + willTopic.length + willPayload.length;
    flags |= 0x04 | (checkQos(p.will.qos) << 3) | (p.will.retain ? 0x20 : 0);
  }
  let user: Uint8Array | undefined;
  if (p.username !== undefined) {
    user = encodeUtf8(p.username, "user name");
    rl += 2 + user.length;
    flags |= 0x80;
  }
  if (p.password !== undefined) {
    if (p.username === undefined) {
      throw new TypeError("Cannot send a password without a user name [MQTT-3.1.2-22]");
    }
    checkBinary(p.password, "password");
    rl += 2 + p.password.length;
    flags |= 0x40;
  }
  const buf = fixed(0x10, rl);
  const start = buf.length - rl;
  buf.set(PROTOCOL_NAME, start);
  let o = start + 6;
  buf[o++] = PROTOCOL_LEVEL;
  buf[o++] = flags;
  buf[o++] = ka >> 8;
  buf[o++] = ka & 0xff;
  if (id) o = putBytes(buf, o, id);
  else {
    const cid = p.clientId;
    buf[o] = idAscii >> 8;
    buf[o + 1] = idAscii & 0xff;
    o += 2;
    for (let i = 0; i < idAscii; i++) buf[o++] = cid.charCodeAt(i);
  }
  if (willTopic && willPayload) {
    o = putBytes(buf, o, willTopic);
    o = putBytes(buf, o, willPayload);
  }
  if (user) o = putBytes(buf, o, user);
  if (p.password !== undefined) putBytes(buf, o, p.password);
  return buf;
}

/**
 * Encode PUBLISH [MQTT-3.3]. `topicBytes` may be passed to skip re-encoding
 * a topic that was already validated and encoded.
 *
 * @param p The packet.
 * @param topicBytes The topic's UTF-8 bytes, if already at hand.
 * @returns The bytes.
 * @example A QoS 0 PUBLISH
 * ```ts
 * import { encodePublish } from "./encode.ts";
 * const p = { type: "publish", topic: "a", payload: new Uint8Array([1]), qos: 0, retain: false, dup: false } as const;
 * console.log(encodePublish(p)); // Uint8Array [48, 4, 0, 1, 97, 1]
 * ```
 */
export function encodePublish(p: PublishPacket, topicBytes?: Uint8Array): Uint8Array {
  return publish(p, topicBytes, true);
}

/**
 * Encode the part of a PUBLISH [MQTT-3.3] that comes before the payload:
 * the fixed header (its Remaining Length counts the payload), the topic and,
 * for QoS 1 and 2, the packet id. Write `p.payload` right after it as it is,
 * so a large payload is never copied (see `Transport.writev`); the two
 * together are exactly {@linkcode encodePublish}'s bytes. Same checks as
 * `encodePublish`.
 *
 * @param p The packet.
 * @param topicBytes The topic's UTF-8 bytes, if already at hand.
 * @returns The bytes before the payload.
 * @example Header and payload, written one after the other
 * ```ts
 * import { encodePublish, encodePublishHeader } from "./encode.ts";
 * const p = { type: "publish", topic: "a", payload: new Uint8Array([1, 2]), qos: 0, retain: false, dup: false } as const;
 * console.log(encodePublishHeader(p)); // Uint8Array [48, 5, 0, 1, 97]
 * console.log(encodePublish(p)); // Uint8Array [48, 5, 0, 1, 97, 1, 2]
 * ```
 */
export function encodePublishHeader(p: PublishPacket, topicBytes?: Uint8Array): Uint8Array {
  return publish(p, topicBytes, false);
}

function publish(p: PublishPacket, topicBytes: Uint8Array | undefined, withPayload: boolean): Uint8Array {
  const qos = checkQos(p.qos);
  if (p.dup && qos === 0) throw new RangeError("Cannot set DUP on a QoS 0 PUBLISH [MQTT-3.3.1-2]");
  let topic = topicBytes;
  if (topic === undefined) {
    validateTopicName(p.topic); // callers passing topicBytes have validated the topic already
    topic = encodeUtf8(p.topic, "topic");
  }
  const payload = p.payload;
  const head = 2 + topic.length + (qos > 0 ? 2 : 0);
  const rl = head + payload.length;
  const o = 1 + remainingLengthSize(rl);
  const buf = alloc(o + head + (withPayload ? payload.length : 0));
  buf[0] = 0x30 | (p.dup ? 0x08 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  writeRemainingLength(rl, buf, 1);
  const tl = topic.length;
  buf[o] = tl >> 8;
  buf[o + 1] = tl & 0xff;
  copy(buf, o + 2, topic);
  if (qos > 0) {
    const id = checkPacketId(p.packetId);
    buf[o + 2 + tl] = id >> 8;
    buf[o + 3 + tl] = id & 0xff;
  }
  if (withPayload) copy(buf, o + head, payload);
  return buf;
}

/** `buf.set(b, o)`, with a plain loop for short arrays (cheaper than the call). */
function copy(buf: Uint8Array, o: number, b: Uint8Array): void {
  const n = b.length;
  if (n > 16) buf.set(b, o);
  else for (let i = 0; i < n; i++) buf[o + i] = b[i]!;
}

function encodeAck(first: number, id: number): Uint8Array {
  checkPacketId(id);
  const b = alloc(4);
  b[0] = first;
  b[1] = 2;
  b[2] = id >> 8;
  b[3] = id & 0xff;
  return b;
}

/**
 * Encode SUBSCRIBE [MQTT-3.8].
 *
 * @param p The packet.
 * @returns The bytes.
 * @example Subscribing to one filter at QoS 1
 * ```ts
 * import { encodeSubscribe } from "./encode.ts";
 * console.log(encodeSubscribe({ type: "subscribe", packetId: 1, subscriptions: [{ topic: "a", qos: 1 }] }));
 * // Uint8Array [130, 6, 0, 1, 0, 1, 97, 1]
 * ```
 */
export function encodeSubscribe(p: SubscribePacket): Uint8Array {
  checkPacketId(p.packetId);
  if (p.subscriptions.length === 0) throw new RangeError("SUBSCRIBE needs at least one topic filter [MQTT-3.8.3-3]");
  const topics = p.subscriptions.map((s) => encodeUtf8(s.topic, "topic filter"));
  let rl = 2;
  for (const t of topics) rl += 3 + t.length;
  const buf = fixed(0x82, rl);
  const start = buf.length - rl;
  buf[start] = p.packetId >> 8;
  buf[start + 1] = p.packetId & 0xff;
  let o = start + 2;
  topics.forEach((t, i) => {
    o = putBytes(buf, o, t);
    buf[o++] = checkQos(p.subscriptions[i]!.qos);
  });
  return buf;
}

/**
 * Encode UNSUBSCRIBE [MQTT-3.10].
 *
 * @param p The packet.
 * @returns The bytes.
 * @example Unsubscribing from one filter
 * ```ts
 * import { encodeUnsubscribe } from "./encode.ts";
 * console.log(encodeUnsubscribe({ type: "unsubscribe", packetId: 2, topics: ["a"] }));
 * // Uint8Array [162, 5, 0, 2, 0, 1, 97]
 * ```
 */
export function encodeUnsubscribe(p: UnsubscribePacket): Uint8Array {
  checkPacketId(p.packetId);
  if (p.topics.length === 0) throw new RangeError("UNSUBSCRIBE needs at least one topic filter [MQTT-3.10.3-2]");
  const topics = p.topics.map((t) => encodeUtf8(t, "topic filter"));
  let rl = 2;
  for (const t of topics) rl += 2 + t.length;
  const buf = fixed(0xa2, rl);
  const start = buf.length - rl;
  buf[start] = p.packetId >> 8;
  buf[start + 1] = p.packetId & 0xff;
  let o = start + 2;
  for (const t of topics) o = putBytes(buf, o, t);
  return buf;
}

/**
 * Encode any packet, in either direction (the broker-side packets are used
 * by tests and test brokers).
 *
 * @param p The packet.
 * @returns The bytes.
 * @example Encoding PINGREQ
 * ```ts
 * import { encodePacket } from "./encode.ts";
 * console.log(encodePacket({ type: "pingreq" })); // Uint8Array [192, 0]
 * ```
 */
export function encodePacket(p: Packet): Uint8Array {
  switch (p.type) {
    case "connect":
      return encodeConnect(p);
    case "connack":
      if (!Number.isInteger(p.returnCode) || p.returnCode < 0 || p.returnCode > 255) {
        throw new RangeError(`CONNACK return code must be 0..255, got ${p.returnCode}`);
      }
      return new Uint8Array([0x20, 2, p.sessionPresent ? 1 : 0, p.returnCode]);
    case "publish":
      return encodePublish(p);
    case "puback":
      return encodeAck(0x40, p.packetId);
    case "pubrec":
      return encodeAck(0x50, p.packetId);
    case "pubrel":
      return encodeAck(0x62, p.packetId);
    case "pubcomp":
      return encodeAck(0x70, p.packetId);
    case "subscribe":
      return encodeSubscribe(p);
    case "suback": {
      checkPacketId(p.packetId);
      const buf = fixed(0x90, 2 + p.returnCodes.length);
      const start = buf.length - (2 + p.returnCodes.length);
      buf[start] = p.packetId >> 8;
      buf[start + 1] = p.packetId & 0xff;
      buf.set(p.returnCodes, start + 2);
      return buf;
    }
    case "unsubscribe":
      return encodeUnsubscribe(p);
    case "unsuback":
      return encodeAck(0xb0, p.packetId);
    case "pingreq":
      return new Uint8Array([0xc0, 0]);
    case "pingresp":
      return new Uint8Array([0xd0, 0]);
    case "disconnect":
      return new Uint8Array([0xe0, 0]);
    default:
      throw new TypeError(`Cannot encode packet of unknown type ${JSON.stringify((p as { type: unknown }).type)}`);
  }
}
