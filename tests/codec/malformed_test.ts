import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketDecoder } from "../../src/codec/decode.ts";
import { MalformedPacketError } from "../../src/codec/errors.ts";
import { hex } from "../_fake.ts";

interface Bad {
  name: string;
  bytes: string;
  /** A fragment the error message must contain. */
  error: string;
  maxPacketSize?: number;
}

const CH = "00 04 4d 51 54 54"; // CONNECT protocol name "MQTT"

/** Malformed input, one whole packet each, with the error it must raise. */
const MALFORMED: Bad[] = [
  // Remaining length
  {
    name: "remaining length of 5 bytes",
    bytes: "30 ff ff ff ff 01",
    error: "Malformed Remaining Length: more than 4 bytes",
  },
  { name: "remaining length with 4 continuation bytes", bytes: "d0 80 80 80 80", error: "more than 4 bytes" },
  // Unknown types
  { name: "unknown packet type 0", bytes: "00 00", error: "Unknown packet type 0 (first byte 0x00) [MQTT-2.2.1]" },
  { name: "unknown packet type 15", bytes: "f0 00", error: "Unknown packet type 15 (first byte 0xf0)" },
  {
    name: "unknown packet type 15 with flags",
    bytes: "ff 02 00 00",
    error: "Unknown packet type 15 (first byte 0xff)",
  },
  // Reserved flags, every type with fixed flags [MQTT-2.2.2-1]
  ...([
    ["CONNECT", "11", "0c " + CH + " 04 02 00 00 00 00", 0, 1],
    ["CONNACK", "28", "02 00 00", 0, 8],
    ["PUBACK", "41", "02 00 01", 0, 1],
    ["PUBREC", "52", "02 00 01", 0, 2],
    ["PUBREL", "60", "02 00 01", 2, 0],
    ["PUBREL", "63", "02 00 01", 2, 3],
    ["PUBCOMP", "74", "02 00 01", 0, 4],
    ["SUBSCRIBE", "80", "06 00 01 00 01 61 00", 2, 0],
    ["SUBACK", "92", "03 00 01 00", 0, 2],
    ["UNSUBSCRIBE", "a0", "05 00 01 00 01 61", 2, 0],
    ["UNSUBACK", "bf", "02 00 01", 0, 15],
    ["PINGREQ", "c1", "00", 0, 1],
    ["PINGRESP", "d8", "00", 0, 8],
    ["DISCONNECT", "e2", "00", 0, 2],
  ] as const).map(([n, first, rest, want, got]): Bad => ({
    name: `${n} with reserved flags ${got}`,
    bytes: `${first} ${rest}`,
    error: `${n} reserved flags must be ${want}, got ${got} [MQTT-2.2.2-1]`,
  })),
  // PUBLISH
  {
    name: "PUBLISH QoS 3",
    bytes: "36 05 00 01 61 00 01",
    error: "PUBLISH with QoS 3 (both QoS bits set) [MQTT-3.3.1-4]",
  },
  { name: "PUBLISH QoS 3 retain dup", bytes: "3f 05 00 01 61 00 01", error: "QoS 3" },
  {
    name: "PUBLISH QoS 0 with DUP",
    bytes: "38 03 00 01 61",
    error: "PUBLISH with QoS 0 must have DUP 0 [MQTT-3.3.1-2]",
  },
  {
    name: "PUBLISH QoS 1 packet id 0",
    bytes: "32 05 00 01 61 00 00",
    error: "PUBLISH packet identifier must not be 0 [MQTT-2.3.1-1]",
  },
  {
    name: "PUBLISH QoS 2 packet id 0",
    bytes: "34 05 00 01 61 00 00",
    error: "PUBLISH packet identifier must not be 0",
  },
  { name: "PUBLISH empty body", bytes: "30 00", error: "PUBLISH is too short for the length of its topic" },
  { name: "PUBLISH one-byte body", bytes: "30 01 00", error: "PUBLISH is too short for the length of its topic" },
  {
    name: "PUBLISH topic longer than the body",
    bytes: "30 03 00 05 61",
    error: "PUBLISH topic declares 5 bytes but only 1 remain",
  },
  {
    name: "PUBLISH QoS 1 without packet id",
    bytes: "32 03 00 01 61",
    error: "PUBLISH is too short for its packet identifier",
  },
  {
    name: "PUBLISH QoS 1 half a packet id",
    bytes: "32 04 00 01 61 00",
    error: "PUBLISH is too short for its packet identifier",
  },
  { name: "PUBLISH empty topic", bytes: "30 02 00 00", error: "PUBLISH topic must not be empty [MQTT-4.7.3-1]" },
  {
    name: "PUBLISH invalid UTF-8 topic",
    bytes: "30 04 00 02 c3 28",
    error: "PUBLISH topic is not valid UTF-8 [MQTT-1.5.3-1]",
  },
  { name: "PUBLISH overlong UTF-8 topic", bytes: "30 04 00 02 c0 af", error: "PUBLISH topic is not valid UTF-8" },
  {
    name: "PUBLISH UTF-8-encoded surrogate in topic",
    bytes: "30 05 00 03 ed a0 80",
    error: "PUBLISH topic is not valid UTF-8",
  },
  { name: "PUBLISH truncated UTF-8 sequence", bytes: "30 03 00 01 e2", error: "PUBLISH topic is not valid UTF-8" },
  {
    name: "PUBLISH byte 0xff in a long topic",
    bytes: "30 44 00 42 " + "61 ".repeat(65) + "ff",
    error: "not valid UTF-8",
  },
  {
    name: "PUBLISH U+0000 in topic",
    bytes: "30 04 00 02 61 00",
    error: "PUBLISH topic contains U+0000 [MQTT-1.5.3-2]",
  },
  {
    name: "PUBLISH wildcard # in topic",
    bytes: "30 05 00 03 61 2f 23",
    error: 'PUBLISH topic "a/#" contains wildcards [MQTT-3.3.2-2]',
  },
  {
    name: "PUBLISH wildcard + in topic",
    bytes: "30 05 00 03 2b 2f 61",
    error: 'PUBLISH topic "+/a" contains wildcards',
  },
  // CONNACK
  {
    name: "CONNACK reserved acknowledge bits",
    bytes: "20 02 02 00",
    error: "CONNACK acknowledge flags bits 7-1 are reserved and must be 0, got 0x02 [MQTT-3.2.2.1]",
  },
  { name: "CONNACK reserved acknowledge bit 7", bytes: "20 02 81 00", error: "got 0x81" },
  { name: "CONNACK return code 6", bytes: "20 02 00 06", error: "CONNACK return code 6 is reserved [MQTT-3.2.2.3]" },
  { name: "CONNACK return code 255", bytes: "20 02 00 ff", error: "CONNACK return code 255 is reserved" },
  {
    name: "CONNACK refusal with session present",
    bytes: "20 02 01 05",
    error: "CONNACK refusing the connection must have session present 0 [MQTT-3.2.2-4]",
  },
  { name: "CONNACK remaining length 3", bytes: "20 03 00 00 00", error: "CONNACK remaining length must be 2, got 3" },
  { name: "CONNACK remaining length 1", bytes: "20 01 00", error: "CONNACK remaining length must be 2, got 1" },
  { name: "CONNACK remaining length 0", bytes: "20 00", error: "CONNACK remaining length must be 2, got 0" },
  // Acknowledgements: wrong lengths, id 0
  ...(["PUBACK 40", "PUBREC 50", "PUBREL 62", "PUBCOMP 70", "UNSUBACK b0"].flatMap((s): Bad[] => {
    const [n, first] = s.split(" ") as [string, string];
    return [
      {
        name: `${n} remaining length 3`,
        bytes: `${first} 03 00 01 00`,
        error: `${n} remaining length must be 2, got 3`,
      },
      { name: `${n} remaining length 1`, bytes: `${first} 01 00`, error: `${n} remaining length must be 2, got 1` },
      { name: `${n} remaining length 0`, bytes: `${first} 00`, error: `${n} remaining length must be 2, got 0` },
      {
        name: `${n} packet id 0`,
        bytes: `${first} 02 00 00`,
        error: `${n} packet identifier must not be 0 [MQTT-2.3.1-1]`,
      },
    ];
  })),
  { name: "PINGREQ remaining length 1", bytes: "c0 01 00", error: "PINGREQ remaining length must be 0, got 1" },
  { name: "PINGRESP remaining length 2", bytes: "d0 02 00 00", error: "PINGRESP remaining length must be 0, got 2" },
  { name: "DISCONNECT remaining length 1", bytes: "e0 01 00", error: "DISCONNECT remaining length must be 0, got 1" },
  // SUBACK
  {
    name: "SUBACK return code 3",
    bytes: "90 03 00 01 03",
    error: "SUBACK return code 3 is not 0, 1, 2 or 0x80 [MQTT-3.9.3-2]",
  },
  {
    name: "SUBACK return code 0x81",
    bytes: "90 04 00 01 00 81",
    error: "SUBACK return code 129 is not 0, 1, 2 or 0x80",
  },
  {
    name: "SUBACK without return codes",
    bytes: "90 02 00 01",
    error: "SUBACK remaining length must be at least 3, got 2",
  },
  { name: "SUBACK packet id 0", bytes: "90 03 00 00 00", error: "SUBACK packet identifier must not be 0" },
  // SUBSCRIBE / UNSUBSCRIBE
  {
    name: "SUBSCRIBE without filters",
    bytes: "82 02 00 01",
    error: "SUBSCRIBE must carry at least one topic filter [MQTT-3.8.3-3]",
  },
  { name: "SUBSCRIBE without packet id", bytes: "82 01 00", error: "SUBSCRIBE is too short for its packet identifier" },
  {
    name: "SUBSCRIBE packet id 0",
    bytes: "82 06 00 00 00 01 61 00",
    error: "SUBSCRIBE packet identifier must not be 0",
  },
  {
    name: "SUBSCRIBE missing QoS byte",
    bytes: "82 05 00 01 00 01 61",
    error: "SUBSCRIBE is missing the requested QoS byte",
  },
  {
    name: "SUBSCRIBE requested QoS 3",
    bytes: "82 06 00 01 00 01 61 03",
    error: "SUBSCRIBE requested QoS byte must be 0, 1 or 2, got 3 [MQTT-3.8.3-4]",
  },
  {
    name: "SUBSCRIBE truncated filter",
    bytes: "82 05 00 01 00 09 61",
    error: "SUBSCRIBE topic filter declares 9 bytes but only 1 remain",
  },
  {
    name: "SUBSCRIBE invalid UTF-8 filter",
    bytes: "82 06 00 01 00 01 ff 00",
    error: "SUBSCRIBE topic filter is not valid UTF-8",
  },
  {
    name: "UNSUBSCRIBE without filters",
    bytes: "a2 02 00 01",
    error: "UNSUBSCRIBE must carry at least one topic filter [MQTT-3.10.3-2]",
  },
  {
    name: "UNSUBSCRIBE packet id 0",
    bytes: "a2 05 00 00 00 01 61",
    error: "UNSUBSCRIBE packet identifier must not be 0",
  },
  {
    name: "UNSUBSCRIBE filter with U+0000",
    bytes: "a2 05 00 01 00 01 00",
    error: "UNSUBSCRIBE topic filter contains U+0000",
  },
  {
    name: "UNSUBSCRIBE dangling length byte",
    bytes: "a2 06 00 01 00 01 61 00",
    error: "UNSUBSCRIBE is too short for the length of its topic filter",
  },
  // CONNECT
  {
    name: "CONNECT protocol name MQIsdp",
    bytes: "10 0e 00 06 4d 51 49 73 64 70 03 02 00 00 00 00",
    error: 'CONNECT protocol name must be "MQTT", got "MQIsdp" [MQTT-3.1.2-1]',
  },
  {
    name: "CONNECT protocol level 5",
    bytes: `10 0c ${CH} 05 02 00 00 00 00`,
    error: "CONNECT protocol level must be 4, got 5 [MQTT-3.1.2-2]",
  },
  {
    name: "CONNECT reserved flag",
    bytes: `10 0c ${CH} 04 03 00 00 00 00`,
    error: "CONNECT reserved flag must be 0 [MQTT-3.1.2-3]",
  },
  {
    name: "CONNECT will QoS 3",
    bytes: `10 11 ${CH} 04 1e 00 00 00 00 00 01 77 00 00`,
    error: "CONNECT will QoS must not be 3 [MQTT-3.1.2-14]",
  },
  {
    name: "CONNECT will QoS without will flag",
    bytes: `10 0c ${CH} 04 0a 00 00 00 00`,
    error: "CONNECT will QoS and retain must be 0 without a will [MQTT-3.1.2-13]",
  },
  {
    name: "CONNECT will retain without will flag",
    bytes: `10 0c ${CH} 04 22 00 00 00 00`,
    error: "CONNECT will QoS and retain must be 0 without a will",
  },
  {
    name: "CONNECT password without user name",
    bytes: `10 0f ${CH} 04 42 00 00 00 00 00 01 70`,
    error: "CONNECT password flag needs the user name flag [MQTT-3.1.2-22]",
  },
  {
    name: "CONNECT trailing bytes",
    bytes: `10 0e ${CH} 04 02 00 00 00 00 ab cd`,
    error: "CONNECT has 2 unexpected trailing bytes",
  },
  {
    name: "CONNECT truncated variable header",
    bytes: `10 08 ${CH} 04 02`,
    error: "CONNECT is too short for its variable header",
  },
  {
    name: "CONNECT missing client id",
    bytes: `10 0a ${CH} 04 02 00 00`,
    error: "CONNECT is too short for the length of its client id",
  },
  {
    name: "CONNECT user flag without user name",
    bytes: `10 0c ${CH} 04 82 00 00 00 00`,
    error: "CONNECT is too short for the length of its user name",
  },
  {
    name: "CONNECT truncated will message",
    bytes: `10 11 ${CH} 04 06 00 00 00 00 00 01 77 00 05`,
    error: "CONNECT will message declares 5 bytes but only 0 remain",
  },
  {
    name: "CONNECT invalid UTF-8 client id",
    bytes: `10 0d ${CH} 04 02 00 00 00 01 80`,
    error: "CONNECT client id is not valid UTF-8",
  },
  // Size bound
  {
    name: "PUBLISH over maxPacketSize",
    bytes: "30 09 00 01 61 01 02 03 04 05 06",
    maxPacketSize: 10,
    error: "Packet of 11 bytes exceeds maxPacketSize 10 (type 3)",
  },
];

function decodeAll(bytes: Uint8Array, maxPacketSize?: number): void {
  const d = new PacketDecoder(maxPacketSize === undefined ? {} : { maxPacketSize });
  d.feed(bytes);
  while (d.next());
}

function isMalformed(fragment: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof MalformedPacketError, `expected MalformedPacketError, got ${String(e)}`);
    assert.ok(e.message.includes(fragment), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`);
    return true;
  };
}

test("PacketDecoder.next() throws MalformedPacketError with the exact reason for each malformed packet", () => {
  for (const bad of MALFORMED) {
    assert.throws(() => decodeAll(hex(bad.bytes), bad.maxPacketSize), isMalformed(bad.error), bad.name);
  }
});

test("PacketDecoder.next() throws for each malformed packet fed one byte at a time", () => {
  for (const bad of MALFORMED) {
    const bytes = hex(bad.bytes);
    const d = new PacketDecoder(bad.maxPacketSize === undefined ? {} : { maxPacketSize: bad.maxPacketSize });
    assert.throws(
      () => {
        for (const x of bytes) {
          d.feed(new Uint8Array([x]));
          while (d.next());
        }
      },
      isMalformed(bad.error),
      bad.name,
    );
  }
});

test("PacketDecoder.next() throws for a malformed packet that follows a valid one in the same chunk", () => {
  const d = new PacketDecoder();
  d.feed(hex("d0 00 20 02 00 06"));
  assert.deepEqual(d.next(), { type: "pingresp" });
  assert.throws(() => d.next(), isMalformed("CONNACK return code 6 is reserved"));
});

test("PacketDecoder.next() refuses reserved flags, unknown types and QoS 3 from the header alone", () => {
  // Only the fixed header has arrived: the body is still missing.
  for (
    const [bytes, fragment] of [
      ["41 02", "PUBACK reserved flags must be 0, got 1"],
      ["60 02 00", "PUBREL reserved flags must be 2, got 0"],
      ["00 05", "Unknown packet type 0"],
      ["f0 7f", "Unknown packet type 15"],
      ["36 10 00", "QoS 3"],
      ["82 10", "SUBSCRIBE"], // valid flags: no error yet
    ] as const
  ) {
    const d = new PacketDecoder();
    d.feed(hex(bytes));
    if (bytes.startsWith("82")) assert.equal(d.next(), null);
    else assert.throws(() => d.next(), isMalformed(fragment), bytes);
  }
});

test("PacketDecoder refuses a bad first byte before the remaining length arrives", () => {
  for (
    const [first, fragment] of [[0x46, "PUBACK reserved flags must be 0, got 6"], [0x00, "Unknown packet type 0"], [
      0x37,
      "QoS 3",
    ]] as const
  ) {
    const d = new PacketDecoder();
    d.feed(new Uint8Array([first]));
    assert.equal(d.hasPacket(), true, "hasPacket() must let the reader reach the error");
    assert.throws(() => d.next(), isMalformed(fragment));
  }
  const ok = new PacketDecoder();
  ok.feed(new Uint8Array([0x30]));
  assert.equal(ok.hasPacket(), false);
  assert.equal(ok.next(), null);
});

test("PacketDecoder.next() refuses an oversize packet as soon as its header is read", () => {
  const d = new PacketDecoder({ maxPacketSize: 1024 });
  d.feed(hex("30"));
  assert.equal(d.next(), null);
  d.feed(hex("80"));
  assert.equal(d.next(), null, "the remaining length is not complete yet");
  d.feed(hex("08")); // 1024: 1 + 2 + 1024 = 1027 bytes > 1024
  assert.equal(d.hasPacket(), true);
  assert.throws(() => d.next(), isMalformed("Packet of 1027 bytes exceeds maxPacketSize 1024 (type 3)"));
});

test("PacketDecoder accepts a packet of exactly maxPacketSize bytes", () => {
  const d = new PacketDecoder({ maxPacketSize: 11 });
  d.feed(hex("30 09 00 01 61 01 02 03 04 05 06"));
  assert.equal((d.next() as { payload: Uint8Array }).payload.length, 6);
});

test("PacketDecoder refuses maxPacketSize values that are not integers >= 2", () => {
  for (const v of [0, 1, 1.5, -5, Number.NaN]) {
    assert.throws(() => new PacketDecoder({ maxPacketSize: v }), /maxPacketSize must be an integer >= 2/, String(v));
  }
});

test("PacketDecoder with a 256 MB header does not allocate for the declared size", () => {
  const d = new PacketDecoder();
  d.feed(hex("30 ff ff ff 7f"));
  for (let i = 0; i < 1000; i++) d.feed(new Uint8Array([0x00]));
  assert.equal(d.next(), null);
  // buffered counts what arrived, not what was declared.
  assert.equal(d.buffered, 1005);
});
