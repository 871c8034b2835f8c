/**
 * A push decoder: feed it chunks as they arrive, take whole packets out.
 * It keeps its state across chunks and never hands out a partial packet.
 *
 * @module
 */
import { MAX_REMAINING_LENGTH, PROTOCOL_LEVEL } from "./constants.ts";
import { MalformedPacketError } from "./errors.ts";
import { show } from "./_show.ts";
import type { Packet, QoS } from "./packets.ts";
import { readRemainingLength } from "./remaining_length.ts";
import { expectLength, hex, NAMES, packetId, publishId, Reader, u16 } from "./_read.ts";

/**
 * Options for {@linkcode PacketDecoder}.
 *
 * @example Refusing packets over 1 KiB as soon as the header arrives
 * ```ts
 * import { PacketDecoder } from "./decode.ts";
 * const d = new PacketDecoder({ maxPacketSize: 1024 });
 * d.feed(new Uint8Array([0x30, 0xff, 0x7f])); // PUBLISH declaring 16383 bytes
 * try {
 *   d.next();
 * } catch (e) {
 *   console.log((e as Error).name); // "MalformedPacketError"
 * }
 * ```
 */
export interface DecoderOptions {
  /**
   * Largest whole packet (fixed header included) accepted, in bytes, an
   * integer >= 2. A packet declaring more is refused with
   * {@linkcode MalformedPacketError} as soon as its header is read. The
   * default is the protocol's limit; `MQTTClient` passes 16777216 unless
   * told otherwise.
   *
   * @default {268435460}
   */
  maxPacketSize?: number | undefined;
}

const EMPTY = new Uint8Array(0);

// Set by PacketDecoder's static block, which alone may reach its private fields.
let useGrammar: (
  d: PacketDecoder<unknown>,
  header: (first: number) => string | null,
  body: (first: number, body: Uint8Array) => unknown,
) => void;

/**
 * Incremental MQTT 3.1.1 decoder for both directions.
 *
 * @example Decoding a packet split across two chunks
 * ```ts
 * import { PacketDecoder } from "./decode.ts";
 * const d = new PacketDecoder();
 * d.feed(new Uint8Array([0x20, 0x02]));
 * console.log(d.next()); // null: not whole yet
 * d.feed(new Uint8Array([0x00, 0x00]));
 * console.log(d.next()); // { type: "connack", sessionPresent: false, returnCode: 0 }
 * ```
 */
export class PacketDecoder<P = Packet> {
  // The protocol version's grammar: MQTT 3.1.1 unless a subclass (PacketDecoderV5) swaps it in.
  #header: (first: number) => string | null = headerError;
  #body: (first: number, body: Uint8Array) => P = decodeBody as (first: number, body: Uint8Array) => P;
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #max: number;
  #lastFirstByte = 0;

  /**
   * Create a decoder with an empty buffer.
   *
   * @param options Limits (`maxPacketSize`).
   */
  constructor(options: DecoderOptions = {}) {
    const max = options.maxPacketSize ?? MAX_REMAINING_LENGTH + 5;
    if (!Number.isInteger(max) || max < 2) {
      throw new RangeError(`maxPacketSize must be an integer >= 2, got ${show(max)}`);
    }
    this.#max = max;
  }

  static {
    useGrammar = (d, header, body) => {
      d.#header = header;
      d.#body = body;
    };
  }

  /** Bytes received but not yet returned as packets. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** First byte of the packet most recently returned by {@linkcode next}. */
  get lastFirstByte(): number {
    return this.#lastFirstByte;
  }

  /**
   * Append a chunk. The decoder may keep a reference to it: the caller must
   * not reuse its memory.
   *
   * @param chunk Bytes from the network.
   */
  feed(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.#start === this.#end) {
      this.#buf = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      return;
    }
    const have = this.#end - this.#start;
    if (this.#buf.length - this.#end >= chunk.length && this.#buf !== chunk && this.#owned) {
      this.#buf.set(chunk, this.#end);
      this.#end += chunk.length;
      return;
    }
    const next = new Uint8Array(Math.max(have + chunk.length, Math.min(have * 2, this.#max)));
    next.set(this.#buf.subarray(this.#start, this.#end), 0);
    next.set(chunk, have);
    this.#buf = next;
    this.#owned = true;
    this.#start = 0;
    this.#end = have + chunk.length;
  }

  #owned = false;

  /**
   * Whether a whole packet is buffered (cheap; does not decode).
   *
   * @returns `true` if {@linkcode next} would return a packet (or throw).
   */
  hasPacket(): boolean {
    const have = this.#end - this.#start;
    if (have < 1) return false;
    // A bad first byte makes next() throw at once: report it as ready.
    if (this.#header(this.#buf[this.#start]!) !== null) return true;
    if (have < 2) return false;
    const rl = readRemainingLength(this.#buf, this.#start + 1, this.#end);
    if (rl === null) return false;
    return have >= 1 + rl[1] + rl[0] || 1 + rl[1] + rl[0] > this.#max;
  }

  /**
   * Take the next whole packet, or `null` if more bytes are needed.
   * Throws {@linkcode MalformedPacketError} for invalid bytes; the decoder
   * is then unusable (the connection must be closed).
   *
   * @returns A packet or `null`.
   */
  next(): P | null {
    const buf = this.#buf;
    const s = this.#start;
    const have = this.#end - s;
    if (have < 1) return null;
    const first = buf[s]!;
    // Check the first byte before anything else so garbage fails fast.
    const bad = this.#header(first);
    if (bad !== null) throw new MalformedPacketError(bad);
    if (have < 2) return null;
    const rlr = readRemainingLength(buf, s + 1, this.#end);
    if (rlr === null) return null;
    const [rl, rlSize] = rlr;
    const total = 1 + rlSize + rl;
    if (total > this.#max) {
      throw new MalformedPacketError(
        `Packet of ${total} bytes exceeds maxPacketSize ${this.#max} (type ${first >> 4})`,
      );
    }
    if (have < total) return null;
    const body = buf.subarray(s + 1 + rlSize, s + total);
    this.#start += total;
    if (this.#start === this.#end) {
      this.#buf = EMPTY;
      this.#start = this.#end = 0;
      this.#owned = false;
    }
    this.#lastFirstByte = first;
    return this.#body(first, body);
  }
}

/**
 * Make `decoder` use another protocol version's grammar: `header` names what is wrong
 * with a first byte (or returns `null`), `body` decodes a whole packet. Internal: used by
 * `PacketDecoderV5`, so the MQTT 3.1.1 decoder neither imports nor pays for MQTT 5.0.
 */
export function _useGrammar<P>(
  decoder: PacketDecoder<P>,
  header: (first: number) => string | null,
  body: (first: number, body: Uint8Array) => P,
): void {
  useGrammar(decoder as PacketDecoder<unknown>, header, body);
}

/** What is wrong with a packet's first byte, or `null` if nothing (MQTT 3.1.1). */
export function headerError(first: number): string | null {
  const type = first >> 4;
  const flags = first & 0x0f;
  if (type === 0 || type === 15) {
    return `Unknown packet type ${type} (first byte 0x${hex(first)}) [MQTT-2.2.1]`;
  }
  if (type === 3) {
    return (flags & 0x06) === 0x06 ? "PUBLISH with QoS 3 (both QoS bits set) [MQTT-3.3.1-4]" : null;
  }
  const want = type === 6 || type === 8 || type === 10 ? 2 : 0;
  return flags === want ? null : `${NAMES[type]} reserved flags must be ${want}, got ${flags} [MQTT-2.2.2-1]`;
}

/** Decode a whole packet whose first byte passed {@linkcode headerError}. */
function decodeBody(first: number, body: Uint8Array): Packet {
  const type = first >> 4;
  switch (type) {
    case 3: {
      const qos = ((first >> 1) & 3) as QoS;
      const r = new Reader(body, "PUBLISH", 0);
      const topic = r.string("topic");
      if (topic.length === 0) throw new MalformedPacketError("PUBLISH topic must not be empty [MQTT-4.7.3-1]");
      if (topic.includes("+") || topic.includes("#")) {
        throw new MalformedPacketError(`PUBLISH topic ${JSON.stringify(topic)} contains wildcards [MQTT-3.3.2-2]`);
      }
      const id = publishId(first, qos, r);
      const p: Packet = {
        type: "publish",
        topic,
        payload: body.subarray(r.o),
        qos,
        retain: (first & 1) === 1,
        dup: (first & 0x08) !== 0,
      };
      if (id !== undefined) p.packetId = id;
      return p;
    }
    case 2: {
      expectLength("CONNACK", body, 2);
      if ((body[0]! & 0xfe) !== 0) {
        throw new MalformedPacketError(
          `CONNACK acknowledge flags bits 7-1 are reserved and must be 0, got 0x${hex(body[0]!)} [MQTT-3.2.2.1]`,
        );
      }
      if (body[1]! > 5) throw new MalformedPacketError(`CONNACK return code ${body[1]} is reserved [MQTT-3.2.2.3]`);
      if (body[1] !== 0 && body[0] !== 0) {
        throw new MalformedPacketError("CONNACK refusing the connection must have session present 0 [MQTT-3.2.2-4]");
      }
      return { type: "connack", sessionPresent: body[0] === 1, returnCode: body[1]! };
    }
    case 4:
    case 5:
    case 6:
    case 7:
    case 11: {
      const name = NAMES[type]!;
      expectLength(name, body, 2);
      const t = (["puback", "pubrec", "pubrel", "pubcomp"] as const)[type - 4] ?? "unsuback";
      return { type: t, packetId: packetId(name, body, 0) };
    }
    case 9: {
      if (body.length < 3) {
        throw new MalformedPacketError(`SUBACK remaining length must be at least 3, got ${body.length}`);
      }
      const codes = Array.from(body.subarray(2));
      for (const c of codes) {
        if (c !== 0 && c !== 1 && c !== 2 && c !== 0x80) {
          throw new MalformedPacketError(`SUBACK return code ${c} is not 0, 1, 2 or 0x80 [MQTT-3.9.3-2]`);
        }
      }
      return { type: "suback", packetId: packetId("SUBACK", body, 0), returnCodes: codes };
    }
    case 12:
    case 13:
    case 14: {
      const name = NAMES[type]!;
      expectLength(name, body, 0);
      return { type: (["pingreq", "pingresp", "disconnect"] as const)[type - 12]! };
    }
    case 8: {
      if (body.length < 2) throw new MalformedPacketError("SUBSCRIBE is too short for its packet identifier");
      const id = packetId("SUBSCRIBE", body, 0);
      const r = new Reader(body, "SUBSCRIBE", 2);
      const subs: { topic: string; qos: QoS }[] = [];
      while (!r.done()) {
        const topic = r.string("topic filter");
        if (r.o >= body.length) throw new MalformedPacketError("SUBSCRIBE is missing the requested QoS byte");
        const q = body[r.o++]!;
        if (q > 2) {
          throw new MalformedPacketError(`SUBSCRIBE requested QoS byte must be 0, 1 or 2, got ${q} [MQTT-3.8.3-4]`);
        }
        subs.push({ topic, qos: q as QoS });
      }
      if (subs.length === 0) {
        throw new MalformedPacketError("SUBSCRIBE must carry at least one topic filter [MQTT-3.8.3-3]");
      }
      return { type: "subscribe", packetId: id, subscriptions: subs };
    }
    case 10: {
      if (body.length < 2) throw new MalformedPacketError("UNSUBSCRIBE is too short for its packet identifier");
      const id = packetId("UNSUBSCRIBE", body, 0);
      const r = new Reader(body, "UNSUBSCRIBE", 2);
      const topics: string[] = [];
      while (!r.done()) topics.push(r.string("topic filter"));
      if (topics.length === 0) {
        throw new MalformedPacketError("UNSUBSCRIBE must carry at least one topic filter [MQTT-3.10.3-2]");
      }
      return { type: "unsubscribe", packetId: id, topics };
    }
    case 1:
      return decodeConnect(body);
  }
  throw new MalformedPacketError(`Unknown packet type ${type}`);
}

function decodeConnect(body: Uint8Array): Packet {
  const r = new Reader(body, "CONNECT", 0);
  const name = r.string("protocol name");
  if (name !== "MQTT") {
    throw new MalformedPacketError(`CONNECT protocol name must be "MQTT", got ${JSON.stringify(name)} [MQTT-3.1.2-1]`);
  }
  if (r.o + 4 > body.length) throw new MalformedPacketError("CONNECT is too short for its variable header");
  const level = body[r.o]!;
  if (level !== PROTOCOL_LEVEL) {
    throw new MalformedPacketError(`CONNECT protocol level must be 4, got ${level} [MQTT-3.1.2-2]`);
  }
  const flags = body[r.o + 1]!;
  if (flags & 1) throw new MalformedPacketError("CONNECT reserved flag must be 0 [MQTT-3.1.2-3]");
  const keepalive = u16(body, r.o + 2);
  r.o += 4;
  const clientId = r.string("client id");
  const p: Packet = { type: "connect", clientId, cleanSession: (flags & 2) !== 0, keepalive };
  const willQos = (flags >> 3) & 3;
  if (flags & 4) {
    if (willQos === 3) throw new MalformedPacketError("CONNECT will QoS must not be 3 [MQTT-3.1.2-14]");
    const topic = r.string("will topic");
    const payload = r.bytes("will message");
    p.will = { topic, payload, qos: willQos as QoS, retain: (flags & 0x20) !== 0 };
  } else if (willQos !== 0 || (flags & 0x20)) {
    throw new MalformedPacketError("CONNECT will QoS and retain must be 0 without a will [MQTT-3.1.2-13]");
  }
  if (flags & 0x80) p.username = r.string("user name");
  if (flags & 0x40) {
    if (!(flags & 0x80)) {
      throw new MalformedPacketError("CONNECT password flag needs the user name flag [MQTT-3.1.2-22]");
    }
    p.password = r.bytes("password");
  }
  if (!r.done()) throw new MalformedPacketError(`CONNECT has ${body.length - r.o} unexpected trailing bytes`);
  return p;
}
