import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex } from "./hex.ts";
import { decodePacket } from "./mqtt_decode.ts";
import { loadTraces } from "./_test_util.ts";

test("decodePacket() agrees with the recorder's decoding of every packet in every trace", () => {
  let n = 0;
  for (const t of loadTraces()) {
    for (const p of t.packets) {
      if (p.hex === null) continue;
      const d = decodePacket(fromHex(p.hex));
      const ref = (p as { decoded?: Record<string, unknown> }).decoded ?? {};
      assert.equal(d.type, p.type, `${t.scenario}: ${p.hex}`);
      assert.equal(d.remainingLength, ref.remaining_length, `${t.scenario} RL of ${p.hex}`);
      if (ref.packet_id !== undefined) assert.equal(d.fields.packetId, ref.packet_id, `${t.scenario} id of ${p.hex}`);
      n++;
    }
  }
  assert.ok(n > 150, `only ${n} packets checked`);
});

test("decodePacket() decodes CONNECT fields including will and credentials", () => {
  const d = decodePacket(
    fromHex("102e00044d515454042e001e0008756d7174742d6431000f756d7174742f64312f7374617475730007" + "6f66666c696e65"),
  );
  assert.equal(d.type, "CONNECT");
  assert.equal(d.fields.keepAlive, 30);
  assert.equal(d.fields.clientId, "umqtt-d1");
  assert.equal(d.fields.willQos, 1);
  assert.equal(d.fields.willRetain, true);
  assert.equal(d.fields.willTopic, "umqtt/d1/status");
  const auth = decodePacket(fromHex("101a00044d51545404c2003c0008756d7174742d6231000175000170"));
  assert.equal(auth.fields.username, "u");
  assert.match(auth.summary, /password=\*\*\*/);
  assert.equal(auth.error, undefined);
});

test("decodePacket() names what is wrong with malformed packets", () => {
  assert.match(decodePacket(fromHex("3212000a756d7174742f6e392f23000177696c64")).error!, /wildcard \[MQTT-3\.3\.2-2\]/);
  assert.match(
    decodePacket(fromHex("3217000a756d7174742f66322f7400007069642d3635353336")).error!,
    /packet identifier 0/,
  );
  assert.match(decodePacket(fromHex("30ffffffff7f")).error!, /longer than 4 bytes/);
  assert.match(decodePacket(fromHex("3005000a75")).error!, /Remaining Length 5 but 3 bytes/);
  assert.match(decodePacket(fromHex("8003000100")).error!, /flags must be 0010/);
  assert.match(decodePacket(fromHex("820200010000")).error!, /Remaining Length 2 but 4 bytes/);
  assert.match(decodePacket(fromHex("8202")).error!, /packet ends/);
});

test("decodePacket() reports packet id offsets used for normalisation", () => {
  const pub = decodePacket(fromHex("3212000a756d7174742f66312f74000171312d61"));
  assert.equal(pub.packetIdOffset, 14);
  assert.equal(decodePacket(fromHex("40020007")).packetIdOffset, 2);
  assert.equal(decodePacket(fromHex("3011000a756d7174742f65312f7468656c6c6f")).packetIdOffset, undefined);
});
