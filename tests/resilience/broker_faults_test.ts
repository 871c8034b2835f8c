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
  const { chmodSync, mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "umqtt-soak-"));
  chmodSync(dir, 0o777); // mosquitto drops root privileges and must write its database here
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
  const subConnects: boolean[] = [];
  const sub = new MQTTClient("soak-sub", "127.0.0.1", {
    port,
    keepalive: 5,
    reconnect: policy,
    onConnect: (i) => subConnects.push(i.sessionPresent),
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
    assert.equal(subConnects.at(-1), true, "the restarted broker restored the subscriber's session from disk");
  } finally {
    await pub.disconnect().catch(() => {});
    await sub.disconnect().catch(() => {});
    await proxy.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a slow messages() consumer under a flood keeps memory bounded", async () => {
  const { spawn } = await import("node:child_process");
  const broker = await startMosquitto({ global: ["max_queued_messages 1000000", "max_queued_bytes 0"] });
  const consumer = new MQTTClient("flood-sub", "127.0.0.1", { port: broker.port, keepalive: 0 });
  try {
    await consumer.connect();
    await consumer.subscribe("flood", 0);
    const it = consumer.messages({ bufferSize: 10 });
    const gc = (globalThis as { Bun?: { gc(full: boolean): void } }).Bun?.gc;
    gc?.(true);
    const before = process.memoryUsage().rss;
    // An external producer (its memory is not ours): 2000 messages of 16 KiB = 31 MiB.
    const total = 2_000;
    const producer = spawn("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(broker.port), "-t", "flood", "-l"], {
      stdio: ["pipe", "ignore", "inherit"],
    });
    const line = "x".repeat(16 * 1024) + "\n";
    for (let i = 0; i < total; i++) {
      if (!producer.stdin!.write(line)) await new Promise((r) => producer.stdin!.once("drain", r));
    }
    producer.stdin!.end();
    await new Promise((r) => producer.once("exit", r));
    await new Promise((r) => setTimeout(r, 300)); // the broker pushes what the socket takes
    gc?.(true);
    const during = process.memoryUsage().rss;
    // The consumer holds its buffer plus socket buffers, not the 31 MiB the broker has queued.
    assert.ok(during - before < 16 * 1024 * 1024, `RSS grew by ${((during - before) / 1048576).toFixed(1)} MiB`);
    let got = 0;
    for await (const m of it) {
      assert.equal(m.payload.length, 16 * 1024);
      if (++got === total) break;
    }
    assert.equal(got, total, "every message arrives once the consumer reads");
  } finally {
    await consumer.disconnect().catch(() => {});
    await broker.stop();
  }
});
