import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { concat as join } from "../../src/_bytes.ts";
import { connectNative } from "../../src/transport/mod.ts";
import { connectNode } from "../../src/transport/node.ts";
import type { Transport, TransportConnectOptions } from "../../src/transport/types.ts";

/** A TCP server that records every byte of one connection, paused until `resume()`. */
async function sink(): Promise<{ port: number; resume(): void; received: Promise<Uint8Array>; close(): void }> {
  let sock: Socket | null = null;
  let resumeNow = false;
  let done!: (b: Uint8Array) => void;
  const received = new Promise<Uint8Array>((r) => (done = r));
  const server = createServer((s) => {
    sock = s;
    const chunks: Uint8Array[] = [];
    if (!resumeNow) s.pause();
    s.on("data", (d: Uint8Array) => chunks.push(new Uint8Array(d)));
    s.on("end", () => {
      done(join(chunks));
      s.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    resume: () => {
      resumeNow = true;
      sock?.resume();
    },
    received,
    close: () => server.close(),
  };
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** Mixed write() and writev() calls, small and large, many in one tick; everything arrives in order. */
async function sendMixed(connect: (o: TransportConnectOptions) => Promise<Transport>): Promise<void> {
  const server = await sink();
  try {
    const t = await connect({ host: "127.0.0.1", port: server.port });
    assert.equal(typeof t.writev, "function");
    const expectedParts: Uint8Array[] = [];
    const pending: (Promise<void> | void)[] = [];
    const slab = pattern(4096, 7); // adjacent views, as the encoder's slab hands them out
    let seed = 0;
    for (let round = 0; round < 40; round++) {
      for (const size of [0, 1, 100, 2048, 16_384, 70_000, 300_000]) {
        const header = slab.subarray((round * 8) % 4000, (round * 8) % 4000 + 5);
        const payload = pattern(size, seed++);
        pending.push(t.writev!(header, payload));
        expectedParts.push(header.slice(), payload.slice());
        const small = slab.subarray(4000, 4004);
        pending.push(t.write(small));
        expectedParts.push(small.slice());
      }
    }
    // The reader is paused: megabytes pile up, so the transport meets partial writes and waits for drain.
    setTimeout(() => server.resume(), 50);
    await Promise.all(pending);
    t.close();
    const got = await server.received;
    const expected = join(expectedParts);
    assert.equal(got.length, expected.length);
    assert.ok(got.every((b, i) => b === expected[i]), "bytes differ");
  } finally {
    server.close();
  }
}

test("the runtime's transport sends writev() and write() bytes in call order through backpressure", async () => {
  await sendMixed(connectNative);
});

test("connectNode() sends writev() and write() bytes in call order through backpressure", async () => {
  await sendMixed(connectNode);
});

test("writev() rejects once the transport is closed", async () => {
  const server = await sink();
  server.resume();
  try {
    for (const connect of [connectNative, connectNode]) {
      const t = await connect({ host: "127.0.0.1", port: server.port });
      t.close();
      await assert.rejects(async () => await t.writev!(new Uint8Array([1]), new Uint8Array([2])), /closed/);
    }
  } finally {
    server.close();
  }
});
