/**
 * Soak under faults: stream QoS 1 and QoS 2 messages from one client to
 * another through mosquitto while TCP proxies drop both links and the
 * broker is restarted, then count what arrived. Used by the short CI test
 * (`soak_test.ts`) and the long task (`scripts/soak.ts`). Loopback only,
 * bounded in count and time.
 *
 * @module
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MQTTClient } from "../../mod.ts";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import type { Mosquitto } from "../../scripts/mosquitto.ts";
import { startProxy } from "../_proxy.ts";

/** Soak parameters. */
export interface SoakOptions {
  /** Messages per QoS level. */
  messages: number;
  /** Link drops (both proxies reset at once). */
  drops: number;
  /** Broker restarts (SIGTERM, then start again on the same port with the same database). */
  restarts: number;
  /** Publishes awaited together. */
  window?: number;
  /** Give up waiting for deliveries after this long (ms). */
  deadline?: number;
  /** Progress output. */
  log?: (line: string) => void;
}

/** What a soak run saw. */
export interface SoakResult {
  /** Messages sent per QoS level. */
  sent: number;
  /** QoS 1 messages that never arrived. */
  lostQos1: number;
  /** QoS 1 deliveries beyond the first (allowed: at least once). */
  duplicatedQos1: number;
  /** QoS 2 messages that never arrived. */
  lostQos2: number;
  /** QoS 2 deliveries beyond the first (must be 0: exactly once). */
  duplicatedQos2: number;
  /** Faults injected. */
  drops: number;
  /** Broker restarts done. */
  restarts: number;
  /** Reconnects the two clients made. */
  reconnects: number;
  /** Wall time in ms. */
  ms: number;
}

/**
 * Run a soak.
 *
 * @param o Parameters.
 * @returns Counts.
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const started = Date.now();
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), "umqtt-soak-"));
  chmodSync(dir, 0o777); // mosquitto drops root privileges and writes its database here
  const brokerOpts = {
    dir,
    global: [
      "persistence true",
      `persistence_location ${dir}/`,
      "autosave_interval 60",
      "max_queued_messages 0",
      "max_inflight_messages 20",
    ],
  };
  let broker: Mosquitto = await startMosquitto(brokerOpts);
  const port = broker.port;
  const pubProxy = await startProxy(() => port);
  const subProxy = await startProxy(() => port);
  const N = o.messages;
  const q1 = new Uint32Array(N);
  const q2 = new Uint32Array(N);
  let reconnects = 0;
  const policy = { minDelay: 20, maxDelay: 250 };
  const sub = new MQTTClient("soak-sub", "127.0.0.1", {
    port: subProxy.port,
    keepalive: 10,
    reconnect: policy,
    onConnect: (i) => {
      if (i.reconnected) reconnects++;
    },
    callback: (m) => {
      const n = Number(m.text());
      (m.topic === "soak/q1" ? q1 : q2)[n]!++;
    },
  });
  const pub = new MQTTClient("soak-pub", "127.0.0.1", {
    port: pubProxy.port,
    keepalive: 10,
    reconnect: { ...policy, maxQueued: 100_000 },
    onConnect: (i) => {
      if (i.reconnected) reconnects++;
    },
  });
  let drops = 0;
  let restarts = 0;
  try {
    await sub.connect({ cleanSession: false });
    await sub.subscribe("soak/#", 2);
    sub.startLoop();
    await pub.connect({ cleanSession: false });
    const faults = o.drops + o.restarts;
    const every = faults > 0 ? Math.max(1, Math.floor(N / (faults + 1))) : Infinity;
    const window = o.window ?? 100;
    for (let i = 0; i < N; i += window) {
      const batch: Promise<void>[] = [];
      for (let j = i; j < Math.min(N, i + window); j++) {
        batch.push(pub.publish("soak/q1", String(j), { qos: 1 }));
        batch.push(pub.publish("soak/q2", String(j), { qos: 2 }));
        if ((j + 1) % every === 0 && drops + restarts < faults) {
          // Alternate the two kinds of fault while they last.
          if (restarts < o.restarts && (drops >= o.drops || restarts <= drops)) {
            await broker.stop("SIGTERM");
            broker = await startMosquitto({ ...brokerOpts, port });
            restarts++;
          } else {
            pubProxy.drop();
            subProxy.drop();
            drops++;
          }
        }
      }
      await Promise.all(batch);
      if (i % (window * 50) === 0) log(`sent ${Math.min(N, i + window)}/${N} (drops ${drops}, restarts ${restarts})`);
    }
    const end = Date.now() + (o.deadline ?? 60_000);
    const complete = (): boolean => q1.every((c) => c > 0) && q2.every((c) => c > 0);
    while (!complete() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300)); // a late duplicate would show up now
  } finally {
    await pub.disconnect().catch(() => {});
    await sub.disconnect().catch(() => {});
    await pubProxy.close();
    await subProxy.close();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  let lostQos1 = 0, duplicatedQos1 = 0, lostQos2 = 0, duplicatedQos2 = 0;
  for (let i = 0; i < N; i++) {
    if (q1[i] === 0) lostQos1++;
    else duplicatedQos1 += q1[i]! - 1;
    if (q2[i] === 0) lostQos2++;
    else duplicatedQos2 += q2[i]! - 1;
  }
  return {
    sent: N,
    lostQos1,
    duplicatedQos1,
    lostQos2,
    duplicatedQos2,
    drops,
    restarts,
    reconnects,
    ms: Date.now() - started,
  };
}
