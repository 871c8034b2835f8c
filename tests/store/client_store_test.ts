/**
 * The `store` option: what the session records, when, and how a new
 * client (a restarted process) resumes from it. Over the scripted fake
 * transport; the stores themselves are tested in their own files.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../mod.ts";
import type { SessionStore, StoreChange, StoredSession } from "../../mod.ts";
import type { AutoAnswerOptions, FakeTransport } from "../_fake.ts";
import { autoAnswer, fakeFactory, flush } from "../_fake.ts";

/**
 * A store that keeps the changes it was given and replays them into a
 * session on load, checking, at every commit, that the packet the change
 * describes was not written yet.
 */
class RecordingStore implements SessionStore {
  commits: StoreChange[][] = [];
  /** Writes seen on the current transport when each commit happened. */
  writesAtCommit: number[] = [];
  transport: FakeTransport | null = null;
  failNext: Error | null = null;
  /** The process died: later commits never happen. */
  dead = false;

  load(): StoredSession {
    const out = new Map<number, { id: number; released: boolean; packet: StoredSession["outgoing"][0]["packet"] }>();
    const queued = new Map<number, StoredSession["queued"][0]>();
    const incoming = new Set<number>();
    let lastPacketId = 0;
    for (const c of this.commits.flat()) {
      if (c.type === "publish") {
        out.set(c.id, { id: c.id, released: false, packet: c.packet });
        lastPacketId = c.id;
      } else if (c.type === "pubrel") out.get(c.id)!.released = true;
      else if (c.type === "acked") out.delete(c.id);
      else if (c.type === "queue") queued.set(c.key, { key: c.key, packet: c.packet });
      else if (c.type === "dequeue") queued.delete(c.key);
      else if (c.type === "received") incoming.add(c.id);
      else if (c.type === "released") incoming.delete(c.id);
      else if (c.what === "incoming") incoming.clear();
      else (out.clear(), queued.clear());
    }
    return { outgoing: [...out.values()], queued: [...queued.values()], incoming: [...incoming], lastPacketId };
  }

  commit(changes: readonly StoreChange[]): void {
    if (this.dead) return;
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = null;
      throw e;
    }
    this.writesAtCommit.push(this.transport?.writes.length ?? 0);
    this.commits.push(changes.map((c) => ({ ...c })));
  }

  /** The non-empty commits, as "type id/key" strings. */
  get log(): string[] {
    return this.commits.filter((c) => c.length > 0).map((c) =>
      c.map((x) => `${x.type} ${"id" in x ? x.id : "key" in x ? x.key : x.what}`).join(", ")
    );
  }
}

/** A client on `store` whose fake broker answers as `answer` says; `t()` is the newest connection. */
function client(store: SessionStore, answer: AutoAnswerOptions = {}, maxInflight = 20): {
  c: MQTTClient;
  t: () => FakeTransport;
  errors: unknown[];
} {
  const errors: unknown[] = [];
  const factory = fakeFactory((t, _o) => {
    autoAnswer(t, factory.transports.length - 1, answer);
    if (store instanceof RecordingStore) store.transport = t;
  });
  const c = new MQTTClient("store-test", "h", {
    transport: factory,
    keepalive: 0,
    store,
    maxInflight,
    onError: (e) => errors.push(e),
  });
  return { c, t: () => factory.transports.at(-1)!, errors };
}

/** PUBLISH packet types on the wire, as "3x id" (x = flags) from hex writes. */
function publishes(writes: string[]): string[] {
  return writes.filter((w) => w.startsWith("3") || w.startsWith("6")).map((w) => {
    if (w.startsWith("62")) return `PUBREL ${parseInt(w.slice(4, 8), 16)}`;
    const tl = parseInt(w.slice(4, 8), 16);
    const id = parseInt(w.slice(8 + tl * 2, 12 + tl * 2), 16);
    return `PUBLISH ${w.slice(0, 2)} id ${id}`;
  });
}

test("publish() with a store records the message before it is written, and its acknowledgement after", async () => {
  const store = new RecordingStore();
  const { c, t } = client(store);
  await c.connect({ cleanSession: false });
  const before = t().writes.length;
  await c.publish("a", "x", { qos: 1 });
  await c.publish("a", "y", { qos: 2 });
  assert.deepEqual(store.log, ["publish 1", "acked 1", "publish 2", "pubrel 2", "acked 2"]);
  // Each publish change was committed while its PUBLISH was not written yet.
  assert.equal(store.writesAtCommit[0], before);
  assert.equal(store.writesAtCommit[2], before + 1);
  await c.disconnect();
});

test("a new client on the same store resends unacknowledged publishes with DUP and their ids, then PUBREL", async () => {
  const store = new RecordingStore();
  const a = client(store, { acks: false });
  await a.c.connect({ cleanSession: false });
  a.c.publish("a", "1", { qos: 1 }).catch(() => {});
  a.c.publish("a", "2", { qos: 2 }).catch(() => {});
  await flush();
  // The broker took the QoS 2 message (PUBREC) and the process dies before PUBCOMP.
  a.t().receive("50020002");
  await flush();
  assert.deepEqual(store.log, ["publish 1", "publish 2", "pubrel 2"]);
  crash(store, a.c); // nothing more is written or recorded

  const b = client(store, { sessionPresent: true });
  await b.c.connect({ cleanSession: false });
  await flush();
  assert.deepEqual(publishes(b.t().takeWritten()), ["PUBLISH 3a id 1", "PUBREL 2"]);
  assert.deepEqual(store.load(), { outgoing: [], queued: [], incoming: [], lastPacketId: 2 });
  // Ids go on from the stored ones.
  await b.c.publish("a", "3", { qos: 1 });
  assert.deepEqual(publishes(b.t().writtenHex), ["PUBLISH 32 id 3"]);
  await b.c.disconnect();
});

test("publishes waiting for an in-flight slot are recorded as queued and sent in order after a restart", async () => {
  const store = new RecordingStore();
  const a = client(store, { acks: false }, 1);
  await a.c.connect({ cleanSession: false });
  for (const m of ["1", "2", "3"]) a.c.publish("a", m, { qos: 1 }).catch(() => {});
  await flush();
  assert.deepEqual(store.log, ["publish 1", "queue 1", "queue 2"]);
  crash(store, a.c);

  const b = client(store, { sessionPresent: true }, 1);
  await b.c.connect({ cleanSession: false });
  for (let i = 0; i < 5; i++) await flush();
  const w = b.t().writtenHex.filter((x) => x.startsWith("3"));
  assert.deepEqual(publishes(w), ["PUBLISH 3a id 1", "PUBLISH 32 id 2", "PUBLISH 32 id 3"]);
  assert.deepEqual(w.map((x) => x.slice(-2)), ["31", "32", "33"]); // payloads "1", "2", "3"
  assert.deepEqual(store.log.slice(3), [
    "acked 1",
    "dequeue 1, publish 2",
    "acked 2",
    "dequeue 2, publish 3",
    "acked 3",
  ]);
  assert.deepEqual(store.load().queued, []);
  await b.c.disconnect();
});

test("a QoS 2 message acknowledged before a crash is not delivered again when the broker resends it", async () => {
  const store = new RecordingStore();
  const a = client(store);
  const gotA: string[] = [];
  a.c.setCallback((m) => gotA.push(m.text()));
  await a.c.connect({ cleanSession: false });
  a.t().receive("34060001740005" + "41"); // QoS 2, id 5, "A"
  await flush();
  assert.deepEqual(gotA, ["A"]);
  assert.ok(a.t().writtenHex.includes("50020005"));
  assert.deepEqual(store.log, ["received 5"]);
  assert.ok(store.writesAtCommit[0]! < a.t().writes.length);
  crash(store, a.c);

  const b = client(store, { sessionPresent: true });
  const gotB: string[] = [];
  b.c.setCallback((m) => gotB.push(m.text()));
  await b.c.connect({ cleanSession: false });
  b.t().receive("3c060001740005" + "41"); // the same, DUP
  b.t().receive("62020005");
  await flush();
  assert.deepEqual(gotB, []);
  assert.deepEqual(b.t().writtenHex.slice(1), ["50020005", "70020005"]);
  assert.deepEqual(store.log, ["received 5", "released 5"]);
  assert.deepEqual(store.load().incoming, []);
  await b.c.disconnect();
});

test("a QoS 2 message whose consumer never took it before a crash is delivered after the restart", async () => {
  const store = new RecordingStore();
  const a = client(store);
  await a.c.connect({ cleanSession: false });
  a.t().receive("34060001740006" + "42"); // held: nobody consumes yet
  await flush();
  assert.deepEqual(store.log, []);
  assert.ok(!a.t().writtenHex.includes("50020006"));
  crash(store, a.c);

  const b = client(store, { sessionPresent: true });
  const got: string[] = [];
  b.c.setCallback((m) => got.push(m.text()));
  await b.c.connect({ cleanSession: false });
  b.t().receive("3c060001740006" + "42");
  await flush();
  assert.deepEqual(got, ["B"]);
  assert.deepEqual(store.log, ["received 6"]);
  await b.c.disconnect();
});

test("a broker without the session: stored QoS 2 ids are cleared and messages past PUBREC count as delivered", async () => {
  const store = new RecordingStore();
  store.commits.push([
    { type: "publish", id: 9, packet: pkt("p") },
    { type: "pubrel", id: 9 },
    { type: "publish", id: 10, packet: pkt("q") },
    { type: "received", id: 4 },
  ]);
  const b = client(store, { sessionPresent: false });
  await b.c.connect({ cleanSession: false });
  await flush();
  assert.deepEqual(publishes(b.t().writtenHex), ["PUBLISH 3c id 10", "PUBREL 10"]);
  assert.deepEqual(store.load(), { outgoing: [], queued: [], incoming: [], lastPacketId: 10 });
  await b.c.disconnect();
});

test("a store whose commit throws: publish() rejects with its error and nothing is written", async () => {
  const store = new RecordingStore();
  const { c, t } = client(store);
  await c.connect({ cleanSession: false });
  const n = t().writes.length;
  store.failNext = new Error("disk full");
  await assert.rejects(c.publish("a", "x", { qos: 1 }), /disk full/);
  assert.equal(t().writes.length, n);
  // Nothing of it was recorded; the next one goes as usual.
  await c.publish("a", "y", { qos: 1 });
  assert.deepEqual(store.log, ["publish 2", "acked 2"]);
  await c.disconnect();
});

test("a store that fails before an acknowledgement: nothing is acknowledged, the error is reported, the link closes", async () => {
  const store = new RecordingStore();
  const { c, t, errors } = client(store);
  c.setCallback(() => {});
  await c.connect({ cleanSession: false });
  store.failNext = new Error("disk full");
  t().receive("34060001740007" + "43");
  await flush();
  assert.ok(!t().writtenHex.includes("50020007"));
  assert.equal(c.connected, false);
  assert.match(String(errors[0]), /session store failed: disk full/);
  c.abort();
});

test("the store option needs cleanSession: false and a SessionStore", async () => {
  const store = new RecordingStore();
  const { c } = client(store);
  await assert.rejects(c.connect(), /store option needs connect\(\{ cleanSession: false \}\)/);
  assert.throws(
    () => new MQTTClient("x", "h", { store: {} as SessionStore }),
    /TypeError: store must have load\(\) and commit\(\)/,
  );
});

/** The process holding `c` dies: the store records nothing more, the connection goes. */
function crash(store: RecordingStore, c: MQTTClient): void {
  store.dead = true;
  c.abort();
  store.dead = false;
}

function pkt(text: string): StoredSession["outgoing"][0]["packet"] {
  return {
    type: "publish",
    topic: "t",
    payload: new TextEncoder().encode(text),
    qos: 2,
    retain: false,
    dup: false,
  };
}

test("with a store, publishes waiting for a slot when disconnect() comes stay in the session and go after the next connect", async () => {
  const store = new RecordingStore();
  const answer: AutoAnswerOptions = { acks: false };
  const a = client(store, answer, 1);
  await a.c.connect({ cleanSession: false });
  const first = a.c.publish("a", "1", { qos: 1 });
  const second = a.c.publish("a", "2", { qos: 1 });
  first.catch(() => {});
  await flush();
  await a.c.disconnect();
  await assert.rejects(second, /closed/i);
  await assert.rejects(first, /closed/i);
  assert.deepEqual(store.log, ["publish 1", "queue 1"]);
  assert.equal(a.c.queued, 1);
  assert.equal(a.c.inflight, 1);
  // Connect again, in the same process: both go out (the unacknowledged one first), and the store empties.
  answer.acks = true;
  answer.sessionPresent = true;
  await a.c.connect({ cleanSession: false });
  for (let i = 0; i < 5; i++) await flush();
  assert.deepEqual(publishes(a.t().writtenHex), ["PUBLISH 3a id 1", "PUBLISH 32 id 2"]);
  assert.deepEqual(store.load(), { outgoing: [], queued: [], incoming: [], lastPacketId: 2 });
  assert.deepEqual(a.errors, []);
  await a.c.disconnect();
});

test("with a store, a first connect() that fails keeps what the store held for the next attempt", async () => {
  const store = new RecordingStore();
  store.commits.push([{ type: "publish", id: 3, packet: pkt("r") }], [{ type: "queue", key: 1, packet: pkt("s") }]);
  const refused = client(store, { returnCode: 3 });
  await assert.rejects(refused.c.connect({ cleanSession: false }), /unavailable|code 3/i);
  assert.equal(refused.c.inflight + refused.c.queued, 2);
  assert.deepEqual(store.log, ["publish 3", "queue 1"]);
  assert.equal(store.load().outgoing.length + store.load().queued.length, 2);
});
