import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import type { Mosquitto } from "../../scripts/mosquitto.ts";
import { startProxy } from "../_proxy.ts";

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("cleanSession false + reconnect: link drops and a broker restart lose no QoS 1 message and duplicate no QoS 2 message", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "umqtt-soak-"));
  const brokerOpts = {
    dir,
    global: [`persistence true`, `persistence_location ${dir}/`, "autosave_interval 1", "max_queued_messages 100000"],
  };
  let broker: Mosquitto = await startMosquitto(brokerOpts);
  const port = broker.port;
  const proxy = await startProxy(() => port);
  const N = 300;
  const q1 = new Map<number, number>();
  const q2 = new Map<number, number>();
  const policy = { minDelay: 50, maxDelay: 300 };
  const sub = new MQTTClient("soak-sub", "127.0.0.1", {
    port,
    keepalive: 5,
    reconnect: policy,
    callback: (m) => {
      const n = Number(m.text());
      const map = m.topic === "soak/q1" ? q1 : q2;
      map.set(n, (map.get(n) ?? 0) + 1);
    },
  });
  const pub = new MQTTClient("soak-pub", "127.0.0.1", { port: proxy.port, keepalive: 5, reconnect: policy });
  try {
    await sub.connect({ cleanSession: false });
    await sub.subscribe("soak/#", 2);
    sub.startLoop();
    await pub.connect({ cleanSession: false });
    const sends: Promise<void>[] = [];
    for (let i = 0; i < N; i++) {
      sends.push(pub.publish("soak/q1", String(i), { qos: 1 }));
      sends.push(pub.publish("soak/q2", String(i), { qos: 2 }));
      if (i === Math.floor(N / 3)) proxy.drop();
      if (i === Math.floor((2 * N) / 3)) {
        await broker.stop("SIGTERM");
        broker = await startMosquitto({ ...brokerOpts, port });
      }
      if (i % 25 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(sends);
    await until(() => q1.size === N && q2.size === N, 30_000, `all messages (q1 ${q1.size}/${N}, q2 ${q2.size}/${N})`);
    await new Promise((r) => setTimeout(r, 300)); // let any duplicate arrive
    const missing1 = [...Array(N).keys()].filter((i) => !q1.has(i));
    const dup2 = [...q2].filter(([, c]) => c !== 1);
    assert.deepEqual(missing1, [], "every QoS 1 message arrived at least once");
    assert.deepEqual(dup2, [], "every QoS 2 message arrived exactly once");
    assert.ok(proxy.connections >= 2, "the publisher reconnected through the proxy");
  } finally {
    await pub.disconnect().catch(() => {});
    await sub.disconnect().catch(() => {});
    await proxy.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a slow messages() consumer under a flood keeps memory bounded", async () => {
  const broker = await startMosquitto({ global: ["max_queued_messages 1000000", "max_queued_bytes 0"] });
  const consumer = new MQTTClient("flood-sub", "127.0.0.1", { port: broker.port, keepalive: 0 });
  const producer = new MQTTClient("flood-pub", "127.0.0.1", { port: broker.port, keepalive: 0 });
  try {
    await consumer.connect();
    await consumer.subscribe("flood", 0);
    const it = consumer.messages({ bufferSize: 10 });
    await producer.connect();
    const payload = new Uint8Array(16 * 1024);
    const total = 2_000; // 32 MiB through the broker
    const g = globalThis as { gc?: () => void };
    g.gc?.();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < total; i++) await producer.publish("flood", payload);
    await new Promise((r) => setTimeout(r, 500)); // the broker pushes what the socket takes
    const during = process.memoryUsage().rss;
    // The consumer has read at most its buffer plus socket buffers, not 32 MiB.
    assert.ok(during - before < 24 * 1024 * 1024, `RSS grew by ${((during - before) / 1048576).toFixed(1)} MiB`);
    let got = 0;
    for await (const _m of it) {
      if (++got === total) break;
    }
    assert.equal(got, total, "every message arrives once the consumer reads");
  } finally {
    await producer.disconnect().catch(() => {});
    await consumer.disconnect().catch(() => {});
    await broker.stop();
  }
});
