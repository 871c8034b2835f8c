/**
 * The seed examples (OpenMV's `mqtt` example and umqtt.simple's README,
 * from the documents the project started from) ported line for line to TypeScript with the `/umqtt` export, run
 * against mosquitto. MicroPython on the left in comments, ours below it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MQTTClient } from "../../src/umqtt.ts";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import { runtime } from "./_brokers.ts";
import { within } from "./_suite.ts";

const dec = new TextDecoder();
const enc = new TextEncoder();

test("deno.json exports ./umqtt as src/umqtt.ts (the module these ports import)", () => {
  const cfg = JSON.parse(readFileSync(new URL("../../deno.json", import.meta.url), "utf8"));
  assert.equal(cfg.exports["./umqtt"], "./src/umqtt.ts");
});

test("the OpenMV seed example (subscribe, publish, check_msg loop) works against mosquitto", async () => {
  const m = await startMosquitto();
  try {
    const received: [string, string][] = [];
    // def callback(topic, msg):
    //     print(topic, msg)
    const callback = (topic: Uint8Array, msg: Uint8Array): void => {
      received.push([dec.decode(topic), dec.decode(msg)]);
    };
    // client = MQTTClient("openmv", "broker.example.com", 1883)
    const client = new MQTTClient(`openmv-${runtime}`, "127.0.0.1", m.port);
    // client.set_callback(callback)
    client.set_callback(callback);
    // client.connect()
    assert.equal(await client.connect(), false);
    // client.subscribe(b"openmv/in")
    await client.subscribe(enc.encode("openmv/in"));
    // client.publish(b"openmv/out", b"hello")
    await client.publish(enc.encode("openmv/out"), enc.encode("hello"));

    // Another device writes to openmv/in; the loop below picks it up.
    const peer = new MQTTClient(`peer-${runtime}`, "127.0.0.1", m.port);
    peer.set_callback(() => {});
    await peer.connect();
    await peer.subscribe("openmv/out");
    await peer.publish("openmv/in", "command-1", false, 1);

    // while True:
    //     client.check_msg()
    const deadline = Date.now() + 5000;
    while (received.length === 0) {
      assert.ok(Date.now() < deadline, "no message within 5 s");
      await client.check_msg();
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(received, [["openmv/in", "command-1"]]);
    await peer.disconnect();
    await client.disconnect();
  } finally {
    await m.stop();
  }
});

test("the umqtt.simple README pattern (last will, retained publish, wait_msg loop, ping) works against mosquitto", async () => {
  const m = await startMosquitto();
  try {
    // c = MQTTClient("umqtt_client", server)
    const c = new MQTTClient(`umqtt_client-${runtime}`, "127.0.0.1", m.port, null, null, 30);
    const seen: string[] = [];
    // c.set_callback(sub_cb)
    c.set_callback((topic, msg) => seen.push(`${dec.decode(topic)}=${dec.decode(msg)}`));
    // c.set_last_will(b"status", b"offline", retain=True)
    c.set_last_will("seed/status", "offline", true);
    // c.connect()
    await c.connect();
    // c.publish(b"status", b"online", retain=True, qos=1)
    await c.publish("seed/status", "online", true, 1);
    // c.subscribe(b"foo_topic")
    await c.subscribe("seed/foo_topic");
    await c.publish("seed/foo_topic", "hello");
    // while True: c.wait_msg()
    while (seen.length === 0) await within(c.wait_msg(), 5000, "foo_topic message");
    assert.deepEqual(seen, ["seed/foo_topic=hello"]);
    // c.ping(); c.wait_msg() → None
    await c.ping();
    assert.equal(await within(c.wait_msg(), 5000, "PINGRESP"), null);
    await c.disconnect();

    // A later subscriber sees the retained status.
    const checker = new MQTTClient(`checker-${runtime}`, "127.0.0.1", m.port);
    const status: string[] = [];
    checker.set_callback((_t, msg) => status.push(dec.decode(msg)));
    await checker.connect();
    await checker.subscribe("seed/status");
    while (status.length === 0) await within(checker.wait_msg(), 5000, "retained status");
    assert.deepEqual(status, ["online"]);
    await checker.publish("seed/status", "", true);
    await checker.disconnect();
  } finally {
    await m.stop();
  }
});
