/**
 * The message shape handed to callbacks.
 *
 * @module
 */
import type { PublishPacket, QoS } from "./codec/packets.ts";
import type { PublishProperties } from "./codec/properties.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * A received application message.
 *
 * `payload` is the exact bytes; `text()` and `json()` decode them.
 * `topicBytes` gives the topic as UTF-8 bytes, as umqtt.simple passes it.
 *
 * @example Reading a message in a callback
 * ```ts
 * import { Message } from "./message.ts";
 * const msg = new Message({ type: "publish", topic: "t", payload: new TextEncoder().encode('{"v":1}'), qos: 1, retain: false, dup: false, packetId: 3 });
 * console.log(msg.topic, msg.text(), msg.json<{ v: number }>().v, msg.qos); // "t" '{"v":1}' 1 1
 * ```
 */
export class Message {
  /** Topic name the message was published to. */
  readonly topic: string;
  /** Payload bytes (may be empty). */
  readonly payload: Uint8Array;
  /** QoS it was delivered with (the lower of publish and subscription QoS). */
  readonly qos: QoS;
  /** Set when the broker sends a retained message on subscribe. */
  readonly retain: boolean;
  /** Set when the broker re-delivers a message it may have sent before. */
  readonly dup: boolean;
  /**
   * MQTT 5.0 properties as received (user properties, content type,
   * payload format indicator, message expiry, response topic,
   * correlation data, subscription identifiers); `undefined` on 3.1.1 or
   * when the message had none.
   */
  readonly properties: PublishProperties | undefined;
  /**
   * MQTT 5.0: the filters of this client's subscriptions that matched
   * the message (from its subscription identifiers); `undefined` when the
   * broker sent none.
   */
  subscriptions: string[] | undefined;

  /**
   * Wrap a received PUBLISH packet. The client creates messages; build one
   * yourself only to test a callback.
   *
   * @param packet The received PUBLISH.
   */
  constructor(packet: PublishPacket) {
    this.topic = packet.topic;
    this.payload = packet.payload;
    this.qos = packet.qos;
    this.retain = packet.retain;
    this.dup = packet.dup;
    this.properties = (packet as { properties?: PublishProperties }).properties;
    this.subscriptions = undefined;
  }

  /**
   * The topic as UTF-8 bytes.
   *
   * @returns A new Uint8Array.
   */
  get topicBytes(): Uint8Array {
    return encoder.encode(this.topic);
  }

  /**
   * The payload decoded as UTF-8 (invalid sequences become U+FFFD).
   *
   * @returns The text.
   */
  text(): string {
    return decoder.decode(this.payload);
  }

  /**
   * The payload parsed as JSON (after UTF-8 decoding); throws a
   * `SyntaxError` if it is not JSON. The type parameter is not checked.
   *
   * @typeParam T The expected shape.
   * @returns The parsed value.
   */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }
}
