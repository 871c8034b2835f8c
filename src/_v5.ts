/**
 * MQTT 5.0's wire format for the session, loaded with a dynamic import by
 * clients created with `protocolVersion: 5`, so that 3.1.1 programs do not
 * carry the 5.0 codec.
 *
 * @module
 */
import { PacketDecoderV5 } from "./codec/decode_v5.ts";
import { encodeConnectV5, encodePacketV5, encodePublishV5 } from "./codec/encode_v5.ts";
import type { PacketV5 } from "./codec/packets_v5.ts";
import { describeReasonCode } from "./codec/reason_codes.ts";
import type { Wire } from "./session.ts";

/** The MQTT 5.0 {@linkcode Wire}. */
export const WIRE_V5: Wire = {
  version: 5,
  encodeConnect: encodeConnectV5,
  encodePublish: encodePublishV5,
  encodePacket: (p) => encodePacketV5(p as PacketV5),
  decoder: (maxPacketSize) => new PacketDecoderV5({ maxPacketSize }),
  describe: (code) => describeReasonCode(code),
};
