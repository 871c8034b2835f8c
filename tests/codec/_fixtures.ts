/**
 * Byte-exact fixtures for every MQTT 3.1.1 packet type, in both directions,
 * written by hand from the spec (not produced by our encoder). Shared by
 * the codec tests and the fuzzer (as seeds for mutation).
 *
 * @module
 */
import type { Packet } from "../../src/codec/packets.ts";
import { hex } from "../_fake.ts";
import { concat } from "../../src/_bytes.ts";

/** One fixture: a packet and its exact bytes on the wire. */
export interface Fixture {
  name: string;
  packet: Packet;
  bytes: Uint8Array;
}

const te = new TextEncoder();
const b = (s: string): Uint8Array => te.encode(s);
const CONNECT_HEAD = "00 04 4d 51 54 54 04"; // "MQTT", level 4

function repeat(byte: number, n: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return concat(parts);
}

/** The table: every packet type, each flag combination that changes the bytes. */
export const FIXTURES: Fixture[] = [
  // --- CONNECT (client to broker) ---
  {
    name: "CONNECT minimal, clean session, keepalive 60",
    packet: { type: "connect", clientId: "c1", cleanSession: true, keepalive: 60 },
    bytes: hex(`10 0e ${CONNECT_HEAD} 02 00 3c 00 02 63 31`),
  },
  {
    name: "CONNECT empty client id, keepalive 0",
    packet: { type: "connect", clientId: "", cleanSession: true, keepalive: 0 },
    bytes: hex(`10 0c ${CONNECT_HEAD} 02 00 00 00 00`),
  },
  {
    name: "CONNECT persistent session (clean 0)",
    packet: { type: "connect", clientId: "c", cleanSession: false, keepalive: 10 },
    bytes: hex(`10 0d ${CONNECT_HEAD} 00 00 0a 00 01 63`),
  },
  {
    name: "CONNECT non-ASCII client id",
    packet: { type: "connect", clientId: "é", cleanSession: true, keepalive: 60 },
    bytes: hex(`10 0e ${CONNECT_HEAD} 02 00 3c 00 02 c3 a9`),
  },
  {
    name: "CONNECT will QoS 0, no retain",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 60,
      will: { topic: "w", payload: b("x"), qos: 0, retain: false },
    },
    bytes: hex(`10 13 ${CONNECT_HEAD} 06 00 3c 00 01 63 00 01 77 00 01 78`),
  },
  {
    name: "CONNECT will QoS 0, retain",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 60,
      will: { topic: "w", payload: b("x"), qos: 0, retain: true },
    },
    bytes: hex(`10 13 ${CONNECT_HEAD} 26 00 3c 00 01 63 00 01 77 00 01 78`),
  },
  {
    name: "CONNECT will QoS 1, retain",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 60,
      will: { topic: "w", payload: b("x"), qos: 1, retain: true },
    },
    bytes: hex(`10 13 ${CONNECT_HEAD} 2e 00 3c 00 01 63 00 01 77 00 01 78`),
  },
  {
    name: "CONNECT will QoS 2, no retain, empty will payload",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 60,
      will: { topic: "w", payload: new Uint8Array(0), qos: 2, retain: false },
    },
    bytes: hex(`10 12 ${CONNECT_HEAD} 16 00 3c 00 01 63 00 01 77 00 00`),
  },
  {
    name: "CONNECT user name only",
    packet: { type: "connect", clientId: "c", cleanSession: true, keepalive: 60, username: "u" },
    bytes: hex(`10 10 ${CONNECT_HEAD} 82 00 3c 00 01 63 00 01 75`),
  },
  {
    name: "CONNECT user name and binary password",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 60,
      username: "u",
      password: hex("70 00 ff"),
    },
    bytes: hex(`10 15 ${CONNECT_HEAD} c2 00 3c 00 01 63 00 01 75 00 03 70 00 ff`),
  },
  {
    name: "CONNECT will QoS 1 retain, user, password, keepalive 65535",
    packet: {
      type: "connect",
      clientId: "c",
      cleanSession: true,
      keepalive: 65535,
      will: { topic: "w", payload: b("x"), qos: 1, retain: true },
      username: "u",
      password: hex("70 00 ff"),
    },
    bytes: hex(`10 1b ${CONNECT_HEAD} ee ff ff 00 01 63 00 01 77 00 01 78 00 01 75 00 03 70 00 ff`),
  },
  // --- CONNACK (broker to client) ---
  ...[0, 1, 2, 3, 4, 5].map((code): Fixture => ({
    name: `CONNACK return code ${code}`,
    packet: { type: "connack", sessionPresent: false, returnCode: code },
    bytes: hex(`20 02 00 0${code}`),
  })),
  {
    name: "CONNACK accepted, session present",
    packet: { type: "connack", sessionPresent: true, returnCode: 0 },
    bytes: hex("20 02 01 00"),
  },
  // --- PUBLISH (both directions) ---
  {
    name: "PUBLISH QoS 0",
    packet: { type: "publish", topic: "a/b", payload: b("hi"), qos: 0, retain: false, dup: false },
    bytes: hex("30 07 00 03 61 2f 62 68 69"),
  },
  {
    name: "PUBLISH QoS 0 retain, empty payload",
    packet: { type: "publish", topic: "a/b", payload: new Uint8Array(0), qos: 0, retain: true, dup: false },
    bytes: hex("31 05 00 03 61 2f 62"),
  },
  {
    name: "PUBLISH QoS 1, packet id 1",
    packet: { type: "publish", topic: "a/b", payload: b("hi"), qos: 1, retain: false, dup: false, packetId: 1 },
    bytes: hex("32 09 00 03 61 2f 62 00 01 68 69"),
  },
  {
    name: "PUBLISH QoS 1 dup, packet id 65535",
    packet: { type: "publish", topic: "a/b", payload: b("hi"), qos: 1, retain: false, dup: true, packetId: 65535 },
    bytes: hex("3a 09 00 03 61 2f 62 ff ff 68 69"),
  },
  {
    name: "PUBLISH QoS 2 retain dup, packet id 0x1234",
    packet: { type: "publish", topic: "a/b", payload: b("hi"), qos: 2, retain: true, dup: true, packetId: 0x1234 },
    bytes: hex("3d 09 00 03 61 2f 62 12 34 68 69"),
  },
  {
    name: "PUBLISH QoS 2, empty payload",
    packet: { type: "publish", topic: "t", payload: new Uint8Array(0), qos: 2, retain: false, dup: false, packetId: 7 },
    bytes: hex("34 05 00 01 74 00 07"),
  },
  {
    name: "PUBLISH non-ASCII topic (2-byte UTF-8)",
    packet: { type: "publish", topic: "t/é°", payload: new Uint8Array(0), qos: 0, retain: false, dup: false },
    bytes: hex("30 08 00 06 74 2f c3 a9 c2 b0"),
  },
  {
    name: "PUBLISH astral-plane topic (surrogate pair, 4-byte UTF-8)",
    packet: { type: "publish", topic: "😀", payload: b("x"), qos: 0, retain: false, dup: false },
    bytes: hex("30 07 00 04 f0 9f 98 80 78"),
  },
  {
    name: "PUBLISH binary payload with zero bytes",
    packet: { type: "publish", topic: "a", payload: hex("00 ff 00"), qos: 0, retain: false, dup: false },
    bytes: hex("30 06 00 01 61 00 ff 00"),
  },
  {
    name: "PUBLISH 200-byte payload (two-byte remaining length)",
    packet: { type: "publish", topic: "a", payload: repeat(0xab, 200), qos: 0, retain: false, dup: false },
    bytes: cat(hex("30 cb 01 00 01 61"), repeat(0xab, 200)),
  },
  // --- acknowledgements ---
  { name: "PUBACK", packet: { type: "puback", packetId: 1 }, bytes: hex("40 02 00 01") },
  { name: "PUBREC", packet: { type: "pubrec", packetId: 2 }, bytes: hex("50 02 00 02") },
  { name: "PUBREL (flags 0x2)", packet: { type: "pubrel", packetId: 0x0102 }, bytes: hex("62 02 01 02") },
  { name: "PUBCOMP", packet: { type: "pubcomp", packetId: 65535 }, bytes: hex("70 02 ff ff") },
  // --- SUBSCRIBE / SUBACK ---
  {
    name: "SUBSCRIBE three filters, QoS 0/1/2",
    packet: {
      type: "subscribe",
      packetId: 10,
      subscriptions: [{ topic: "a/+", qos: 0 }, { topic: "#", qos: 1 }, { topic: "$SYS/#", qos: 2 }],
    },
    bytes: hex("82 15 00 0a 00 03 61 2f 2b 00 00 01 23 01 00 06 24 53 59 53 2f 23 02"),
  },
  {
    name: "SUBSCRIBE one filter",
    packet: { type: "subscribe", packetId: 1, subscriptions: [{ topic: "a", qos: 1 }] },
    bytes: hex("82 06 00 01 00 01 61 01"),
  },
  {
    name: "SUBACK granted 0, 1 and refused 0x80",
    packet: { type: "suback", packetId: 10, returnCodes: [0, 1, 0x80] },
    bytes: hex("90 05 00 0a 00 01 80"),
  },
  {
    name: "SUBACK granted 2",
    packet: { type: "suback", packetId: 1, returnCodes: [2] },
    bytes: hex("90 03 00 01 02"),
  },
  // --- UNSUBSCRIBE / UNSUBACK ---
  {
    name: "UNSUBSCRIBE two filters",
    packet: { type: "unsubscribe", packetId: 11, topics: ["a/+", "#"] },
    bytes: hex("a2 0a 00 0b 00 03 61 2f 2b 00 01 23"),
  },
  { name: "UNSUBACK", packet: { type: "unsuback", packetId: 11 }, bytes: hex("b0 02 00 0b") },
  // --- empty packets ---
  { name: "PINGREQ", packet: { type: "pingreq" }, bytes: hex("c0 00") },
  { name: "PINGRESP", packet: { type: "pingresp" }, bytes: hex("d0 00") },
  { name: "DISCONNECT", packet: { type: "disconnect" }, bytes: hex("e0 00") },
];

export { cat, repeat };
