/**
 * `disconnect()` closes gracefully on every runtime: a client that has not
 * read everything the broker sent (a `messages()` loop that fell behind, so
 * the socket is paused) must not close with a reset, or the broker may read
 * the reset before our DISCONNECT and publish the will as for a lost client.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import { mosquittoPath, startMosquitto } from "../../scripts/mosquitto.ts";

const runtime = "Bun" in globalThis ? "bun" : "deno";

test(`disconnect() with unread bytes from the broker (${runtime}): no will is published (no reset)`, {
  skip: mosquittoPath() === null ? "mosquitto is not installed" : false,
  timeout: 60_000,
}, async () => {
  const broker = await startMosquitto({ captureLog: false });
  const wills: string[] = [];
  const watcher = new MQTTClient(`watcher-${runtime}`, "127.0.0.1", { port: broker.port });
  const flood = new MQTTClient(`flood-${runtime}`, "127.0.0.1", { port: broker.port });
  let flooding = true;
  try {
    await watcher.connect();
    await watcher.subscribe("will/#", 0, (m) => wills.push(m.topic));
    await flood.connect();
    const payload = new Uint8Array(1024);
    const pump = (async () => {
      while (flooding) await flood.publish("flood/x", payload);
    })();
    for (let i = 0; i < 30; i++) {
      const c = new MQTTClient(`victim-${runtime}-${i}`, "127.0.0.1", { port: broker.port });
      c.setLastWill(`will/${i}`, "lost");
      await c.connect();
      // Nobody iterates: the buffer fills, the socket is paused, unread bytes pile up in the kernel.
      c.messages({ bufferSize: 1 });
      await c.subscribe("flood/#");
      await new Promise((r) => setTimeout(r, 30));
      await c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 500));
    flooding = false;
    await pump;
    assert.deepEqual(wills, []);
  } finally {
    flooding = false;
    await flood.disconnect().catch(() => {});
    await watcher.disconnect().catch(() => {});
    await broker.stop();
  }
});
