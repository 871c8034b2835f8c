/**
 * Pure sans-I/O MQTT codec: packet types, encoders, a push decoder, topic
 * rules and errors. No runtime APIs are used here.
 *
 * MQTT 3.1.1 is `encodePacket`/`PacketDecoder` with the {@linkcode Packet}
 * union. MQTT 5.0 is a separate entry with the same shape:
 * `encodePacketV5`/`PacketDecoderV5` with the {@linkcode PacketV5} union
 * (reason codes, {@linkcode Properties}, subscription options, AUTH), so the
 * client bundle carries no MQTT 5.0 code unless it uses it. Both share one
 * Remaining Length codec and one set of primitives.
 *
 * @example Round trip
 * ```ts
 * import { encodePacket, PacketDecoder } from "./mod.ts";
 * const d = new PacketDecoder();
 * d.feed(encodePacket({ type: "puback", packetId: 7 }));
 * console.log(d.next()); // { type: "puback", packetId: 7 }
 * ```
 *
 * @example MQTT 5.0 round trip
 * ```ts
 * import { encodePacketV5, PacketDecoderV5 } from "./mod.ts";
 * const d = new PacketDecoderV5();
 * d.feed(encodePacketV5({ type: "puback", packetId: 7, reasonCode: 0x10 }));
 * console.log(d.next()); // { type: "puback", packetId: 7, reasonCode: 16 }
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./packets.ts";
export * from "./remaining_length.ts";
export * from "./utf8.ts";
export * from "./topic.ts";
export * from "./encode.ts";
export { type DecoderOptions, PacketDecoder } from "./decode.ts";
export * from "./packets_v5.ts";
export {
  type AckProperties,
  type AuthProperties,
  type ConnackProperties,
  type ConnectProperties,
  type DisconnectProperties,
  PROPERTIES,
  type Properties,
  type PropertyInfo,
  type PropertyPlace,
  type PropertyType,
  type PublishProperties,
  type SubscribeProperties,
  type UnsubscribeProperties,
  type UserProperty,
  type WillProperties,
} from "./properties.ts";
export * from "./reason_codes.ts";
export * from "./encode_v5.ts";
export { PacketDecoderV5 } from "./decode_v5.ts";
