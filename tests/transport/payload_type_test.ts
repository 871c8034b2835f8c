/**
 * Received bytes are plain `Uint8Array`s on every runtime: Bun's and
 * Node's sockets hand out `Buffer`s, which print and compare differently
 * (`<Buffer 68 69>`, `buf.equals`), so a program would behave differently
 * across runtimes.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import { MQTTClient as UmqttClient } from "../../src/umqtt.ts";
import { runtime, startBroker } from "./_helpers.ts";

test(`received payloads and topics are plain Uint8Arrays on ${runtime} (MQTTClient and /umqtt)`, async () => {
  const broker = await startBroker({ captureLog: false });
  const c = new MQTTClient(`plain-${runtime}`, "127.0.0.1", { port: broker.port });
  const u = new UmqttClient(`plain-u-${runtime}`, "127.0.0.1", broker.port);
  try {
    await c.connect();
    await c.subscribe("plain/#", 1);
    let got: [Uint8Array, Uint8Array] | null = null;
    u.set_callback((topic, msg) => (got = [topic, msg]));
    await u.connect();
    await u.subscribe("plain/#", 1);
    await c.publish("plain/x", "hi", { qos: 1 });
    for await (const m of c.messages()) {
      assert.equal(Object.getPrototypeOf(m.payload), Uint8Array.prototype);
      assert.equal(Object.getPrototypeOf(m.topicBytes), Uint8Array.prototype);
      break;
    }
    while (got === null) await u.wait_msg();
    const [topic, msg] = got as [Uint8Array, Uint8Array];
    assert.equal(Object.getPrototypeOf(topic), Uint8Array.prototype);
    assert.equal(Object.getPrototypeOf(msg), Uint8Array.prototype);
    assert.deepEqual([...msg], [0x68, 0x69]);
  } finally {
    await c.disconnect().catch(() => {});
    await u.disconnect().catch(() => {});
    await broker.stop();
  }
});
