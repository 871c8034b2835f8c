import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketDecoderV5 } from "../../src/codec/decode_v5.ts";
import { encodePacketV5 } from "../../src/codec/encode_v5.ts";
import { MalformedPacketError } from "../../src/codec/errors.ts";
import type { PacketV5 } from "../../src/codec/packets_v5.ts";
import { hex } from "../_fake.ts";
import { MALFORMED_V5 } from "./v5_fixtures.ts";

function isMalformed(fragment: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof MalformedPacketError, `expected MalformedPacketError, got ${String(e)}`);
    assert.ok(e.message.includes(fragment), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
    return true;
  };
}

test("PacketDecoderV5.next() throws MalformedPacketError naming the rule for each malformed packet", () => {
  for (const bad of MALFORMED_V5) {
    const d = new PacketDecoderV5();
    d.feed(hex(bad.bytes));
    assert.throws(() => d.next(), isMalformed(bad.error), bad.name);
  }
});

test("PacketDecoderV5.next() throws the same error for each malformed packet fed one byte at a time", () => {
  for (const bad of MALFORMED_V5) {
    const d = new PacketDecoderV5();
    assert.throws(
      () => {
        for (const x of hex(bad.bytes)) {
          d.feed(new Uint8Array([x]));
          while (d.next());
        }
      },
      isMalformed(bad.error),
      bad.name,
    );
  }
});

test("each malformed packet is whole: its remaining length matches its bytes", () => {
  for (const bad of MALFORMED_V5) {
    const bytes = hex(bad.bytes);
    if (bytes.length < 2) continue;
    let rl = 0, mult = 1, i = 1;
    for (; i < 5; i++) {
      rl += (bytes[i]! & 0x7f) * mult;
      mult *= 128;
      if ((bytes[i]! & 0x80) === 0) break;
    }
    assert.equal(bytes.length, i + 1 + rl, bad.name);
  }
});

test("the MQTT 3.1.1 PacketDecoder still refuses AUTH and MQTT 5.0 CONNECT", async () => {
  const { PacketDecoder } = await import("../../src/codec/decode.ts");
  for (
    const [bytes, fragment] of [
      ["f0 00", "Unknown packet type 15"],
      ["10 0d 00 04 4d 51 54 54 05 02 00 00 00 00 00", "CONNECT protocol level must be 4, got 5"],
    ] as const
  ) {
    const d = new PacketDecoder();
    d.feed(hex(bytes));
    assert.throws(() => d.next(), isMalformed(fragment), bytes);
  }
});

test("encodePacketV5() refuses invalid fields with RangeError or TypeError naming the field", () => {
  const pub = { type: "publish", topic: "a", payload: new Uint8Array(0), qos: 0, retain: false, dup: false } as const;
  const cases: [string, unknown, new (...a: never[]) => Error, string][] = [
    [
      "Topic Alias 0",
      { ...pub, properties: { topicAlias: 0 } },
      RangeError,
      '"topicAlias": expected an integer in 1..65535, got 0',
    ],
    ["Topic Alias too large", { ...pub, properties: { topicAlias: 65536 } }, RangeError, "got 65536"],
    [
      "unknown property",
      { ...pub, properties: { color: "red" } },
      TypeError,
      'property "color": no such MQTT 5.0 property',
    ],
    [
      "property not allowed",
      { ...pub, properties: { sessionExpiryInterval: 1 } },
      RangeError,
      "Session Expiry Interval is not allowed there",
    ],
    [
      "two subscription identifiers in SUBSCRIBE",
      {
        type: "subscribe",
        packetId: 1,
        subscriptions: [{ topic: "a", qos: 0 }],
        properties: { subscriptionIdentifiers: [1, 2] },
      },
      RangeError,
      "at most one Subscription Identifier is allowed there",
    ],
    [
      "Subscription Identifier 0",
      { ...pub, properties: { subscriptionIdentifiers: [0] } },
      RangeError,
      "expected an integer in 1..268435455, got 0",
    ],
    ["Payload Format Indicator 2", { ...pub, properties: { payloadFormatIndicator: 2 } }, RangeError, "in 0..1, got 2"],
    [
      "a flag given as a number",
      { type: "connack", sessionPresent: false, reasonCode: 0, properties: { retainAvailable: 1 } },
      TypeError,
      "expected a boolean, got 1",
    ],
    [
      "user properties not pairs",
      { ...pub, properties: { userProperties: [["a"]] } },
      TypeError,
      "expected [name, value] pairs",
    ],
    [
      "Authentication Data without a method",
      { type: "auth", reasonCode: 0x18, properties: { authenticationData: new Uint8Array(1) } },
      RangeError,
      "needs an Authentication Method",
    ],
    ["empty topic without alias", { ...pub, topic: "" }, RangeError, "Cannot publish to an empty topic"],
    [
      "PUBACK 0x92",
      { type: "puback", packetId: 1, reasonCode: 0x92 },
      RangeError,
      "Cannot encode PUBACK: reason code 0x92 Packet Identifier not found is not valid there [MQTT-3.4.2-1]",
    ],
    ["reason code 256", { type: "disconnect", reasonCode: 256 }, RangeError, "reason code 0x100"],
    [
      "CONNACK session present with a refusal",
      { type: "connack", sessionPresent: true, reasonCode: 0x80 },
      RangeError,
      "[MQTT-3.2.2-6]",
    ],
    [
      "retain handling 3",
      { type: "subscribe", packetId: 1, subscriptions: [{ topic: "a", qos: 0, retainHandling: 3 }] },
      RangeError,
      "retainHandling must be 0, 1 or 2, got 3",
    ],
    ["SUBACK without codes", { type: "suback", packetId: 1, reasonCodes: [] }, RangeError, "at least one reason code"],
  ];
  for (const [name, packet, E, fragment] of cases) {
    assert.throws(
      () => encodePacketV5(packet as PacketV5),
      (e: unknown) => {
        assert.ok(e instanceof E, `${name}: expected ${E.name}, got ${String(e)}`);
        assert.ok((e as Error).message.includes(fragment), `${name}: ${JSON.stringify((e as Error).message)}`);
        return true;
      },
      name,
    );
  }
});
