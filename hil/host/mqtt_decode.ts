/**
 * An MQTT 3.1.1 packet decoder for the HIL oracle. It is written separately
 * from the client's codec (src/codec) and must never import it: the oracle
 * must not share code with what it checks. It decodes leniently and reports
 * problems in `error` instead of throwing, because it must describe whatever
 * a client under test put on the wire.
 *
 * @module
 */
import { toHex } from "./hex.ts";

/** Packet type names by the high nibble of the first byte. */
export const TYPE_NAMES: readonly string[] = [
  "RESERVED0",
  "CONNECT",
  "CONNACK",
  "PUBLISH",
  "PUBACK",
  "PUBREC",
  "PUBREL",
  "PUBCOMP",
  "SUBSCRIBE",
  "SUBACK",
  "UNSUBSCRIBE",
  "UNSUBACK",
  "PINGREQ",
  "PINGRESP",
  "DISCONNECT",
  "RESERVED15",
];

/** A decoded packet. Offsets are into the whole packet (fixed header included). */
export interface DecodedPacket {
  type: string;
  flags: number;
  remainingLength: number;
  lengthBytes: number;
  /** Type-specific fields (topic, qos, packetId, clientId, returnCode, ...). */
  fields: Record<string, unknown>;
  /** Offset of the 2-byte packet identifier, when the packet has one. */
  packetIdOffset?: number;
  /** What is wrong with the packet, if anything ([MQTT-x.y.z] style where it applies). */
  error?: string;
  /** One-line human description. */
  summary: string;
}

class Reader {
  pos: number;
  constructor(readonly b: Uint8Array, start: number, readonly end: number) {
    this.pos = start;
  }
  left(): number {
    return this.end - this.pos;
  }
  u8(what: string): number {
    if (this.pos >= this.end) throw new RangeError(`packet ends before ${what}`);
    return this.b[this.pos++]!;
  }
  u16(what: string): number {
    if (this.pos + 2 > this.end) throw new RangeError(`packet ends inside ${what}`);
    const v = (this.b[this.pos]! << 8) | this.b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }
  bytes(what: string): Uint8Array {
    const n = this.u16(`the length of ${what}`);
    if (this.pos + n > this.end) throw new RangeError(`${what} says ${n} bytes but only ${this.end - this.pos} remain`);
    const v = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  rest(): Uint8Array {
    const v = this.b.subarray(this.pos, this.end);
    this.pos = this.end;
    return v;
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Text of a UTF-8 field, or a hex note when it is not valid UTF-8. */
export function text(b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return `<invalid utf-8 ${toHex(b)}>`;
  }
}

/** Short printable form of a payload. */
export function payloadText(b: Uint8Array): string {
  if (b.length > 48) return `<${b.length} bytes ${toHex(b.subarray(0, 8))}...>`;
  const s = text(b);
  return /^[\x20-\x7e]*$/.test(s) ? JSON.stringify(s) : `<${toHex(b)}>`;
}

/**
 * Decode one whole packet (as framed by the rig).
 *
 * @param b The packet bytes, fixed header included.
 * @returns The decoded packet; `error` is set when it is malformed.
 */
export function decodePacket(b: Uint8Array): DecodedPacket {
  if (b.length === 0) {
    return {
      type: "EMPTY",
      flags: 0,
      remainingLength: 0,
      lengthBytes: 0,
      fields: {},
      error: "no bytes",
      summary: "EMPTY",
    };
  }
  const type = TYPE_NAMES[b[0]! >> 4]!;
  const flags = b[0]! & 15;
  let rl = 0;
  let mult = 1;
  let i = 1;
  for (;;) {
    if (i >= b.length) {
      return {
        type,
        flags,
        remainingLength: rl,
        lengthBytes: i - 1,
        fields: {},
        error: "packet ends inside the Remaining Length",
        summary: `${type} (incomplete header)`,
      };
    }
    const d = b[i++]!;
    rl += (d & 127) * mult;
    mult *= 128;
    if (!(d & 128)) break;
    if (i - 1 >= 4) {
      return {
        type,
        flags,
        remainingLength: rl,
        lengthBytes: 4,
        fields: {},
        error: "Remaining Length longer than 4 bytes [MQTT-2.2.3]",
        summary: `${type} (bad length)`,
      };
    }
  }
  const lengthBytes = i - 1;
  const out: DecodedPacket = { type, flags, remainingLength: rl, lengthBytes, fields: {}, summary: type };
  if (i + rl !== b.length) {
    out.error = `Remaining Length ${rl} but ${b.length - i} bytes follow the header`;
  }
  const r = new Reader(b, i, Math.min(b.length, i + rl));
  const f = out.fields;
  const expectFlags = (want: number): void => {
    if (flags !== want && !out.error) {
      out.error = `${type} fixed-header flags must be ${want.toString(2).padStart(4, "0")}, got ${
        flags.toString(2).padStart(4, "0")
      } [MQTT-2.2.2-1]`;
    }
  };
  try {
    switch (type) {
      case "CONNECT": {
        expectFlags(0);
        f.protocol = text(r.bytes("the protocol name"));
        f.level = r.u8("the protocol level");
        const cf = r.u8("the connect flags");
        f.connectFlags = cf;
        f.cleanSession = !!(cf & 2);
        f.keepAlive = r.u16("the keep alive");
        f.clientId = text(r.bytes("the client id"));
        if (cf & 4) {
          f.willQos = (cf >> 3) & 3;
          f.willRetain = !!(cf & 32);
          f.willTopic = text(r.bytes("the will topic"));
          f.willMessage = payloadText(r.bytes("the will message"));
        }
        if (cf & 128) f.username = text(r.bytes("the user name"));
        if (cf & 64) f.password = payloadText(r.bytes("the password"));
        if (cf & 1) out.error = "CONNECT reserved flag must be 0 [MQTT-3.1.2-3]";
        out.summary =
          `CONNECT ${f.protocol} v${f.level} flags=0x${cf.toString(16).padStart(2, "0")} keepalive=${f.keepAlive} id=${
            JSON.stringify(f.clientId)
          }` +
          (cf & 4
            ? ` will=${JSON.stringify(f.willTopic)}:${f.willMessage} q${f.willQos}${f.willRetain ? " r" : ""}`
            : "") +
          (cf & 128 ? ` user=${JSON.stringify(f.username)}` : "") + (cf & 64 ? " password=***" : "");
        break;
      }
      case "CONNACK": {
        expectFlags(0);
        f.sessionPresent = r.u8("the acknowledge flags") & 1;
        f.returnCode = r.u8("the return code");
        out.summary = `CONNACK sp=${f.sessionPresent} rc=${f.returnCode}`;
        break;
      }
      case "PUBLISH": {
        const qos = (flags >> 1) & 3;
        f.dup = !!(flags & 8);
        f.qos = qos;
        f.retain = !!(flags & 1);
        const topic = r.bytes("the topic name");
        f.topic = text(topic);
        if (qos > 0) {
          out.packetIdOffset = r.pos;
          f.packetId = r.u16("the packet identifier");
        }
        const payload = r.rest();
        f.payload = payloadText(payload);
        f.payloadLength = payload.length;
        if (qos === 3) out.error = "PUBLISH QoS 3 is not allowed [MQTT-3.3.1-4]";
        else if (/[#+]/.test(f.topic as string)) out.error = "PUBLISH topic name contains a wildcard [MQTT-3.3.2-2]";
        else if (qos > 0 && f.packetId === 0) out.error = "packet identifier 0 is not allowed [MQTT-2.3.1-1]";
        out.summary = `PUBLISH q${qos}${f.retain ? " retain" : ""}${f.dup ? " dup" : ""} ${JSON.stringify(f.topic)}${
          qos ? ` id=${f.packetId}` : ""
        } ${f.payload}`;
        break;
      }
      case "PUBACK":
      case "PUBREC":
      case "PUBREL":
      case "PUBCOMP":
      case "UNSUBACK": {
        expectFlags(type === "PUBREL" ? 2 : 0);
        out.packetIdOffset = r.pos;
        f.packetId = r.u16("the packet identifier");
        out.summary = `${type} id=${f.packetId}`;
        break;
      }
      case "SUBSCRIBE":
      case "UNSUBSCRIBE": {
        expectFlags(2);
        out.packetIdOffset = r.pos;
        f.packetId = r.u16("the packet identifier");
        const subs: { filter: string; qos?: number }[] = [];
        while (r.left() > 0) {
          const filter = text(r.bytes("a topic filter"));
          if (type === "SUBSCRIBE") subs.push({ filter, qos: r.u8("the requested QoS") });
          else subs.push({ filter });
        }
        f.filters = subs;
        if (subs.length === 0 && !out.error) out.error = `${type} must carry at least one topic filter [MQTT-3.8.3-3]`;
        const show = subs.map((s) =>
          `${s.filter.length > 40 ? s.filter.slice(0, 37) + "..." : s.filter}${s.qos === undefined ? "" : ` q${s.qos}`}`
        ).join(", ");
        out.summary = `${type} id=${f.packetId} ${show}`;
        break;
      }
      case "SUBACK": {
        expectFlags(0);
        out.packetIdOffset = r.pos;
        f.packetId = r.u16("the packet identifier");
        f.returnCodes = [...r.rest()];
        out.summary = `SUBACK id=${f.packetId} codes=${
          (f.returnCodes as number[]).map((c) => "0x" + c.toString(16).padStart(2, "0")).join(",")
        }`;
        break;
      }
      case "PINGREQ":
      case "PINGRESP":
      case "DISCONNECT":
        expectFlags(0);
        out.summary = type;
        break;
      default:
        out.error = `reserved packet type ${b[0]! >> 4}`;
    }
    if (r.left() > 0 && !out.error) out.error = `${r.left()} unexpected byte(s) after the ${type} fields`;
  } catch (e) {
    const msg = (e as Error).message;
    out.error = out.error ? `${out.error}; ${msg}` : msg;
    out.summary = `${type} (malformed: ${msg})`;
  }
  return out;
}
