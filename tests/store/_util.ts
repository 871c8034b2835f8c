/**
 * Shared by the store tests: packets, a temp dir, a seeded random change
 * generator that only produces changes a client could make.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { PublishPacket } from "../../src/codec/packets.ts";
import type { PublishPacketV5 } from "../../src/codec/packets_v5.ts";
import type { StoreChange, StoredSession } from "../../src/store/types.ts";
import { Rng } from "../_rng.ts";

const te = new TextEncoder();

/** A QoS 1 PUBLISH (or `qos`) with a text payload. */
export function pkt(topic: string, payload = "", extra: Partial<PublishPacketV5> = {}): PublishPacket {
  return { type: "publish", topic, payload: te.encode(payload), qos: 1, retain: false, dup: false, ...extra };
}

/** A v5 PUBLISH with most PUBLISH properties set. */
export const V5: PublishPacketV5 = {
  type: "publish",
  topic: "req/ü",
  payload: new Uint8Array([0, 1, 2, 255]),
  qos: 2,
  retain: true,
  dup: false,
  packetId: 7,
  properties: {
    payloadFormatIndicator: 1,
    messageExpiryInterval: 4_000_000_000,
    responseTopic: "reply/1",
    correlationData: new Uint8Array([9, 8, 7]),
    userProperties: [["a", "1"], ["a", "2"], ["ключ", "значение"]],
    contentType: "application/json",
  },
};

const ALIAS = pkt("", "", { qos: 2, properties: { topicAlias: 3 } } as Partial<PublishPacketV5>);
const Q0 = pkt("q", "", { qos: 2 });
const BIG = pkt("big", "x".repeat(70_000));

/** Every change type at least once; the session it leaves is {@linkcode EVERY_STATE}. */
export const EVERY_CHANGE: StoreChange[] = [
  { type: "publish", id: 1, packet: pkt("a", "one") },
  { type: "publish", id: 7, packet: V5 },
  { type: "publish", id: 65535, packet: ALIAS },
  { type: "pubrel", id: 7 },
  { type: "acked", id: 1 },
  { type: "queue", key: 0, packet: Q0 },
  { type: "queue", key: 2 ** 40, packet: BIG },
  { type: "queue", key: 5, packet: pkt("five") },
  { type: "dequeue", key: 5 },
  { type: "received", id: 3 },
  { type: "received", id: 4 },
  { type: "released", id: 3 },
  { type: "clear", what: "incoming" },
  { type: "received", id: 9 },
];

/** What {@linkcode EVERY_CHANGE} leaves. */
export const EVERY_STATE: StoredSession = {
  outgoing: [{ id: 7, released: true, packet: V5 }, { id: 65535, released: false, packet: ALIAS }],
  queued: [{ key: 0, packet: Q0 }, { key: 2 ** 40, packet: BIG }],
  incoming: [9],
  lastPacketId: 65535,
};

/** A temp dir, removed by `dispose()`. */
export function tempDir(): { dir: string; dispose(): void } {
  const dir = mkdtempSync(tmpdir() + "/umqtt-store-");
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A seeded PRNG (`tests/_rng.ts`): the same sequence on every runtime. */
export function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.float();
}

/** A random batch of 0..3 plausible changes given the current session `s`. */
export function randomChanges(r: () => number, s: StoredSession, next: { key: number; id: number }): StoreChange[] {
  const out: StoreChange[] = [];
  const n = Math.floor(r() * 4);
  const pick = <T>(a: T[]): T | undefined => a[Math.floor(r() * a.length)];
  for (let i = 0; i < n; i++) {
    const k = r();
    const payload = "p".repeat(Math.floor(r() * 200));
    if (k < 0.25) {
      next.id = next.id % 65535 + 1;
      const qos = r() < 0.5 ? 1 : 2;
      const extra = r() < 0.3 ? { qos, properties: { userProperties: [["n", String(next.id)]] } } : { qos };
      out.push({
        type: "publish",
        id: next.id,
        packet: pkt(`t/${next.id}`, payload, extra as Partial<PublishPacketV5>),
      });
    } else if (k < 0.45) {
      const p = pick(s.outgoing);
      if (p) out.push({ type: "acked", id: p.id });
    } else if (k < 0.55) {
      const p = pick(s.outgoing);
      if (p) out.push({ type: "pubrel", id: p.id });
    } else if (k < 0.7) {
      out.push({ type: "queue", key: next.key++, packet: pkt("q", payload) });
    } else if (k < 0.8) {
      const q = pick(s.queued);
      if (q) out.push({ type: "dequeue", key: q.key });
    } else if (k < 0.9) {
      out.push({ type: "received", id: 1 + Math.floor(r() * 65535) });
    } else if (k < 0.97) {
      const id = pick(s.incoming);
      if (id !== undefined) out.push({ type: "released", id });
    } else {
      out.push({ type: "clear", what: r() < 0.5 ? "incoming" : "outgoing" });
    }
  }
  return out;
}
