/**
 * MQTT 5.0 properties (MQTT 5.0 §2.2.2): one table of every property
 * (identifier, name, wire type, the packets that allow it, where it may
 * repeat), and one table-driven reader and writer.
 *
 * Properties are a plain object with camelCase names. The two that may
 * repeat are arrays: `userProperties` (name/value pairs, in wire order)
 * and `subscriptionIdentifiers` (several in PUBLISH, at most one in
 * SUBSCRIBE).
 *
 * @module
 */
import { MAX_REMAINING_LENGTH } from "./constants.ts";
import { MalformedPacketError } from "./errors.ts";
import { hex, type Reader, u16 } from "./_read.ts";
import { readRemainingLength, remainingLengthSize, writeRemainingLength } from "./remaining_length.ts";
import { decodeUtf8, encodeUtf8 } from "./utf8.ts";
import { checkBinary, putBytes, putU16, putU32 } from "./_write.ts";
import { show } from "./_show.ts";

/**
 * A User Property: a name and a value, both UTF-8 strings.
 *
 * @example A user property
 * ```ts
 * import type { UserProperty } from "./properties.ts";
 * const p: UserProperty = ["region", "eu-west"];
 * console.log(p[0]); // "region"
 * ```
 */
export type UserProperty = [name: string, value: string];

/**
 * Every MQTT 5.0 property, by its camelCase name. Each packet allows a
 * subset; see the per-packet types ({@linkcode ConnectProperties}, …) and
 * {@linkcode PROPERTIES}.
 *
 * @example Properties of a request message
 * ```ts
 * import type { Properties } from "./properties.ts";
 * const p: Properties = {
 *   responseTopic: "replies/42",
 *   correlationData: new Uint8Array([1, 2]),
 *   userProperties: [["trace", "abc"]],
 * };
 * console.log(Object.keys(p).length); // 3
 * ```
 */
export interface Properties {
  /** 0x01 Payload Format Indicator: 0 unspecified bytes, 1 UTF-8 text (PUBLISH, will). */
  payloadFormatIndicator?: 0 | 1 | undefined;
  /** 0x02 Message Expiry Interval in seconds (PUBLISH, will). */
  messageExpiryInterval?: number | undefined;
  /** 0x03 Content Type, e.g. a MIME type (PUBLISH, will). */
  contentType?: string | undefined;
  /** 0x08 Response Topic, no wildcards (PUBLISH, will). */
  responseTopic?: string | undefined;
  /** 0x09 Correlation Data (PUBLISH, will). */
  correlationData?: Uint8Array | undefined;
  /** 0x0B Subscription Identifiers, 1..268435455: several in PUBLISH, at most one in SUBSCRIBE. */
  subscriptionIdentifiers?: number[] | undefined;
  /** 0x11 Session Expiry Interval in seconds (CONNECT, CONNACK, DISCONNECT). */
  sessionExpiryInterval?: number | undefined;
  /** 0x12 Assigned Client Identifier (CONNACK). */
  assignedClientIdentifier?: string | undefined;
  /** 0x13 Server Keep Alive in seconds (CONNACK). */
  serverKeepAlive?: number | undefined;
  /** 0x15 Authentication Method (CONNECT, CONNACK, AUTH). */
  authenticationMethod?: string | undefined;
  /** 0x16 Authentication Data (CONNECT, CONNACK, AUTH); needs an Authentication Method. */
  authenticationData?: Uint8Array | undefined;
  /** 0x17 Request Problem Information (CONNECT). */
  requestProblemInformation?: boolean | undefined;
  /** 0x18 Will Delay Interval in seconds (will). */
  willDelayInterval?: number | undefined;
  /** 0x19 Request Response Information (CONNECT). */
  requestResponseInformation?: boolean | undefined;
  /** 0x1A Response Information (CONNACK). */
  responseInformation?: string | undefined;
  /** 0x1C Server Reference (CONNACK, DISCONNECT). */
  serverReference?: string | undefined;
  /** 0x1F Reason String (CONNACK, the acknowledgements, SUBACK, UNSUBACK, DISCONNECT, AUTH). */
  reasonString?: string | undefined;
  /** 0x21 Receive Maximum, 1..65535 (CONNECT, CONNACK). */
  receiveMaximum?: number | undefined;
  /** 0x22 Topic Alias Maximum (CONNECT, CONNACK). */
  topicAliasMaximum?: number | undefined;
  /** 0x23 Topic Alias, 1..65535 (PUBLISH). */
  topicAlias?: number | undefined;
  /** 0x24 Maximum QoS, 0 or 1 (CONNACK). */
  maximumQos?: 0 | 1 | undefined;
  /** 0x25 Retain Available (CONNACK). */
  retainAvailable?: boolean | undefined;
  /** 0x26 User Properties, in order; names may repeat (every packet but PINGREQ/PINGRESP). */
  userProperties?: UserProperty[] | undefined;
  /** 0x27 Maximum Packet Size, 1..4294967295 (CONNECT, CONNACK). */
  maximumPacketSize?: number | undefined;
  /** 0x28 Wildcard Subscription Available (CONNACK). */
  wildcardSubscriptionAvailable?: boolean | undefined;
  /** 0x29 Subscription Identifiers Available (CONNACK). */
  subscriptionIdentifiersAvailable?: boolean | undefined;
  /** 0x2A Shared Subscription Available (CONNACK). */
  sharedSubscriptionAvailable?: boolean | undefined;
}

/**
 * CONNECT properties.
 *
 * @example Asking for a one-hour session
 * ```ts
 * import type { ConnectProperties } from "./properties.ts";
 * const p: ConnectProperties = { sessionExpiryInterval: 3600, receiveMaximum: 20 };
 * console.log(p.sessionExpiryInterval); // 3600
 * ```
 */
export type ConnectProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "receiveMaximum"
  | "maximumPacketSize"
  | "topicAliasMaximum"
  | "requestResponseInformation"
  | "requestProblemInformation"
  | "userProperties"
  | "authenticationMethod"
  | "authenticationData"
>;

/**
 * Will properties (in the CONNECT payload).
 *
 * @example A will published 30 s after the connection is lost
 * ```ts
 * import type { WillProperties } from "./properties.ts";
 * const p: WillProperties = { willDelayInterval: 30, payloadFormatIndicator: 1 };
 * console.log(p.willDelayInterval); // 30
 * ```
 */
export type WillProperties = Pick<
  Properties,
  | "willDelayInterval"
  | "payloadFormatIndicator"
  | "messageExpiryInterval"
  | "contentType"
  | "responseTopic"
  | "correlationData"
  | "userProperties"
>;

/**
 * CONNACK properties.
 *
 * @example Limits a broker announces
 * ```ts
 * import type { ConnackProperties } from "./properties.ts";
 * const p: ConnackProperties = { receiveMaximum: 10, maximumQos: 1, topicAliasMaximum: 16 };
 * console.log(p.maximumQos); // 1
 * ```
 */
export type ConnackProperties = Pick<
  Properties,
  | "sessionExpiryInterval"
  | "receiveMaximum"
  | "maximumQos"
  | "retainAvailable"
  | "maximumPacketSize"
  | "assignedClientIdentifier"
  | "topicAliasMaximum"
  | "reasonString"
  | "userProperties"
  | "wildcardSubscriptionAvailable"
  | "subscriptionIdentifiersAvailable"
  | "sharedSubscriptionAvailable"
  | "serverKeepAlive"
  | "responseInformation"
  | "serverReference"
  | "authenticationMethod"
  | "authenticationData"
>;

/**
 * PUBLISH properties.
 *
 * @example A message sent by topic alias
 * ```ts
 * import type { PublishProperties } from "./properties.ts";
 * const p: PublishProperties = { topicAlias: 3, messageExpiryInterval: 60 };
 * console.log(p.topicAlias); // 3
 * ```
 */
export type PublishProperties = Pick<
  Properties,
  | "payloadFormatIndicator"
  | "messageExpiryInterval"
  | "topicAlias"
  | "responseTopic"
  | "correlationData"
  | "userProperties"
  | "subscriptionIdentifiers"
  | "contentType"
>;

/**
 * Properties of PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK and UNSUBACK.
 *
 * @example Why a message was refused
 * ```ts
 * import type { AckProperties } from "./properties.ts";
 * const p: AckProperties = { reasonString: "quota exceeded for tenant 7" };
 * console.log(p.reasonString?.length); // 27
 * ```
 */
export type AckProperties = Pick<Properties, "reasonString" | "userProperties">;

/**
 * SUBSCRIBE properties.
 *
 * @example Tagging a subscription with identifier 7
 * ```ts
 * import type { SubscribeProperties } from "./properties.ts";
 * const p: SubscribeProperties = { subscriptionIdentifiers: [7] };
 * console.log(p.subscriptionIdentifiers); // [7]
 * ```
 */
export type SubscribeProperties = Pick<Properties, "subscriptionIdentifiers" | "userProperties">;

/**
 * UNSUBSCRIBE properties.
 *
 * @example A user property
 * ```ts
 * import type { UnsubscribeProperties } from "./properties.ts";
 * const p: UnsubscribeProperties = { userProperties: [["why", "done"]] };
 * console.log(p.userProperties?.length); // 1
 * ```
 */
export type UnsubscribeProperties = Pick<Properties, "userProperties">;

/**
 * DISCONNECT properties.
 *
 * @example Pointing the client at another server
 * ```ts
 * import type { DisconnectProperties } from "./properties.ts";
 * const p: DisconnectProperties = { serverReference: "mqtt2.example.com" };
 * console.log(p.serverReference); // "mqtt2.example.com"
 * ```
 */
export type DisconnectProperties = Pick<
  Properties,
  "sessionExpiryInterval" | "reasonString" | "userProperties" | "serverReference"
>;

/**
 * AUTH properties.
 *
 * @example One step of a SCRAM exchange
 * ```ts
 * import type { AuthProperties } from "./properties.ts";
 * const p: AuthProperties = { authenticationMethod: "SCRAM-SHA-1", authenticationData: new Uint8Array([1]) };
 * console.log(p.authenticationMethod); // "SCRAM-SHA-1"
 * ```
 */
export type AuthProperties = Pick<
  Properties,
  "authenticationMethod" | "authenticationData" | "reasonString" | "userProperties"
>;

/**
 * Where a property may appear: a packet, or the will properties of CONNECT.
 *
 * @example
 * ```ts
 * import type { PropertyPlace } from "./properties.ts";
 * const where: PropertyPlace = "will";
 * console.log(where); // "will"
 * ```
 */
export type PropertyPlace =
  | "will"
  | "connect"
  | "connack"
  | "publish"
  | "puback"
  | "pubrec"
  | "pubrel"
  | "pubcomp"
  | "subscribe"
  | "suback"
  | "unsubscribe"
  | "unsuback"
  | "disconnect"
  | "auth";

/**
 * The seven MQTT 5.0 data types a property value may have (MQTT 5.0 §1.5).
 *
 * @example
 * ```ts
 * import type { PropertyType } from "./properties.ts";
 * const t: PropertyType = "variable-byte-integer";
 * console.log(t); // "variable-byte-integer"
 * ```
 */
export type PropertyType =
  | "byte"
  | "two-byte-integer"
  | "four-byte-integer"
  | "variable-byte-integer"
  | "utf8-string"
  | "utf8-string-pair"
  | "binary-data";

/**
 * One row of {@linkcode PROPERTIES}.
 *
 * @example Looking a property up by identifier
 * ```ts
 * import { PROPERTIES } from "./properties.ts";
 * const p = PROPERTIES.find((r) => r.id === 0x23)!;
 * console.log(p.key, p.type, p.places); // "topicAlias" "two-byte-integer" ["publish"]
 * ```
 */
export interface PropertyInfo {
  /** The identifier on the wire. */
  readonly id: number;
  /** The camelCase key in {@linkcode Properties}. */
  readonly key: keyof Properties;
  /** The spec's name. */
  readonly name: string;
  /** The wire type of the value. */
  readonly type: PropertyType;
  /** Where it is allowed. */
  readonly places: readonly PropertyPlace[];
  /** Where it may appear more than once (elsewhere a second one is a Protocol Error). */
  readonly repeatable: readonly PropertyPlace[];
}

// Places as bits: the packet type number, and bit 0 for the will properties.
const WILL = 1 << 0;
const CONNECT = 1 << 1;
const CONNACK = 1 << 2;
const PUBLISH = 1 << 3;
const ACKS = (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7); // PUBACK, PUBREC, PUBREL, PUBCOMP
const SUBSCRIBE = 1 << 8;
const SUBACK = 1 << 9;
const UNSUBSCRIBE = 1 << 10;
const UNSUBACK = 1 << 11;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;
const ALL = WILL | CONNECT | CONNACK | PUBLISH | ACKS | SUBSCRIBE | SUBACK | UNSUBSCRIBE | UNSUBACK | DISCONNECT |
  AUTH;

const PLACES: readonly [PropertyPlace, number][] = [
  ["will", 0],
  ["connect", 1],
  ["connack", 2],
  ["publish", 3],
  ["puback", 4],
  ["pubrec", 5],
  ["pubrel", 6],
  ["pubcomp", 7],
  ["subscribe", 8],
  ["suback", 9],
  ["unsubscribe", 10],
  ["unsuback", 11],
  ["disconnect", 14],
  ["auth", 15],
];

// Wire types.
const BYTE = 0;
const U16 = 1;
const U32 = 2;
const VARINT = 3;
const STRING = 4;
const PAIR = 5;
const BINARY = 6;
const TYPE_NAMES: readonly PropertyType[] = [
  "byte",
  "two-byte-integer",
  "four-byte-integer",
  "variable-byte-integer",
  "utf8-string",
  "utf8-string-pair",
  "binary-data",
];

// Value rules beyond the wire type.
const ANY = 0;
const FLAG = 1; // a byte 0 or 1, shown as a boolean
const ZERO_ONE = 2; // a byte 0 or 1, shown as a number
const NON_ZERO = 3;

/** One property: everything the reader and writer need. */
interface Entry {
  id: number;
  key: keyof Properties;
  name: string;
  type: number;
  places: number;
  repeat: number;
  rule: number;
  /** Where the spec states the property's rules, for error messages. */
  cite: string;
}

// [id, key, name, wire type, rule, places, places where it may repeat, spec reference]
const TABLE: readonly (readonly [number, keyof Properties, string, number, number, number, number, string])[] = [
  [
    0x01,
    "payloadFormatIndicator",
    "Payload Format Indicator",
    BYTE,
    ZERO_ONE,
    PUBLISH | WILL,
    0,
    "(MQTT 5.0 §3.3.2.3.2)",
  ],
  [0x02, "messageExpiryInterval", "Message Expiry Interval", U32, ANY, PUBLISH | WILL, 0, "(MQTT 5.0 §3.3.2.3.3)"],
  [0x03, "contentType", "Content Type", STRING, ANY, PUBLISH | WILL, 0, "(MQTT 5.0 §3.3.2.3.9)"],
  [0x08, "responseTopic", "Response Topic", STRING, ANY, PUBLISH | WILL, 0, "(MQTT 5.0 §3.3.2.3.5)"],
  [0x09, "correlationData", "Correlation Data", BINARY, ANY, PUBLISH | WILL, 0, "(MQTT 5.0 §3.3.2.3.6)"],
  [
    0x0b,
    "subscriptionIdentifiers",
    "Subscription Identifier",
    VARINT,
    NON_ZERO,
    PUBLISH | SUBSCRIBE,
    PUBLISH,
    "(MQTT 5.0 §3.8.2.1.2)",
  ],
  [
    0x11,
    "sessionExpiryInterval",
    "Session Expiry Interval",
    U32,
    ANY,
    CONNECT | CONNACK | DISCONNECT,
    0,
    "(MQTT 5.0 §3.1.2.11.2)",
  ],
  [0x12, "assignedClientIdentifier", "Assigned Client Identifier", STRING, ANY, CONNACK, 0, "(MQTT 5.0 §3.2.2.3.7)"],
  [0x13, "serverKeepAlive", "Server Keep Alive", U16, ANY, CONNACK, 0, "(MQTT 5.0 §3.2.2.3.14)"],
  [
    0x15,
    "authenticationMethod",
    "Authentication Method",
    STRING,
    ANY,
    CONNECT | CONNACK | AUTH,
    0,
    "(MQTT 5.0 §3.1.2.11.9)",
  ],
  [
    0x16,
    "authenticationData",
    "Authentication Data",
    BINARY,
    ANY,
    CONNECT | CONNACK | AUTH,
    0,
    "(MQTT 5.0 §3.1.2.11.10)",
  ],
  [0x17, "requestProblemInformation", "Request Problem Information", BYTE, FLAG, CONNECT, 0, "(MQTT 5.0 §3.1.2.11.7)"],
  [0x18, "willDelayInterval", "Will Delay Interval", U32, ANY, WILL, 0, "(MQTT 5.0 §3.1.3.2.2)"],
  [
    0x19,
    "requestResponseInformation",
    "Request Response Information",
    BYTE,
    FLAG,
    CONNECT,
    0,
    "(MQTT 5.0 §3.1.2.11.6)",
  ],
  [0x1a, "responseInformation", "Response Information", STRING, ANY, CONNACK, 0, "(MQTT 5.0 §3.2.2.3.15)"],
  [0x1c, "serverReference", "Server Reference", STRING, ANY, CONNACK | DISCONNECT, 0, "(MQTT 5.0 §3.2.2.3.16)"],
  [
    0x1f,
    "reasonString",
    "Reason String",
    STRING,
    ANY,
    CONNACK | ACKS | SUBACK | UNSUBACK | DISCONNECT | AUTH,
    0,
    "(MQTT 5.0 §3.2.2.3.9)",
  ],
  [0x21, "receiveMaximum", "Receive Maximum", U16, NON_ZERO, CONNECT | CONNACK, 0, "(MQTT 5.0 §3.1.2.11.3)"],
  [0x22, "topicAliasMaximum", "Topic Alias Maximum", U16, ANY, CONNECT | CONNACK, 0, "(MQTT 5.0 §3.1.2.11.5)"],
  [0x23, "topicAlias", "Topic Alias", U16, NON_ZERO, PUBLISH, 0, "(MQTT 5.0 §3.3.2.3.4) [MQTT-3.3.2-8]"],
  [0x24, "maximumQos", "Maximum QoS", BYTE, ZERO_ONE, CONNACK, 0, "(MQTT 5.0 §3.2.2.3.4)"],
  [0x25, "retainAvailable", "Retain Available", BYTE, FLAG, CONNACK, 0, "(MQTT 5.0 §3.2.2.3.5)"],
  [0x26, "userProperties", "User Property", PAIR, ANY, ALL, ALL, "(MQTT 5.0 §3.1.2.11.8)"],
  [0x27, "maximumPacketSize", "Maximum Packet Size", U32, NON_ZERO, CONNECT | CONNACK, 0, "(MQTT 5.0 §3.1.2.11.4)"],
  [
    0x28,
    "wildcardSubscriptionAvailable",
    "Wildcard Subscription Available",
    BYTE,
    FLAG,
    CONNACK,
    0,
    "(MQTT 5.0 §3.2.2.3.11)",
  ],
  [
    0x29,
    "subscriptionIdentifiersAvailable",
    "Subscription Identifiers Available",
    BYTE,
    FLAG,
    CONNACK,
    0,
    "(MQTT 5.0 §3.2.2.3.12)",
  ],
  [
    0x2a,
    "sharedSubscriptionAvailable",
    "Shared Subscription Available",
    BYTE,
    FLAG,
    CONNACK,
    0,
    "(MQTT 5.0 §3.2.2.3.13)",
  ],
];

const BY_ID: (Entry | undefined)[] = [];
const BY_KEY = new Map<string, Entry>();
for (const [id, key, name, type, rule, places, repeat, cite] of TABLE) {
  const e: Entry = { id, key, name, type, rule, places, repeat, cite };
  BY_ID[id] = e;
  BY_KEY.set(key, e);
}

function placesOf(mask: number): PropertyPlace[] {
  return PLACES.filter(([, bit]) => (mask & (1 << bit)) !== 0).map(([p]) => p);
}

/**
 * Every MQTT 5.0 property (MQTT 5.0 §2.2.2.2, Table 2-4), by identifier:
 * its key in {@linkcode Properties}, name, wire type, where it is allowed
 * and where it may repeat.
 *
 * @example Properties a CONNACK may carry
 * ```ts
 * import { PROPERTIES } from "./properties.ts";
 * console.log(PROPERTIES.filter((p) => p.places.includes("connack")).length); // 17
 * ```
 */
export const PROPERTIES: readonly PropertyInfo[] = TABLE.map(([id, key, name, type, , places, repeat]) => ({
  id,
  key,
  name,
  type: TYPE_NAMES[type]!,
  places: placesOf(places),
  repeatable: placesOf(repeat),
}));

function label(e: Entry): string {
  return `${e.name} (0x${hex(e.id)})`;
}

function where(place: number, packet: string): string {
  return place === 0 ? `${packet} will` : packet;
}

// --- reading ----------------------------------------------------------------

/** Read a Variable Byte Integer at `r.o` that must end by `end`; `what` names it for errors. */
export function readVarint(r: Reader, end: number, what: string): number {
  let v: [number, number] | null;
  try {
    v = readRemainingLength(r.b, r.o, end);
  } catch {
    throw new MalformedPacketError(`${r.name} ${what} is longer than 4 bytes [MQTT-1.5.5]`);
  }
  if (v === null) throw new MalformedPacketError(`${r.name} is too short for its ${what}`);
  r.o += v[1];
  return v[0];
}

function readString(r: Reader, end: number, w: string, e: Entry): string {
  if (r.o + 2 > end) throw overrun(w, e);
  const n = u16(r.b, r.o);
  if (r.o + 2 + n > end) throw overrun(w, e);
  const s = decodeUtf8(r.b.subarray(r.o + 2, r.o + 2 + n));
  r.o += 2 + n;
  if (s === null) throw new MalformedPacketError(`${w} property ${label(e)} is not valid UTF-8 [MQTT-1.5.4-1]`);
  if (s.includes("\u0000")) throw new MalformedPacketError(`${w} property ${label(e)} contains U+0000 [MQTT-1.5.4-2]`);
  return s;
}

function overrun(w: string, e: Entry): MalformedPacketError {
  return new MalformedPacketError(`${w} property ${label(e)} overruns the property length`);
}

/**
 * Read a property block (its Variable Byte Integer length, then the
 * properties) at `r.o`, for `place` (a packet type number, or 0 for the
 * will properties). Advances `r.o` past it. Returns `undefined` for an empty
 * block. Throws {@linkcode MalformedPacketError} naming the property and
 * the rule for an unknown identifier, a property not allowed in `place`, a
 * second copy of one that may not repeat, a value out of range, a length
 * that overruns the block, or invalid UTF-8.
 *
 * @param r The packet's reader.
 * @param place The packet type number, or 0 for will properties.
 * @returns The properties, or `undefined` when there are none.
 */
export function readProperties(r: Reader, place: number): Properties | undefined {
  const w = where(place, r.name);
  const len = readVarint(r, r.b.length, place === 0 ? "will property length" : "property length");
  const end = r.o + len;
  if (end > r.b.length) {
    throw new MalformedPacketError(
      `${w} property length ${len} overruns the packet (${r.b.length - r.o} bytes remain)`,
    );
  }
  if (len === 0) return undefined;
  const b = r.b;
  const out: Record<string, unknown> = {};
  while (r.o < end) {
    const id = readVarint(r, end, "property identifier");
    const e = BY_ID[id];
    if (e === undefined) {
      throw new MalformedPacketError(`${w} property identifier 0x${hex(id)} is unknown (MQTT 5.0 §2.2.2.2)`);
    }
    if ((e.places & (1 << place)) === 0) {
      throw new MalformedPacketError(`${w} property ${label(e)} is not allowed there (MQTT 5.0 §2.2.2.2)`);
    }
    const prev = out[e.key];
    if (prev !== undefined && (e.repeat & (1 << place)) === 0) {
      throw new MalformedPacketError(`${w} property ${label(e)} must not appear more than once ${e.cite}`);
    }
    let v: number | string | Uint8Array | UserProperty;
    switch (e.type) {
      case BYTE:
        if (r.o + 1 > end) throw overrun(w, e);
        v = b[r.o++]!;
        break;
      case U16:
        if (r.o + 2 > end) throw overrun(w, e);
        v = u16(b, r.o);
        r.o += 2;
        break;
      case U32:
        if (r.o + 4 > end) throw overrun(w, e);
        v = (b[r.o]! * 0x1000000) + ((b[r.o + 1]! << 16) | (b[r.o + 2]! << 8) | b[r.o + 3]!);
        r.o += 4;
        break;
      case VARINT:
        v = readVarint(r, end, `property ${label(e)}`);
        break;
      case STRING:
        v = readString(r, end, w, e);
        break;
      case PAIR:
        v = [readString(r, end, w, e), readString(r, end, w, e)];
        break;
      default: {
        if (r.o + 2 > end) throw overrun(w, e);
        const n = u16(b, r.o);
        if (r.o + 2 + n > end) throw overrun(w, e);
        v = b.subarray(r.o + 2, r.o + 2 + n);
        r.o += 2 + n;
      }
    }
    if (e.rule !== ANY && typeof v === "number") {
      if (e.rule === NON_ZERO) {
        if (v === 0) throw new MalformedPacketError(`${w} property ${label(e)} must not be 0 ${e.cite}`);
      } else if (v > 1) {
        throw new MalformedPacketError(`${w} property ${label(e)} must be 0 or 1, got ${v} ${e.cite}`);
      } else if (e.rule === FLAG) {
        out[e.key] = v === 1;
        continue;
      }
    }
    if (e.type === PAIR || e.type === VARINT) {
      if (prev === undefined) out[e.key] = [v];
      else (prev as unknown[]).push(v);
    } else {
      out[e.key] = v;
    }
  }
  checkCombinations(out as Properties, w, MalformedPacketError);
  return out as Properties;
}

/** Rules that involve more than one property, or a value's content. */
function checkCombinations(p: Properties, w: string, E: new (m: string) => Error): void {
  if (p.authenticationData !== undefined && p.authenticationMethod === undefined) {
    throw new E(`${w} property Authentication Data (0x16) needs an Authentication Method (MQTT 5.0 §3.1.2.11.10)`);
  }
  const rt = p.responseTopic;
  if (rt !== undefined && (rt.includes("+") || rt.includes("#"))) {
    throw new E(`${w} property Response Topic (0x08) ${JSON.stringify(rt)} contains wildcards [MQTT-3.3.2-14]`);
  }
}

// --- writing ----------------------------------------------------------------

/** Properties checked and converted to bytes, ready to be written once their size is known. */
export interface PreparedProperties {
  /** Bytes of the properties, without the property length. */
  size: number;
  /** Alternating entries and values (numbers or UTF-8/binary bytes; pairs as two items). */
  items: (Entry | number | Uint8Array)[];
}

const NONE: PreparedProperties = { size: 0, items: [] };

function intRange(e: Entry, v: unknown, max: number, w: string): number {
  const min = e.rule === NON_ZERO ? 1 : 0;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(
      `Cannot encode ${w} property "${e.key}": expected an integer in ${min}..${max}, got ${show(v)} ${e.cite}`,
    );
  }
  return v;
}

/**
 * Check `props` for `place` (a packet type number, or 0 for will
 * properties) and convert its values to bytes. Throws `TypeError` for an
 * unknown key or a value of the wrong type and `RangeError` for a property
 * not allowed there, a value out of range or a repeat where none is allowed.
 *
 * @param props The properties, or `undefined`.
 * @param place The packet type number, or 0 for will properties.
 * @param packet The packet's name, for error messages.
 * @returns The prepared properties.
 */
export function prepareProperties(
  props: Properties | undefined,
  place: number,
  packet: string,
): PreparedProperties {
  if (props === undefined) return NONE;
  if (typeof props !== "object" || props === null) {
    throw new TypeError(`Cannot encode ${packet} properties: expected an object, got ${show(props)}`);
  }
  const w = where(place, packet);
  const items: (Entry | number | Uint8Array)[] = [];
  let size = 0;
  for (const key in props) {
    const v = (props as Record<string, unknown>)[key];
    if (v === undefined) continue;
    const e = BY_KEY.get(key);
    if (e === undefined) throw new TypeError(`Cannot encode ${w} property "${key}": no such MQTT 5.0 property`);
    if ((e.places & (1 << place)) === 0) {
      throw new RangeError(`Cannot encode ${w} property "${key}": ${e.name} is not allowed there (MQTT 5.0 §2.2.2.2)`);
    }
    const idSize = remainingLengthSize(e.id);
    if (e.type === PAIR || e.type === VARINT) {
      if (!Array.isArray(v)) throw new TypeError(`Cannot encode ${w} property "${key}": expected an array`);
      if (v.length > 1 && (e.repeat & (1 << place)) === 0) {
        throw new RangeError(
          `Cannot encode ${w} property "${key}": at most one ${e.name} is allowed there ${e.cite}`,
        );
      }
      for (const item of v as unknown[]) {
        items.push(e);
        if (e.type === VARINT) {
          const n = intRange(e, item, MAX_REMAINING_LENGTH, w);
          items.push(n);
          size += idSize + remainingLengthSize(n);
        } else {
          if (!Array.isArray(item) || item.length !== 2) {
            throw new TypeError(`Cannot encode ${w} property "${key}": expected [name, value] pairs`);
          }
          const name = encodeUtf8(item[0], "user property name");
          const value = encodeUtf8(item[1], "user property value");
          items.push(name, value);
          size += idSize + 4 + name.length + value.length;
        }
      }
      continue;
    }
    items.push(e);
    switch (e.type) {
      case BYTE: {
        if (e.rule === FLAG) {
          if (typeof v !== "boolean") {
            throw new TypeError(`Cannot encode ${w} property "${key}": expected a boolean, got ${show(v)}`);
          }
          items.push(v ? 1 : 0);
        } else {
          items.push(intRange(e, v, 1, w));
        }
        size += idSize + 1;
        break;
      }
      case U16:
        items.push(intRange(e, v, 0xffff, w));
        size += idSize + 2;
        break;
      case U32:
        items.push(intRange(e, v, 0xffffffff, w));
        size += idSize + 4;
        break;
      case STRING: {
        const s = encodeUtf8(v as string, `${e.name}`);
        items.push(s);
        size += idSize + 2 + s.length;
        break;
      }
      default: {
        const bin = checkBinary(v as Uint8Array, e.name);
        items.push(bin);
        size += idSize + 2 + bin.length;
      }
    }
  }
  checkCombinations(props, `Cannot encode ${w}`, RangeError);
  return { size, items };
}

/**
 * Bytes a property block takes on the wire: its length prefix plus the
 * properties.
 *
 * @param p Prepared properties.
 * @returns The size in bytes.
 */
export function propertiesSize(p: PreparedProperties): number {
  return remainingLengthSize(p.size) + p.size;
}

/**
 * Write a property block (length, then the properties in the order they
 * were given) at `o`.
 *
 * @param buf Destination.
 * @param o Offset.
 * @param p Prepared properties.
 * @returns The offset past the block.
 */
export function writeProperties(buf: Uint8Array, o: number, p: PreparedProperties): number {
  o = writeRemainingLength(p.size, buf, o);
  const items = p.items;
  for (let i = 0; i < items.length;) {
    const e = items[i++] as Entry;
    o = writeRemainingLength(e.id, buf, o);
    switch (e.type) {
      case BYTE:
        buf[o++] = items[i++] as number;
        break;
      case U16:
        o = putU16(buf, o, items[i++] as number);
        break;
      case U32:
        o = putU32(buf, o, items[i++] as number);
        break;
      case VARINT:
        o = writeRemainingLength(items[i++] as number, buf, o);
        break;
      case PAIR:
        o = putBytes(buf, o, items[i++] as Uint8Array);
        o = putBytes(buf, o, items[i++] as Uint8Array);
        break;
      default:
        o = putBytes(buf, o, items[i++] as Uint8Array);
    }
  }
  return o;
}
