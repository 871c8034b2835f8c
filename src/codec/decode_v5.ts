/**
 * The MQTT 5.0 push decoder: the same framing as {@linkcode PacketDecoder}
 * (chunks in, whole packets out) with the MQTT 5.0 grammar: reason codes,
 * properties, subscription options and AUTH.
 *
 * @module
 */
import { _useGrammar, type DecoderOptions, headerError, PacketDecoder } from "./decode.ts";
import { MalformedPacketError } from "./errors.ts";
import type { QoS } from "./packets.ts";
import type { ConnectPacketV5, PacketV5, PublishPacketV5, SubackPacketV5, SubscriptionV5 } from "./packets_v5.ts";
import { PROTOCOL_VERSION_5 } from "./packets_v5.ts";
import { type Properties, readProperties } from "./properties.ts";
import { describeReasonCode, reasonCodeAllowedIn } from "./reason_codes.ts";
import { expectLength, hex, NAMES, packetId, publishId, Reader, REASON_RULES, u16 } from "./_read.ts";

/**
 * Incremental MQTT 5.0 decoder for both directions. It shares its framing
 * with the MQTT 3.1.1 {@linkcode PacketDecoder} (same options, `feed`,
 * `next`, `hasPacket`, `buffered`) and returns {@linkcode PacketV5}s.
 * Invalid bytes, including malformed properties and reason codes not valid
 * in their packet, throw {@linkcode MalformedPacketError}.
 *
 * @example Decoding a CONNACK with properties
 * ```ts
 * import { PacketDecoderV5 } from "./decode_v5.ts";
 * const d = new PacketDecoderV5();
 * d.feed(new Uint8Array([0x20, 0x06, 0x00, 0x00, 0x03, 0x21, 0x00, 0x0a]));
 * console.log(d.next()); // { type: "connack", sessionPresent: false, reasonCode: 0, properties: { receiveMaximum: 10 } }
 * ```
 */
export class PacketDecoderV5 extends PacketDecoder<PacketV5> {
  /**
   * Create a decoder with an empty buffer.
   *
   * @param options Limits (`maxPacketSize`).
   */
  constructor(options: DecoderOptions = {}) {
    super(options);
    _useGrammar(this, headerErrorV5, decodeBodyV5);
  }
}

/** MQTT 3.1.1's first-byte rules, plus AUTH (type 15, flags 0) [MQTT-3.15.1-1]. */
function headerErrorV5(first: number): string | null {
  if (first >> 4 !== 15) return headerError(first);
  const flags = first & 0x0f;
  return flags === 0 ? null : `AUTH reserved flags must be 0, got ${flags} [MQTT-3.15.1-1]`;
}

const TYPES = [
  "",
  "connect",
  "connack",
  "publish",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "subscribe",
  "suback",
  "unsubscribe",
  "unsuback",
  "pingreq",
  "pingresp",
  "disconnect",
  "auth",
] as const;

function name(type: number): string {
  return type === 15 ? "AUTH" : NAMES[type]!;
}

function reason(type: number, code: number): number {
  if (!reasonCodeAllowedIn(type, code)) {
    throw new MalformedPacketError(
      `${name(type)} reason code ${describeReasonCode(code)} is not valid in ${name(type)} ${REASON_RULES[type]}`,
    );
  }
  return code;
}

function noTrailing(r: Reader): void {
  if (r.o < r.b.length) throw new MalformedPacketError(`${r.name} has ${r.b.length - r.o} unexpected trailing bytes`);
}

/** Attach properties only when the packet carried some. */
function withProps<T extends object>(p: T, props: Properties | undefined): T {
  if (props !== undefined) (p as { properties?: Properties }).properties = props;
  return p;
}

/** Decode a whole MQTT 5.0 packet whose first byte passed {@linkcode headerErrorV5}. */
function decodeBodyV5(first: number, body: Uint8Array): PacketV5 {
  const type = first >> 4;
  switch (type) {
    case 3:
      return decodePublish(first, body);
    case 4:
    case 5:
    case 6:
    case 7: {
      const n = name(type);
      if (body.length < 2) {
        throw new MalformedPacketError(`${n} remaining length must be at least 2, got ${body.length}`);
      }
      const id = packetId(n, body, 0);
      // Reason code and properties may be left out: Success, no properties [MQTT-3.4.2.1].
      const code = body.length > 2 ? reason(type, body[2]!) : 0;
      let props: Properties | undefined;
      if (body.length > 3) {
        const r = new Reader(body, n, 3);
        props = readProperties(r, type);
        noTrailing(r);
      }
      return withProps({ type: TYPES[type] as "puback", packetId: id, reasonCode: code }, props);
    }
    case 2: {
      if (body.length < 3) {
        throw new MalformedPacketError(`CONNACK remaining length must be at least 3, got ${body.length}`);
      }
      const flags = body[0]!;
      if ((flags & 0xfe) !== 0) {
        throw new MalformedPacketError(
          `CONNACK acknowledge flags bits 7-1 are reserved and must be 0, got 0x${hex(flags)} [MQTT-3.2.2-1]`,
        );
      }
      const code = reason(2, body[1]!);
      if (code !== 0 && flags !== 0) {
        throw new MalformedPacketError(
          "CONNACK with a non-zero reason code must have session present 0 [MQTT-3.2.2-6]",
        );
      }
      const r = new Reader(body, "CONNACK", 2);
      const props = readProperties(r, 2);
      noTrailing(r);
      return withProps({ type: "connack", sessionPresent: flags === 1, reasonCode: code }, props);
    }
    case 9:
    case 11: {
      const n = name(type);
      if (body.length < 3) {
        throw new MalformedPacketError(`${n} remaining length must be at least 3, got ${body.length}`);
      }
      const id = packetId(n, body, 0);
      const r = new Reader(body, n, 2);
      const props = readProperties(r, type);
      if (r.done()) {
        throw new MalformedPacketError(
          `${n} must carry a reason code for each topic filter ${type === 9 ? "[MQTT-3.8.4-6]" : "[MQTT-3.11.3-1]"}`,
        );
      }
      const codes = Array.from(body.subarray(r.o), (c) => reason(type, c));
      const p: SubackPacketV5 = { type: TYPES[type] as "suback", packetId: id, reasonCodes: codes };
      return withProps(p, props);
    }
    case 12:
    case 13:
      expectLength(name(type), body, 0);
      return { type: TYPES[type] as "pingreq" };
    case 14:
    case 15: {
      const n = name(type);
      // Reason code and properties may be left out: 0 and no properties (MQTT 5.0 §3.14.2.1, §3.15.2.1).
      const code = body.length > 0 ? reason(type, body[0]!) : 0;
      let props: Properties | undefined;
      if (body.length > 1) {
        const r = new Reader(body, n, 1);
        props = readProperties(r, type);
        noTrailing(r);
      }
      return withProps({ type: TYPES[type] as "disconnect", reasonCode: code }, props);
    }
    case 8:
      return decodeSubscribe(body);
    case 10: {
      if (body.length < 2) throw new MalformedPacketError("UNSUBSCRIBE is too short for its packet identifier");
      const id = packetId("UNSUBSCRIBE", body, 0);
      const r = new Reader(body, "UNSUBSCRIBE", 2);
      const props = readProperties(r, 10);
      const topics: string[] = [];
      while (!r.done()) topics.push(r.string("topic filter"));
      if (topics.length === 0) {
        throw new MalformedPacketError("UNSUBSCRIBE must carry at least one topic filter [MQTT-3.10.3-2]");
      }
      return withProps({ type: "unsubscribe", packetId: id, topics }, props);
    }
    case 1:
      return decodeConnect(body);
  }
  throw new MalformedPacketError(`Unknown packet type ${type}`);
}

function decodePublish(first: number, body: Uint8Array): PublishPacketV5 {
  const qos = ((first >> 1) & 3) as QoS;
  const r = new Reader(body, "PUBLISH", 0);
  const topic = r.string("topic");
  if (topic.includes("+") || topic.includes("#")) {
    throw new MalformedPacketError(`PUBLISH topic ${JSON.stringify(topic)} contains wildcards [MQTT-3.3.2-2]`);
  }
  const id = publishId(first, qos, r);
  const props = readProperties(r, 3);
  if (topic.length === 0 && props?.topicAlias === undefined) {
    throw new MalformedPacketError("PUBLISH topic must not be empty without a Topic Alias (MQTT 5.0 §3.3.2.3.4)");
  }
  const p: PublishPacketV5 = {
    type: "publish",
    topic,
    payload: body.subarray(r.o),
    qos,
    retain: (first & 1) === 1,
    dup: (first & 0x08) !== 0,
  };
  if (id !== undefined) p.packetId = id;
  return withProps(p, props);
}

function decodeSubscribe(body: Uint8Array): PacketV5 {
  if (body.length < 2) throw new MalformedPacketError("SUBSCRIBE is too short for its packet identifier");
  const id = packetId("SUBSCRIBE", body, 0);
  const r = new Reader(body, "SUBSCRIBE", 2);
  const props = readProperties(r, 8);
  const subs: SubscriptionV5[] = [];
  while (!r.done()) {
    const topic = r.string("topic filter");
    if (r.o >= body.length) throw new MalformedPacketError("SUBSCRIBE is missing the subscription options byte");
    const o = body[r.o++]!;
    if (o & 0xc0) {
      throw new MalformedPacketError(
        `SUBSCRIBE subscription options reserved bits 7-6 must be 0, got 0x${hex(o)} [MQTT-3.8.3-5]`,
      );
    }
    const qos = o & 3;
    if (qos === 3) throw new MalformedPacketError("SUBSCRIBE maximum QoS must be 0, 1 or 2, got 3 (MQTT 5.0 §3.8.3.1)");
    const rh = (o >> 4) & 3;
    if (rh === 3) {
      throw new MalformedPacketError("SUBSCRIBE retain handling must be 0, 1 or 2, got 3 (MQTT 5.0 §3.8.3.1)");
    }
    const noLocal = (o & 0x04) !== 0;
    if (noLocal && topic.startsWith("$share/")) {
      throw new MalformedPacketError(
        `SUBSCRIBE must not set No Local on the shared subscription ${JSON.stringify(topic)} [MQTT-3.8.3-4]`,
      );
    }
    subs.push({
      topic,
      qos: qos as QoS,
      noLocal,
      retainAsPublished: (o & 0x08) !== 0,
      retainHandling: rh as 0 | 1 | 2,
    });
  }
  if (subs.length === 0) {
    throw new MalformedPacketError("SUBSCRIBE must carry at least one topic filter [MQTT-3.8.3-2]");
  }
  return withProps({ type: "subscribe", packetId: id, subscriptions: subs }, props);
}

function decodeConnect(body: Uint8Array): ConnectPacketV5 {
  const r = new Reader(body, "CONNECT", 0);
  const protocol = r.string("protocol name");
  if (protocol !== "MQTT") {
    throw new MalformedPacketError(
      `CONNECT protocol name must be "MQTT", got ${JSON.stringify(protocol)} [MQTT-3.1.2-1]`,
    );
  }
  if (r.o + 4 > body.length) throw new MalformedPacketError("CONNECT is too short for its variable header");
  const version = body[r.o]!;
  if (version !== PROTOCOL_VERSION_5) {
    throw new MalformedPacketError(`CONNECT protocol version must be 5, got ${version} [MQTT-3.1.2-2]`);
  }
  const flags = body[r.o + 1]!;
  if (flags & 1) throw new MalformedPacketError("CONNECT reserved flag must be 0 [MQTT-3.1.2-3]");
  const keepalive = u16(body, r.o + 2);
  r.o += 4;
  const props = readProperties(r, 1);
  const clientId = r.string("client id");
  const p: ConnectPacketV5 = { type: "connect", clientId, cleanSession: (flags & 2) !== 0, keepalive };
  const willQos = (flags >> 3) & 3;
  if (flags & 4) {
    if (willQos === 3) throw new MalformedPacketError("CONNECT will QoS must not be 3 [MQTT-3.1.2-12]");
    const willProps = readProperties(r, 0);
    const topic = r.string("will topic");
    const payload = r.bytes("will payload");
    p.will = withProps({ topic, payload, qos: willQos as QoS, retain: (flags & 0x20) !== 0 }, willProps);
  } else if (willQos !== 0) {
    throw new MalformedPacketError("CONNECT will QoS must be 0 without a will [MQTT-3.1.2-11]");
  } else if (flags & 0x20) {
    throw new MalformedPacketError("CONNECT will retain must be 0 without a will [MQTT-3.1.2-13]");
  }
  if (flags & 0x80) p.username = r.string("user name");
  if (flags & 0x40) p.password = r.bytes("password");
  noTrailing(r);
  return withProps(p, props);
}
