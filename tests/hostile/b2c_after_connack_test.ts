/**
 * mosquitto's client tests 03-publish-b2c-qos1/qos2 over real TCP: a
 * scripted broker sends a PUBLISH right behind the CONNACK (in one chunk,
 * or in two) and expects it acknowledged, with the client taking messages
 * through a `messages()` loop started after `connect()`.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import { hex } from "../_fake.ts";
import { CONNACK_OK, startHostile, within } from "./_server.ts";

const GUARD = 5000;

for (const split of [false, true]) {
  for (const qos of [0, 1, 2] as const) {
    test(`a QoS ${qos} PUBLISH behind the CONNACK (${split ? "two writes" : "one write"}) reaches messages() and is acknowledged`, async () => {
      const h = await startHostile();
      const publish = qos === 0
        ? "30 0d 00 07 70 75 62 2f 71 6f 73 6d 65 73 73"
        : `3${qos * 2} 0f 00 07 70 75 62 2f 71 6f 73 00 0d 6d 65 73 73`;
      try {
        const c = new MQTTClient("b2c", "127.0.0.1", { port: h.port, keepalive: 0 });
        const connecting = c.connect({ timeout: GUARD });
        const s = await within(h.next(), GUARD, "connection");
        const connect = await s.connect();
        if (split) {
          await s.send(CONNACK_OK);
          await new Promise((r) => setTimeout(r, 20));
          await s.send(publish);
        } else await s.send(new Uint8Array([...hex(CONNACK_OK), ...hex(publish)]));
        await within(connecting, GUARD, "connect");
        const got = await within(
          (async () => {
            for await (const m of c.messages()) return m;
          })(),
          GUARD,
          "the message",
        );
        assert.equal(got?.topic, "pub/qos");
        assert.equal(got?.text(), "mess");
        const after = connect.length;
        if (qos === 1) {
          await within(s.bytes(after + 4), GUARD, "PUBACK");
          assert.deepEqual(s.received.slice(after, after + 4), [0x40, 0x02, 0x00, 0x0d]);
        } else if (qos === 2) {
          await within(s.bytes(after + 4), GUARD, "PUBREC");
          assert.deepEqual(s.received.slice(after, after + 4), [0x50, 0x02, 0x00, 0x0d]);
          await s.send("62 02 00 0d");
          await within(s.bytes(after + 8), GUARD, "PUBCOMP");
          assert.deepEqual(s.received.slice(after + 4, after + 8), [0x70, 0x02, 0x00, 0x0d]);
        }
        await within(c.disconnect(), GUARD, "disconnect");
        await within(s.closed, GUARD, "close");
        assert.deepEqual(s.received.slice(-2), [0xe0, 0x00], "ends with DISCONNECT");
      } finally {
        await h.close();
      }
    });
  }
}
