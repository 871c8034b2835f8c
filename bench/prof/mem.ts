// The client's own cost over an in-memory broker (no socket): connect+disconnect, QoS 1 in windows of 64, QoS 0.
// deno run -A bench/prof/mem.ts [conn|qos1|qos0|all] [n]
import { MQTTClient } from "../../mod.ts";
import type { Transport } from "../../src/transport/types.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const what = args[0] ?? "all";
const N = Number(args[1] ?? 0);

/** Answers CONNECT with CONNACK and each QoS 1 PUBLISH with PUBACK, on the next microtask (cheaply: no array per ack). */
class Loopback implements Transport {
  #buf = new Uint8Array(65_536);
  #start = 0;
  #end = 0;
  #reader: ((c: Uint8Array | null) => void) | null = null;
  #closed = false;
  read(): Promise<Uint8Array | null> {
    if (this.#end > this.#start) return Promise.resolve(this.#take());
    if (this.#closed) return Promise.resolve(null);
    return new Promise((r) => (this.#reader = r));
  }
  #take(): Uint8Array {
    // Handed over: the region is never written again (a fresh buffer once this one is used up).
    const chunk = this.#buf.subarray(this.#start, this.#end);
    this.#start = this.#end;
    return chunk;
  }
  write(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      const first = bytes[i]!;
      let len = 0, mul = 1, j = i + 1, b;
      do {
        b = bytes[j++]!;
        len += (b & 127) * mul;
        mul *= 128;
      } while (b & 128);
      const type = first >> 4;
      if (type === 1) this.#push(0x20, 0, 0);
      else if (type === 3 && (first & 6) === 2) {
        const tl = (bytes[j]! << 8) | bytes[j + 1]!;
        this.#push(0x40, bytes[j + 2 + tl]!, bytes[j + 3 + tl]!);
      }
      i = j + len;
    }
  }
  #push(first: number, a: number, b: number): void {
    if (this.#end + 4 > this.#buf.length) {
      const rest = this.#buf.subarray(this.#start, this.#end);
      this.#buf = new Uint8Array(65_536);
      this.#buf.set(rest);
      this.#start = 0;
      this.#end = rest.length;
    }
    const o = this.#end;
    this.#buf[o] = first;
    this.#buf[o + 1] = 2;
    this.#buf[o + 2] = a;
    this.#buf[o + 3] = b;
    this.#end = o + 4;
    const r = this.#reader;
    if (r) {
      this.#reader = null;
      queueMicrotask(() => r(this.#take()));
    }
  }
  close(): void {
    this.#closed = true;
    const r = this.#reader;
    this.#reader = null;
    r?.(null);
  }
}
const transport = (): Promise<Transport> => Promise.resolve(new Loopback());

const phases = { ctor: 0, connect: 0, disconnect: 0 };
async function conn(n: number): Promise<number> {
  const t0 = performance.now();
  let ctor = 0, connect = 0, disconnect = 0;
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    const c = new MQTTClient(`c-${i}`, "127.0.0.1", { port: 1883, maxInflight: 64, transport, callback: () => {} });
    const b = performance.now();
    await c.connect();
    const d = performance.now();
    await c.disconnect();
    const e = performance.now();
    ctor += b - a;
    connect += d - b;
    disconnect += e - d;
  }
  phases.ctor = (ctor * 1000) / n;
  phases.connect = (connect * 1000) / n;
  phases.disconnect = (disconnect * 1000) / n;
  return ((performance.now() - t0) * 1000) / n;
}

async function pub(n: number, qos: 0 | 1): Promise<number> {
  const c = new MQTTClient("p", "127.0.0.1", { port: 1883, maxInflight: 64, transport, callback: () => {} });
  await c.connect();
  const payload = new Uint8Array(64);
  const batch: Promise<void>[] = new Array(64);
  const t0 = performance.now();
  for (let i = 0; i < n; i += 64) {
    for (let j = 0; j < 64; j++) batch[j] = c.publish("bench/x", payload, { qos });
    await Promise.all(batch);
  }
  const us = ((performance.now() - t0) * 1000) / n;
  await c.disconnect();
  return us;
}

const rounds = 7;
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
async function run(name: string, f: () => Promise<number>): Promise<void> {
  await f();
  await f();
  const r: number[] = [];
  for (let i = 0; i < rounds; i++) r.push(await f());
  console.log(`${name}: ${med(r).toFixed(3)} µs  (${r.map((x) => x.toFixed(2)).join(" ")})`);
}
if (what === "conn" || what === "all") {
  await run("connect+disconnect", () => conn(N || 20_000));
  const p = phases;
  console.log(
    `  last round: constructor ${p.ctor.toFixed(2)}, connect ${p.connect.toFixed(2)}, disconnect ${
      p.disconnect.toFixed(2)
    } µs`,
  );
}
if (what === "qos1" || what === "all") await run("qos1 window 64", () => pub(N || 200_000, 1));
if (what === "qos0" || what === "all") await run("qos0 window 64", () => pub(N || 500_000, 0));
