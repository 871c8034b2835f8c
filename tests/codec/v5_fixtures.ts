/**
 * Byte-exact MQTT 5.0 fixtures for every packet type and every property,
 * written by hand from the spec (not produced by our encoder), plus the
 * alternative encodings a receiver must accept, and a malformed table.
 *
 * @module
 */
import type { PacketV5 } from "../../src/codec/packets_v5.ts";
import { hex } from "../_fake.ts";
import { cat, repeat } from "./_fixtures.ts";

/** One fixture: a packet and its exact bytes on the wire. */
export interface FixtureV5 {
  name: string;
  packet: PacketV5;
  bytes: Uint8Array;
}

const te = new TextEncoder();
const b = (s: string): Uint8Array => te.encode(s);
const CONNECT_HEAD = "00 04 4d 51 54 54 05"; // "MQTT", version 5

/** The canonical table: encode(packet) is exactly bytes, and decode(bytes) is exactly packet. */
export const FIXTURES_V5: FixtureV5[] = [
  // --- CONNECT ---
  {
    name: "CONNECT minimal, no properties",
    packet: { type: "connect", clientId: "c1", cleanSession: true, keepalive: 60 },
    bytes: hex(`10 0f ${CONNECT_HEAD} 02 00 3c 00 00 02 63 31`),
  },
  {
    name: "CONNECT with every CONNECT property",
    packet: {
      type: "connect",
      clientId: "c1",
      cleanSession: false,
      keepalive: 60,
      properties: {
        sessionExpiryInterval: 3600,
        receiveMaximum: 20,
        maximumPacketSize: 1048576,
        topicAliasMaximum: 10,
        requestResponseInformation: true,
        requestProblemInformation: false,
        userProperties: [["a", "b"]],
        authenticationMethod: "m",
        authenticationData: hex("01 02"),
      },
    },
    bytes: hex(
      `10 33 ${CONNECT_HEAD} 00 00 3c 24` +
        " 11 00 00 0e 10  21 00 14  27 00 10 00 00  22 00 0a  19 01  17 00" +
        " 26 00 01 61 00 01 62  15 00 01 6d  16 00 02 01 02" +
        " 00 02 63 31",
    ),
  },
  {
    name: "CONNECT will QoS 1 retain with every will property, user name, password",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 60,
      will: {
        topic: "w",
        payload: b("x"),
        qos: 1,
        retain: true,
        properties: {
          willDelayInterval: 30,
          payloadFormatIndicator: 1,
          messageExpiryInterval: 60,
          contentType: "t",
          responseTopic: "r",
          correlationData: hex("aa"),
          userProperties: [["k", "v"]],
        },
      },
      username: "u",
      password: hex("70 00 ff"),
    },
    bytes: hex(
      `10 3c ${CONNECT_HEAD} ee 00 3c 00 00 01 63` +
        " 1f 18 00 00 00 1e  01 01  02 00 00 00 3c  03 00 01 74  08 00 01 72  09 00 01 aa  26 00 01 6b 00 01 76" +
        " 00 01 77 00 01 78 00 01 75 00 03 70 00 ff",
    ),
  },
  {
    name: "CONNECT will QoS 2 without will properties",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 0,
      will: { topic: "w", payload: new Uint8Array(0), qos: 2, retain: false },
    },
    bytes: hex(`10 14 ${CONNECT_HEAD} 16 00 00 00 00 01 63 00 00 01 77 00 00`),
  },
  {
    name: "CONNECT password without user name (allowed in MQTT 5.0)",
    packet: { type: "connect", clientId: "c", cleanSession: true, keepalive: 60, password: b("p") },
    bytes: hex(`10 11 ${CONNECT_HEAD} 42 00 3c 00 00 01 63 00 01 70`),
  },
  // --- CONNACK ---
  {
    name: "CONNACK success, no properties",
    packet: { type: "connack", sessionPresent: false, reasonCode: 0 },
    bytes: hex("20 03 00 00 00"),
  },
  {
    name: "CONNACK session present with every CONNACK property",
    packet: {
      type: "connack",
      sessionPresent: true,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 0,
        receiveMaximum: 10,
        maximumQos: 1,
        retainAvailable: false,
        maximumPacketSize: 65536,
        assignedClientIdentifier: "id",
        topicAliasMaximum: 5,
        reasonString: "ok",
        userProperties: [["a", "1"], ["a", "2"]],
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifiersAvailable: false,
        sharedSubscriptionAvailable: true,
        serverKeepAlive: 30,
        responseInformation: "ri",
        serverReference: "s2",
        authenticationMethod: "m",
        authenticationData: hex("03"),
      },
    },
    bytes: hex(
      "20 4a 01 00 47" +
        " 11 00 00 00 00  21 00 0a  24 01  25 00  27 00 01 00 00  12 00 02 69 64  22 00 05  1f 00 02 6f 6b" +
        " 26 00 01 61 00 01 31  26 00 01 61 00 01 32  28 01  29 00  2a 01  13 00 1e  1a 00 02 72 69" +
        " 1c 00 02 73 32  15 00 01 6d  16 00 01 03",
    ),
  },
  {
    name: "CONNACK refused 0x87 Not authorized with a reason string",
    packet: { type: "connack", sessionPresent: false, reasonCode: 0x87, properties: { reasonString: "no" } },
    bytes: hex("20 08 00 87 05 1f 00 02 6e 6f"),
  },
  // --- PUBLISH ---
  {
    name: "PUBLISH QoS 0, no properties",
    packet: { type: "publish", topic: "a/b", payload: b("hi"), qos: 0, retain: false, dup: false },
    bytes: hex("30 08 00 03 61 2f 62 00 68 69"),
  },
  {
    name: "PUBLISH QoS 1 with every PUBLISH property and two subscription identifiers",
    packet: {
      type: "publish",
      topic: "a",
      payload: b("p"),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties: {
        payloadFormatIndicator: 1,
        messageExpiryInterval: 0xffffffff,
        topicAlias: 3,
        responseTopic: "r/1",
        correlationData: hex("01 02 03"),
        userProperties: [["x", "y"]],
        subscriptionIdentifiers: [1, 268435455],
        contentType: "text/plain",
      },
    },
    bytes: hex(
      "32 38 00 01 61 00 01 31" +
        " 01 01  02 ff ff ff ff  23 00 03  08 00 03 72 2f 31  09 00 03 01 02 03  26 00 01 78 00 01 79" +
        " 0b 01  0b ff ff ff 7f  03 00 0a 74 65 78 74 2f 70 6c 61 69 6e" +
        " 70",
    ),
  },
  {
    name: "PUBLISH QoS 2 retain dup, empty topic with a Topic Alias",
    packet: {
      type: "publish",
      topic: "",
      payload: b("z"),
      qos: 2,
      retain: true,
      dup: true,
      packetId: 7,
      properties: { topicAlias: 2 },
    },
    bytes: hex("3d 09 00 00 00 07 03 23 00 02 7a"),
  },
  {
    name: "PUBLISH subscription identifier 200 (two-byte varint)",
    packet: {
      type: "publish",
      topic: "t",
      payload: new Uint8Array(0),
      qos: 0,
      retain: false,
      dup: false,
      properties: { subscriptionIdentifiers: [200] },
    },
    bytes: hex("30 07 00 01 74 03 0b c8 01"),
  },
  {
    name: "PUBLISH 200-byte payload (two-byte remaining length)",
    packet: { type: "publish", topic: "a", payload: repeat(0xab, 200), qos: 0, retain: false, dup: false },
    bytes: cat(hex("30 cc 01 00 01 61 00"), repeat(0xab, 200)),
  },
  // --- PUBACK, PUBREC, PUBREL, PUBCOMP ---
  { name: "PUBACK short form", packet: { type: "puback", packetId: 1, reasonCode: 0 }, bytes: hex("40 02 00 01") },
  {
    name: "PUBACK 0x10 No matching subscribers, no properties",
    packet: { type: "puback", packetId: 1, reasonCode: 0x10 },
    bytes: hex("40 03 00 01 10"),
  },
  {
    name: "PUBREC 0x80 with a reason string",
    packet: { type: "pubrec", packetId: 2, reasonCode: 0x80, properties: { reasonString: "e" } },
    bytes: hex("50 08 00 02 80 04 1f 00 01 65"),
  },
  { name: "PUBREL short form", packet: { type: "pubrel", packetId: 5, reasonCode: 0 }, bytes: hex("62 02 00 05") },
  {
    name: "PUBREL 0x92 Packet Identifier not found",
    packet: { type: "pubrel", packetId: 3, reasonCode: 0x92 },
    bytes: hex("62 03 00 03 92"),
  },
  {
    name: "PUBCOMP success with a user property",
    packet: { type: "pubcomp", packetId: 4, reasonCode: 0, properties: { userProperties: [["k", "v"]] } },
    bytes: hex("70 0b 00 04 00 07 26 00 01 6b 00 01 76"),
  },
  // --- SUBSCRIBE / SUBACK ---
  {
    name: "SUBSCRIBE four filters with every subscription option, identifier and user property",
    packet: {
      type: "subscribe",
      packetId: 10,
      subscriptions: [
        { topic: "a/+", qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        { topic: "#", qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 },
        { topic: "$SYS/#", qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 1 },
        { topic: "b", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 2 },
      ],
      properties: { subscriptionIdentifiers: [5], userProperties: [["a", "b"]] },
    },
    bytes: hex(
      "82 23 00 0a 09 0b 05 26 00 01 61 00 01 62" +
        " 00 03 61 2f 2b 00  00 01 23 05  00 06 24 53 59 53 2f 23 1a  00 01 62 21",
    ),
  },
  {
    name: "SUBSCRIBE one filter, no properties",
    packet: {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topic: "a", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    },
    bytes: hex("82 07 00 01 00 00 01 61 01"),
  },
  {
    name: "SUBACK granted 0/1/2 and refusals, with a reason string",
    packet: {
      type: "suback",
      packetId: 10,
      reasonCodes: [0, 1, 2, 0x80, 0x87, 0xa2],
      properties: { reasonString: "r" },
    },
    bytes: hex("90 0d 00 0a 04 1f 00 01 72 00 01 02 80 87 a2"),
  },
  {
    name: "SUBACK granted 1, no properties",
    packet: { type: "suback", packetId: 1, reasonCodes: [1] },
    bytes: hex("90 04 00 01 00 01"),
  },
  // --- UNSUBSCRIBE / UNSUBACK ---
  {
    name: "UNSUBSCRIBE two filters with a user property",
    packet: { type: "unsubscribe", packetId: 11, topics: ["a/+", "#"], properties: { userProperties: [["a", "b"]] } },
    bytes: hex("a2 12 00 0b 07 26 00 01 61 00 01 62 00 03 61 2f 2b 00 01 23"),
  },
  {
    name: "UNSUBSCRIBE one filter, no properties",
    packet: { type: "unsubscribe", packetId: 2, topics: ["a"] },
    bytes: hex("a2 06 00 02 00 00 01 61"),
  },
  {
    name: "UNSUBACK success, no subscription, invalid filter, with a reason string",
    packet: { type: "unsuback", packetId: 11, reasonCodes: [0x00, 0x11, 0x8f], properties: { reasonString: "x" } },
    bytes: hex("b0 0a 00 0b 04 1f 00 01 78 00 11 8f"),
  },
  {
    name: "UNSUBACK success, no properties",
    packet: { type: "unsuback", packetId: 11, reasonCodes: [0] },
    bytes: hex("b0 04 00 0b 00 00"),
  },
  // --- PINGREQ / PINGRESP ---
  { name: "PINGREQ", packet: { type: "pingreq" }, bytes: hex("c0 00") },
  { name: "PINGRESP", packet: { type: "pingresp" }, bytes: hex("d0 00") },
  // --- DISCONNECT ---
  { name: "DISCONNECT short form", packet: { type: "disconnect", reasonCode: 0 }, bytes: hex("e0 00") },
  {
    name: "DISCONNECT 0x04 with will message, reason code only",
    packet: { type: "disconnect", reasonCode: 0x04 },
    bytes: hex("e0 01 04"),
  },
  {
    name: "DISCONNECT 0x9c Use another server with every DISCONNECT property",
    packet: {
      type: "disconnect",
      reasonCode: 0x9c,
      properties: {
        sessionExpiryInterval: 0,
        reasonString: "bye",
        serverReference: "s",
        userProperties: [["a", "b"]],
      },
    },
    bytes: hex("e0 18 9c 16 11 00 00 00 00 1f 00 03 62 79 65 1c 00 01 73 26 00 01 61 00 01 62"),
  },
  // --- AUTH ---
  { name: "AUTH short form", packet: { type: "auth", reasonCode: 0 }, bytes: hex("f0 00") },
  {
    name: "AUTH 0x18 Continue authentication with every AUTH property",
    packet: {
      type: "auth",
      reasonCode: 0x18,
      properties: {
        authenticationMethod: "SCRAM",
        authenticationData: hex("01 02"),
        reasonString: "r",
        userProperties: [["a", "b"]],
      },
    },
    bytes: hex("f0 1a 18 18 15 00 05 53 43 52 41 4d 16 00 02 01 02 1f 00 01 72 26 00 01 61 00 01 62"),
  },
  {
    name: "AUTH 0x19 Re-authenticate, reason code only",
    packet: { type: "auth", reasonCode: 0x19 },
    bytes: hex("f0 01 19"),
  },
];

/** Other encodings a receiver must accept; they decode to `packet` but we encode it as the canonical table does. */
export const ALTERNATIVE_V5: FixtureV5[] = [
  {
    name: "PUBACK 0x10 with a zero property length",
    packet: { type: "puback", packetId: 1, reasonCode: 0x10 },
    bytes: hex("40 04 00 01 10 00"),
  },
  {
    name: "PUBACK success written out as a reason code byte",
    packet: { type: "puback", packetId: 1, reasonCode: 0 },
    bytes: hex("40 03 00 01 00"),
  },
  {
    name: "PUBCOMP success with a zero property length",
    packet: { type: "pubcomp", packetId: 1, reasonCode: 0 },
    bytes: hex("70 04 00 01 00 00"),
  },
  {
    name: "DISCONNECT 0 with a zero property length",
    packet: { type: "disconnect", reasonCode: 0 },
    bytes: hex("e0 02 00 00"),
  },
  {
    name: "AUTH 0x18 with a zero property length",
    packet: { type: "auth", reasonCode: 0x18 },
    bytes: hex("f0 02 18 00"),
  },
  {
    name: "User properties interleaved with others keep their order",
    packet: {
      type: "puback",
      packetId: 1,
      reasonCode: 0x10,
      properties: { userProperties: [["a", "1"], ["b", "2"]], reasonString: "r" },
    },
    bytes: hex("40 16 00 01 10 12 26 00 01 61 00 01 31 1f 00 01 72 26 00 01 62 00 01 32"),
  },
];

/** One malformed packet and a fragment of the error it must raise. */
export interface BadV5 {
  name: string;
  bytes: string;
  error: string;
}

const CH = CONNECT_HEAD;

/** Malformed MQTT 5.0 input, one whole packet each. */
export const MALFORMED_V5: BadV5[] = [
  // Properties: repeats
  {
    name: "CONNACK Receive Maximum twice",
    bytes: "20 09 00 00 06 21 00 0a 21 00 0b",
    error: "CONNACK property Receive Maximum (0x21) must not appear more than once (MQTT 5.0 §3.1.2.11.3)",
  },
  {
    name: "PUBLISH Topic Alias twice",
    bytes: "30 0a 00 01 61 06 23 00 01 23 00 02",
    error: "PUBLISH property Topic Alias (0x23) must not appear more than once",
  },
  {
    name: "SUBSCRIBE two Subscription Identifiers",
    bytes: "82 0b 00 01 04 0b 01 0b 02 00 01 61 00",
    error: "SUBSCRIBE property Subscription Identifier (0x0b) must not appear more than once (MQTT 5.0 §3.8.2.1.2)",
  },
  {
    name: "CONNACK Retain Available twice (false both times)",
    bytes: "20 07 00 00 04 25 00 25 00",
    error: "CONNACK property Retain Available (0x25) must not appear more than once",
  },
  // Properties: not allowed in that packet
  {
    name: "CONNACK with a Topic Alias",
    bytes: "20 06 00 00 03 23 00 01",
    error: "CONNACK property Topic Alias (0x23) is not allowed there (MQTT 5.0 §2.2.2.2)",
  },
  {
    name: "PUBACK with a Topic Alias",
    bytes: "40 07 00 01 00 03 23 00 01",
    error: "PUBACK property Topic Alias (0x23) is not allowed there",
  },
  {
    name: "Will properties with a Session Expiry Interval",
    bytes: `10 18 ${CH} 06 00 00 00 00 00 05 11 00 00 00 00 00 01 77 00 00`,
    error: "CONNECT will property Session Expiry Interval (0x11) is not allowed there",
  },
  {
    name: "CONNECT with a Will Delay Interval outside the will",
    bytes: `10 12 ${CH} 02 00 00 05 18 00 00 00 01 00 00`,
    error: "CONNECT property Will Delay Interval (0x18) is not allowed there",
  },
  // Properties: unknown identifiers
  {
    name: "DISCONNECT with unknown property 0x05",
    bytes: "e0 03 00 01 05",
    error: "DISCONNECT property identifier 0x05 is unknown (MQTT 5.0 §2.2.2.2)",
  },
  {
    name: "PUBLISH with property 0x00",
    bytes: "30 06 00 01 61 01 00 00",
    error: "property identifier 0x00 is unknown",
  },
  // Properties: values
  {
    name: "Payload Format Indicator 2",
    bytes: "30 06 00 01 61 02 01 02",
    error: "PUBLISH property Payload Format Indicator (0x01) must be 0 or 1, got 2 (MQTT 5.0 §3.3.2.3.2)",
  },
  {
    name: "Maximum QoS 2",
    bytes: "20 05 00 00 02 24 02",
    error: "CONNACK property Maximum QoS (0x24) must be 0 or 1, got 2 (MQTT 5.0 §3.2.2.3.4)",
  },
  {
    name: "Retain Available 3",
    bytes: "20 05 00 00 02 25 03",
    error: "CONNACK property Retain Available (0x25) must be 0 or 1, got 3",
  },
  {
    name: "Request Problem Information 2",
    bytes: `10 0f ${CH} 02 00 00 02 17 02 00 00`,
    error: "CONNECT property Request Problem Information (0x17) must be 0 or 1, got 2",
  },
  {
    name: "Receive Maximum 0",
    bytes: "20 06 00 00 03 21 00 00",
    error: "CONNACK property Receive Maximum (0x21) must not be 0 (MQTT 5.0 §3.1.2.11.3)",
  },
  {
    name: "Maximum Packet Size 0",
    bytes: "20 08 00 00 05 27 00 00 00 00",
    error: "CONNACK property Maximum Packet Size (0x27) must not be 0",
  },
  {
    name: "Topic Alias 0",
    bytes: "30 07 00 01 61 03 23 00 00",
    error: "PUBLISH property Topic Alias (0x23) must not be 0 (MQTT 5.0 §3.3.2.3.4) [MQTT-3.3.2-8]",
  },
  {
    name: "Subscription Identifier 0",
    bytes: "30 06 00 01 61 02 0b 00",
    error: "PUBLISH property Subscription Identifier (0x0b) must not be 0",
  },
  {
    name: "Authentication Data without an Authentication Method",
    bytes: "f0 06 18 04 16 00 01 01",
    error: "AUTH property Authentication Data (0x16) needs an Authentication Method",
  },
  {
    name: "Response Topic with a wildcard",
    bytes: "30 09 00 01 61 05 08 00 02 61 23",
    error: 'PUBLISH property Response Topic (0x08) "a#" contains wildcards [MQTT-3.3.2-14]',
  },
  // Properties: lengths
  {
    name: "String property longer than the property length",
    bytes: "30 07 00 01 61 03 03 00 05",
    error: "PUBLISH property Content Type (0x03) overruns the property length",
  },
  {
    name: "Four-byte property cut by the property length",
    bytes: "30 07 00 01 61 03 02 00 00",
    error: "PUBLISH property Message Expiry Interval (0x02) overruns the property length",
  },
  {
    name: "User property value cut by the property length",
    bytes: "30 0a 00 01 61 06 26 00 01 61 00 01",
    error: "PUBLISH property User Property (0x26) overruns the property length",
  },
  {
    name: "Property length longer than the packet",
    bytes: "30 05 00 01 61 09 01",
    error: "PUBLISH property length 9 overruns the packet (1 bytes remain)",
  },
  {
    name: "PUBLISH without a property length",
    bytes: "30 03 00 01 61",
    error: "PUBLISH is too short for its property length",
  },
  {
    name: "Property length of five bytes",
    bytes: "30 08 00 01 61 ff ff ff ff 01",
    error: "PUBLISH property length is longer than 4 bytes",
  },
  {
    name: "Varint Subscription Identifier running past the property length",
    bytes: "30 07 00 01 61 02 0b 80 01",
    error: "PUBLISH is too short for its property Subscription Identifier (0x0b)",
  },
  {
    name: "Invalid UTF-8 in a property",
    bytes: "30 09 00 01 61 05 03 00 02 c3 28",
    error: "PUBLISH property Content Type (0x03) is not valid UTF-8 [MQTT-1.5.4-1]",
  },
  {
    name: "U+0000 in a user property name",
    bytes: "30 0b 00 01 61 07 26 00 01 00 00 01 62",
    error: "PUBLISH property User Property (0x26) contains U+0000 [MQTT-1.5.4-2]",
  },
  {
    name: "Invalid UTF-8 in a will property",
    bytes: `10 17 ${CH} 06 00 00 00 00 00 04 03 00 01 ff 00 01 77 00 00`,
    error: "CONNECT will property Content Type (0x03) is not valid UTF-8",
  },
  // Reason codes
  {
    name: "PUBACK 0x92 (PUBREL/PUBCOMP only)",
    bytes: "40 03 00 01 92",
    error: "PUBACK reason code 0x92 Packet Identifier not found is not valid in PUBACK [MQTT-3.4.2-1]",
  },
  {
    name: "PUBREL 0x10",
    bytes: "62 03 00 01 10",
    error: "PUBREL reason code 0x10 No matching subscribers is not valid",
  },
  {
    name: "CONNACK reason code 0x04",
    bytes: "20 03 00 04 00",
    error: "CONNACK reason code 0x04 Disconnect with Will Message is not valid in CONNACK [MQTT-3.2.2-8]",
  },
  {
    name: "SUBACK reason code 3",
    bytes: "90 04 00 01 00 03",
    error: "SUBACK reason code 0x03 (unknown reason code) is not valid in SUBACK [MQTT-3.9.3-2]",
  },
  {
    name: "UNSUBACK reason code 1",
    bytes: "b0 04 00 01 00 01",
    error: "UNSUBACK reason code 0x01 Granted QoS 1 is not valid in UNSUBACK [MQTT-3.11.3-2]",
  },
  {
    name: "DISCONNECT reason code 0x18",
    bytes: "e0 01 18",
    error: "DISCONNECT reason code 0x18 Continue authentication is not valid in DISCONNECT [MQTT-3.14.2-1]",
  },
  {
    name: "AUTH reason code 0x87",
    bytes: "f0 01 87",
    error: "AUTH reason code 0x87 Not authorized is not valid in AUTH [MQTT-3.15.2-1]",
  },
  // Packets
  { name: "AUTH reserved flags", bytes: "f1 00", error: "AUTH reserved flags must be 0, got 1 [MQTT-3.15.1-1]" },
  {
    name: "CONNACK session present with a refusal",
    bytes: "20 03 01 80 00",
    error: "CONNACK with a non-zero reason code must have session present 0 [MQTT-3.2.2-6]",
  },
  {
    name: "CONNACK reserved flag bits",
    bytes: "20 03 02 00 00",
    error: "CONNACK acknowledge flags bits 7-1 are reserved and must be 0, got 0x02 [MQTT-3.2.2-1]",
  },
  {
    name: "CONNACK without properties",
    bytes: "20 02 00 00",
    error: "CONNACK remaining length must be at least 3, got 2",
  },
  { name: "PUBACK of one byte", bytes: "40 01 00", error: "PUBACK remaining length must be at least 2, got 1" },
  { name: "PUBACK trailing byte", bytes: "40 05 00 01 00 00 ff", error: "PUBACK has 1 unexpected trailing bytes" },
  {
    name: "SUBACK without reason codes",
    bytes: "90 03 00 01 00",
    error: "SUBACK must carry a reason code for each topic filter [MQTT-3.8.4-6]",
  },
  {
    name: "SUBSCRIBE reserved option bits",
    bytes: "82 07 00 01 00 00 01 61 c1",
    error: "SUBSCRIBE subscription options reserved bits 7-6 must be 0, got 0xc1 [MQTT-3.8.3-5]",
  },
  {
    name: "SUBSCRIBE retain handling 3",
    bytes: "82 07 00 01 00 00 01 61 30",
    error: "SUBSCRIBE retain handling must be 0, 1 or 2, got 3",
  },
  {
    name: "SUBSCRIBE QoS 3",
    bytes: "82 07 00 01 00 00 01 61 03",
    error: "SUBSCRIBE maximum QoS must be 0, 1 or 2, got 3",
  },
  {
    name: "SUBSCRIBE No Local on a shared subscription",
    bytes: "82 10 00 01 00 00 0a 24 73 68 61 72 65 2f 67 2f 61 04",
    error: 'SUBSCRIBE must not set No Local on the shared subscription "$share/g/a" [MQTT-3.8.3-4]',
  },
  {
    name: "SUBSCRIBE without filters",
    bytes: "82 03 00 01 00",
    error: "SUBSCRIBE must carry at least one topic filter [MQTT-3.8.3-2]",
  },
  {
    name: "UNSUBSCRIBE without filters",
    bytes: "a2 03 00 01 00",
    error: "UNSUBSCRIBE must carry at least one topic filter [MQTT-3.10.3-2]",
  },
  {
    name: "PUBLISH empty topic without a Topic Alias",
    bytes: "30 03 00 00 00",
    error: "PUBLISH topic must not be empty without a Topic Alias (MQTT 5.0 §3.3.2.3.4)",
  },
  {
    name: "CONNECT protocol version 4",
    bytes: "10 0c 00 04 4d 51 54 54 04 02 00 00 00 00",
    error: "CONNECT protocol version must be 5, got 4 [MQTT-3.1.2-2]",
  },
  {
    name: "CONNECT will QoS 3",
    bytes: `10 13 ${CH} 1e 00 00 00 00 00 00 00 01 77 00 00`,
    error: "CONNECT will QoS must not be 3 [MQTT-3.1.2-12]",
  },
  {
    name: "CONNECT will retain without a will",
    bytes: `10 0d ${CH} 22 00 00 00 00 00`,
    error: "CONNECT will retain must be 0 without a will [MQTT-3.1.2-13]",
  },
  {
    name: "CONNECT trailing bytes",
    bytes: `10 0f ${CH} 02 00 00 00 00 00 ab cd`,
    error: "CONNECT has 2 unexpected trailing bytes",
  },
  { name: "PINGRESP with a body", bytes: "d0 01 00", error: "PINGRESP remaining length must be 0, got 1" },
];
