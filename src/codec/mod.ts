/**
 * Pure sans-I/O MQTT 3.1.1 codec: packet types, encoders, a push decoder,
 * topic rules and errors. No runtime APIs are used here.
 *
 * @example Round trip
 * ```ts
 * import { encodePacket, PacketDecoder } from "./mod.ts";
 * const d = new PacketDecoder();
 * d.feed(encodePacket({ type: "puback", packetId: 7 }));
 * console.log(d.next()); // { type: "puback", packetId: 7 }
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
