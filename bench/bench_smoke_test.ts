// Proves the benchmark harness works, on tiny counts: every message arrives,
// every acknowledgement comes back, every echo returns. Asserts counts, never speed.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startMosquitto } from "../scripts/mosquitto.ts";
import { CLIENT_KINDS, connectClient } from "./clients.ts";
import { connectionRate, idleClients, percentile, publishMany, roundTrips } from "./scenarios.ts";
import { BENCH_BROKER_GLOBAL, CountingSink, Echo } from "./sink.ts";
import { FrameSplitter, rawPublishPacket } from "./raw.ts";
import { summarise } from "./stats.ts";
import { renderMarkdown, renderSvg, updateBenchmarksMd } from "./report.ts";
import type { Results } from "./main.ts";

const BROKER = { global: BENCH_BROKER_GLOBAL, captureLog: false };

test("publishMany() delivers every QoS 0 message to the counting sink with each client", async () => {
  const broker = await startMosquitto(BROKER);
  const sink = new CountingSink();
  try {
    await sink.connect(broker.port, "smoke-sink");
    for (const kind of CLIENT_KINDS) {
      for (const size of [64, 16_384]) {
        await sink.arm(`smoke/${kind}/${size}`);
        const c = await connectClient(kind, broker.port, `smoke-q0-${kind}`);
        try {
          const r = await publishMany(c, sink.topic, new Uint8Array(size), 0, 100, 16);
          assert.equal(r.n, 100);
          assert.ok(r.cpuUs >= 0);
          const got = await sink.collect(100, 2000);
          assert.equal(got.count, 100, `${kind} ${size} B`);
          assert.equal(got.bytes, 100 * size);
        } finally {
          await c.close();
        }
      }
    }
  } finally {
    await sink.close();
    await broker.stop();
  }
});

test("publishMany() settles every QoS 1 and QoS 2 publish, one at a time and windowed, with each client", async () => {
  const broker = await startMosquitto(BROKER);
  const sink = new CountingSink();
  try {
    await sink.connect(broker.port, "smoke-sink");
    for (const kind of CLIENT_KINDS) {
      const c = await connectClient(kind, broker.port, `smoke-q12-${kind}`);
      try {
        for (const qos of [1, 2] as const) {
          for (const window of [1, 64]) {
            await sink.arm(`smoke/${kind}/q${qos}/w${window}`);
            const r = await publishMany(c, sink.topic, new Uint8Array(64), qos, 130, window);
            assert.equal(r.n, 130);
            const got = await sink.collect(130, 2000);
            assert.equal(got.count, 130, `${kind} QoS ${qos} window ${window}`);
          }
        }
      } finally {
        await c.close();
      }
    }
  } finally {
    await sink.close();
    await broker.stop();
  }
});

test("roundTrips() gets an echo for every ping with each client", async () => {
  const broker = await startMosquitto(BROKER);
  const echo = new Echo();
  try {
    await echo.start(broker.port, "smoke-echo", "smoke/ping", "smoke/pong", new Uint8Array(8));
    for (const kind of CLIENT_KINDS) {
      const c = await connectClient(kind, broker.port, `smoke-rtt-${kind}`);
      try {
        await c.subscribe("smoke/pong");
        const r = await roundTrips(c, "smoke/ping", new Uint8Array(8), 20);
        assert.equal(r.n, 20);
        assert.ok(r.p50 > 0 && r.p99 >= r.p50, `${kind}: p50 ${r.p50} p99 ${r.p99}`);
      } finally {
        await c.close();
      }
    }
  } finally {
    await echo.close();
    await broker.stop();
  }
});

test("connectionRate() and idleClients() connect the requested number of clients with each client", async () => {
  const broker = await startMosquitto(BROKER);
  try {
    for (const kind of CLIENT_KINDS) {
      const cr = await connectionRate(kind, broker.port, 5, `smoke-cr-${kind}`);
      assert.equal(cr.n, 5);
      assert.ok(cr.perSecond > 0);
      const m = await idleClients(kind, broker.port, 5, `smoke-idle-${kind}`);
      assert.equal(m.n, 5);
      assert.ok(m.rssAfter > 0 && m.rssBefore > 0);
    }
  } finally {
    await broker.stop();
  }
});

test("FrameSplitter.feed() yields whole frames when split at every offset", () => {
  const a = rawPublishPacket("t/a", new Uint8Array(200).fill(7), 1, 9);
  const b = rawPublishPacket("t/b", new Uint8Array(3), 0);
  const all = new Uint8Array(a.length + b.length);
  all.set(a);
  all.set(b, a.length);
  for (let cut = 0; cut <= all.length; cut++) {
    const seen: [number, number][] = [];
    const s = new FrameSplitter((first, body) => seen.push([first, body.length]));
    s.feed(all.subarray(0, cut));
    s.feed(all.subarray(cut));
    assert.deepEqual(seen, [[0x32, 2 + 3 + 2 + 200], [0x30, 2 + 3 + 3]], `cut at ${cut}`);
  }
});

test("summarise() and percentile() give the median, range and nearest-rank percentile", () => {
  const s = summarise([3, 1, 2, 10]);
  assert.equal(s.median, 2.5);
  assert.equal(s.min, 1);
  assert.equal(s.max, 10);
  assert.equal(s.spreadPct, 180);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99), 10);
});

test("renderMarkdown() and renderSvg() show the ratio to raw and mark a missed target", () => {
  const r: Results = {
    mode: "quick",
    date: "2026-11-22T00:00:00.000Z",
    durationS: 1,
    machine: { nproc: 2, cpu: "test cpu", memoryGiB: 1, freeMemoryGiB: 1, kernel: "Linux", loadavg: "0" },
    versions: { deno: "x" },
    config: {
      reps: 1,
      qos0Small: 1,
      qos0Large: 1,
      qos1Seq: 1,
      qos1Win: 1,
      qos2Seq: 1,
      qos2Win: 1,
      rtt: 1,
      connRate: 1,
      idle: 1,
      memReps: 1,
      importReps: 1,
      window: 64,
    },
    runtimes: ["deno"],
    figures: { qos0_64_cpu: { deno: { ours: summarise([2]), raw: summarise([1]), mqttjs: summarise([4]) } } },
    delivery: [],
    size: {
      ours: {
        entries: [
          {
            entry: ".",
            bundler: "esbuild",
            single: { minified: 30_000, gzip: 10_000 },
            main: { minified: 20_000, gzip: 9_000 },
            withTransport: { deno: { minified: 22_000, gzip: 9_500 } },
          },
        ],
        modules: [{ path: "src/client.ts", bytes: 20_000 }],
        deps: 0,
        how: "x",
      },
      mqttjs: { minified: 1, gzip: 1, deps: 1, depNames: ["a@1"], how: "y" },
    },
    errors: [],
  };
  const md = renderMarkdown(r);
  assert.match(
    md,
    /\| QoS 0, 64 B, publisher CPU \| µs\/msg \| 2\.00 ±0% \| 4\.00 ±0% \| 1\.00 ±0% \| \*\*2\.00× ✗\*\* \|/,
  );
  assert.match(md, /\| `\.` \| esbuild \| 9\.77 KiB \| 8\.79 KiB \*\*✗\*\* \| 9\.28 KiB \| – \| – \| – \|/);
  const svg = renderSvg(r);
  assert.match(svg, /^<svg /);
  assert.match(svg, /Deno ours: QoS 0, 64 B, publisher CPU 2\.00× raw/);
  const doc = updateBenchmarksMd("# B\n\nintro\n", "table 1");
  assert.equal(updateBenchmarksMd(doc, "table 2"), doc.replace("table 1", "table 2"));
});
