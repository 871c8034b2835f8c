/**
 * `await disconnect()` then `connect()` with the same client id: the broker
 * must have read everything the old connection sent (its last
 * acknowledgements, the DISCONNECT) before the new connection takes the
 * session over, or acknowledged messages come back as duplicates. A proxy
 * delivers the old connection's bytes 150 ms late, as a busy broker would
 * read them.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import { mosquittoPath, startMosquitto } from "../../scripts/mosquitto.ts";
import { startProxy } from "../_proxy.ts";

const runtime = "Bun" in globalThis ? "bun" : "deno";

test(
  `disconnect() resolves once the broker has read everything (${runtime}): an immediate reconnect gets no duplicates`,
  {
    skip: mosquittoPath() === null ? "mosquitto is not installed" : false,
    timeout: 60_000,
  },
  async () => {
    const broker = await startMosquitto({ captureLog: false });
    const proxy = await startProxy(() => broker.port);
    const id = `takeover-${runtime}`;
    const pub = new MQTTClient(`${id}-pub`, "127.0.0.1", { port: broker.port });
    try {
      await pub.connect();
      const first = new MQTTClient(id, "127.0.0.1", { port: broker.port });
      await first.connect({ cleanSession: false });
      await first.subscribe("takeover/#", 1);
      await first.disconnect();
      for (let i = 0; i < 10; i++) await pub.publish("takeover/x", `m${i}`, { qos: 1 }); // queued for the session

      // The old connection, through the slow proxy: it takes the 10 messages and acknowledges them.
      proxy.delayUp(150);
      const got: string[] = [];
      const old = new MQTTClient(id, "127.0.0.1", { port: proxy.port, callback: (m) => got.push(m.text()) });
      await old.connect({ cleanSession: false });
      const end = Date.now() + 10_000;
      while (got.length < 10 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.equal(got.length, 10);
      await old.disconnect();

      // The new one, straight to the broker, at once.
      const again: string[] = [];
      const next = new MQTTClient(id, "127.0.0.1", { port: broker.port, callback: (m) => again.push(m.text()) });
      await next.connect({ cleanSession: false });
      await new Promise((r) => setTimeout(r, 500));
      await next.disconnect();
      assert.deepEqual(again, []);
    } finally {
      await pub.disconnect().catch(() => {});
      await proxy.close();
      await broker.stop();
    }
  },
);
