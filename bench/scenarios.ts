/**
 * The measurements a worker runs against one client. Each function returns
 * plain numbers; the orchestrator (`main.ts`) repeats them and takes medians.
 * Nothing here asserts anything about speed.
 *
 * @module
 */
import process from "node:process";
import { type BenchClient, type ClientKind, connectClient } from "./clients.ts";

/** Wall-clock time in ms with sub-ms resolution, comparable across processes. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** User+system CPU time of this process in µs. */
export function cpuMicros(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Result of {@linkcode publishMany}. */
export interface PublishResult {
  /** Messages published. */
  n: number;
  /** Wall time of the publish loop (until the last one settled), ms. */
  ms: number;
  /** Epoch ms when the loop started. */
  t0: number;
  /** Epoch ms when the loop ended. */
  t1: number;
  /** CPU time (user+sys) of this process during the loop, µs. */
  cpuUs: number;
}

/**
 * Publish `n` messages: `window` at a time, each window awaited as a whole
 * (`window` 1 means one at a time, each awaited).
 */
export async function publishMany(
  client: BenchClient,
  topic: string,
  payload: Uint8Array,
  qos: 0 | 1 | 2,
  n: number,
  window: number,
): Promise<PublishResult> {
  const cpu0 = cpuMicros();
  const t0 = epochMs();
  if (window === 1) {
    for (let i = 0; i < n; i++) await client.publish(topic, payload, qos);
  } else {
    const batch: (Promise<void> | void)[] = new Array(window);
    for (let i = 0; i < n; i += window) {
      const m = Math.min(window, n - i);
      batch.length = m;
      for (let j = 0; j < m; j++) batch[j] = client.publish(topic, payload, qos);
      await Promise.all(batch);
    }
  }
  const t1 = epochMs();
  return { n, ms: t1 - t0, t0, t1, cpuUs: cpuMicros() - cpu0 };
}

/** Round-trip latency samples. */
export interface RoundTripResult {
  /** Round trips measured. */
  n: number;
  /** Median, ms. */
  p50: number;
  /** 99th percentile, ms. */
  p99: number;
}

/**
 * Publish on `pingTopic` (QoS 0) and wait for the echo on `pongTopic`
 * (already subscribed), `n` times one after another.
 */
export async function roundTrips(
  client: BenchClient,
  pingTopic: string,
  payload: Uint8Array,
  n: number,
): Promise<RoundTripResult> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const got = client.nextMessage();
    await client.publish(pingTopic, payload, 0);
    await got;
    samples[i] = performance.now() - t;
  }
  samples.sort();
  return { n, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99) };
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

/** Result of {@linkcode connectionRate}. */
export interface ConnectResult {
  /** Connections made. */
  n: number;
  /** Connections per second (connect → CONNACK → DISCONNECT, one after another). */
  perSecond: number;
}

/** Open and cleanly close `n` connections one after another. */
export async function connectionRate(
  kind: ClientKind,
  port: number,
  n: number,
  prefix: string,
): Promise<ConnectResult> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = await connectClient(kind, port, `${prefix}-${i}`);
    await c.close();
  }
  const ms = performance.now() - t0;
  return { n, perSecond: n / (ms / 1000) };
}

/** Resident set size of this process in bytes. */
export function rssBytes(): number {
  return process.memoryUsage().rss;
}

/** Run the garbage collector if the runtime exposes it (Bun.gc, or --expose-gc). */
export function collectGarbage(): void {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void };
  if (g.Bun) g.Bun.gc(true);
  else g.gc?.();
}

/** Result of {@linkcode idleClients}. */
export interface MemoryResult {
  /** Clients connected. */
  n: number;
  /** RSS before connecting any, bytes. */
  rssBefore: number;
  /** RSS with all connected and idle, bytes. */
  rssAfter: number;
  /** (after − before) / n, bytes. */
  perClient: number;
}

/**
 * Connect `n` clients, let them sit idle, and measure this process's RSS
 * growth per client (after a warm-up client and a GC on both sides).
 */
export async function idleClients(kind: ClientKind, port: number, n: number, prefix: string): Promise<MemoryResult> {
  // Load the library and warm its code paths before the baseline.
  const warm = await connectClient(kind, port, `${prefix}-warm`);
  await warm.close();
  await settle();
  const rssBefore = rssBytes();
  const clients: BenchClient[] = [];
  for (let i = 0; i < n; i++) clients.push(await connectClient(kind, port, `${prefix}-${i}`));
  await settle();
  const rssAfter = rssBytes();
  for (const c of clients) await c.close();
  return { n, rssBefore, rssAfter, perClient: (rssAfter - rssBefore) / n };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collectGarbage();
    await new Promise((r) => setTimeout(r, 50));
  }
}
