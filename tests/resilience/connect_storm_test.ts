import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { MQTTClient } from "../../mod.ts";

test(
  'reconnect backoff against a broker that answers every CONNECT with "server unavailable" keeps the connection rate bounded',
  { timeout: 30_000 },
  async () => {
    const arrivals: number[] = [];
    const sockets = new Set<Socket>();
    let first = true;
    // Accepts the first CONNECT and drops the link 50 ms later; then refuses every CONNECT
    // ("server unavailable", which is worth retrying) like an overloaded broker. A refusal that retrying
    // cannot fix (bad credentials, not authorized) stops the loop instead: see tests/lifecycle.
    const server = createServer((s) => {
      const at = Date.now();
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => sockets.delete(s));
      s.once("data", (d: Uint8Array) => {
        // Count only our client's CONNECTs: a stray process reusing a freed port must not skew the rate.
        if (!new TextDecoder().decode(d).includes("storm")) return void s.destroy();
        arrivals.push(at);
        if (first) {
          first = false;
          s.write(new Uint8Array([0x20, 0x02, 0x00, 0x00]));
          setTimeout(() => s.destroy(), 50);
        } else {
          s.end(new Uint8Array([0x20, 0x02, 0x00, 0x03]));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    const lost: string[] = [];
    const client = new MQTTClient("storm", "127.0.0.1", {
      port,
      keepalive: 0,
      reconnect: { minDelay: 100, maxDelay: 800, factor: 2, jitter: 0.5 },
      onConnectionLost: (e) => {
        lost.push(e.message);
      },
    });
    try {
      await client.connect();
      const windowMs = 4_000;
      await new Promise((r) => setTimeout(r, windowMs));
      const attempts = arrivals.length - 1;
      // Delays 100, 200, 400, 800, 800… (each shortened by up to half): about 5..10 attempts in 4 s.
      // Without backoff a refused client would reconnect thousands of times.
      assert.ok(attempts >= 3, `only ${attempts} reconnect attempts in ${windowMs} ms`);
      assert.ok(attempts <= 14, `${attempts} reconnect attempts in ${windowMs} ms: backoff is not holding`);
      const gaps = arrivals.slice(2).map((t, i) => t - arrivals[i + 1]!);
      for (let i = 1; i < gaps.length; i++) {
        const floor = Math.min(800, 100 * 2 ** (i + 1)) / 2 - 20; // half the nominal delay, less scheduling slack
        assert.ok(gaps[i]! >= floor, `gap ${i} was ${gaps[i]} ms, below ${floor} ms: ${gaps.join(", ")}`);
      }
      assert.ok(lost.some((m) => /unavailable/.test(m)), `refusals reach onConnectionLost: ${lost.join(" | ")}`);
    } finally {
      await client.disconnect().catch(() => {});
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  },
);
