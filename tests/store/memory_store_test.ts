import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../../src/store/mod.ts";
import type { StoreChange } from "../../src/store/types.ts";
import { EVERY_CHANGE, EVERY_STATE, pkt } from "./_util.ts";

function after(...batches: StoreChange[][]): MemoryStore {
  const s = new MemoryStore();
  for (const b of batches) s.commit(b);
  return s;
}

test("MemoryStore.load() is empty for a new store", () => {
  assert.deepEqual(new MemoryStore().load(), { outgoing: [], queued: [], incoming: [], lastPacketId: 0 });
});

test("MemoryStore applies every change type in order", () => {
  assert.deepEqual(after(EVERY_CHANGE).load(), EVERY_STATE);
  assert.deepEqual(after(...EVERY_CHANGE.map((c) => [c])).load(), EVERY_STATE, "one change per commit: the same");
});

test("MemoryStore forgets a publish once acked, and keeps outgoing in first-sent order", () => {
  const s = after(
    [{ type: "publish", id: 5, packet: pkt("a") }],
    [{ type: "publish", id: 2, packet: pkt("b") }],
    [{ type: "acked", id: 5 }],
    [{ type: "publish", id: 5, packet: pkt("c") }], // id reused by a new message: sent last
  );
  assert.deepEqual(s.load().outgoing.map((p) => [p.id, p.packet.topic]), [[2, "b"], [5, "c"]]);
});

test("MemoryStore marks a publish released on pubrel, and ignores pubrel/acked for unknown ids", () => {
  const s = after([{ type: "publish", id: 1, packet: pkt("a", "", { qos: 2 }) }], [{ type: "pubrel", id: 1 }], [
    { type: "pubrel", id: 99 },
    { type: "acked", id: 98 },
  ]);
  assert.deepEqual(s.load().outgoing.map((p) => [p.id, p.released]), [[1, true]]);
});

test("MemoryStore queues by key (returned in key order) and dequeues", () => {
  const s = after(
    [{ type: "queue", key: 10, packet: pkt("x") }, { type: "queue", key: 11, packet: pkt("y") }],
    [{ type: "dequeue", key: 10 }, { type: "queue", key: 3, packet: pkt("z") }],
  );
  assert.deepEqual(s.load().queued.map((q) => [q.key, q.packet.topic]), [[3, "z"], [11, "y"]]);
});

test("MemoryStore keeps received ids until released", () => {
  const s = after([{ type: "received", id: 4 }, { type: "received", id: 2 }, { type: "received", id: 4 }], [
    { type: "released", id: 4 },
  ]);
  assert.deepEqual(s.load().incoming, [2]);
});

test("MemoryStore clear incoming forgets received ids; clear outgoing forgets publishes and queued ones", () => {
  const base: StoreChange[] = [
    { type: "publish", id: 8, packet: pkt("a") },
    { type: "queue", key: 1, packet: pkt("b") },
    { type: "received", id: 3 },
  ];
  assert.deepEqual(after(base, [{ type: "clear", what: "incoming" }]).load(), {
    ...after(base).load(),
    incoming: [],
  });
  assert.deepEqual(after(base, [{ type: "clear", what: "outgoing" }]).load(), {
    outgoing: [],
    queued: [],
    incoming: [3],
    lastPacketId: 8,
  });
});

test("MemoryStore lastPacketId is the id of the latest publish change, not the largest", () => {
  const s = after([{ type: "publish", id: 65535, packet: pkt("a") }], [{ type: "publish", id: 1, packet: pkt("b") }], [
    { type: "acked", id: 1 },
  ]);
  assert.equal(s.load().lastPacketId, 1);
});

test("MemoryStore.load() returns copies: changing them does not change the store", () => {
  const s = after([{ type: "publish", id: 1, packet: pkt("a") }, { type: "received", id: 2 }]);
  const got = s.load();
  got.outgoing[0]!.released = true;
  got.outgoing.pop();
  got.incoming.push(5);
  assert.deepEqual(s.load().outgoing.map((p) => p.released), [false]);
  assert.deepEqual(s.load().incoming, [2]);
});

test("MemoryStore.stage() data appears only with the next commit, copied, and a later stage replaces it", () => {
  const s = new MemoryStore();
  const buf = new Uint8Array([1]);
  s.stage(buf);
  buf[0] = 9; // the caller reuses its buffer
  s.stage(new Uint8Array([2]));
  assert.equal(s.data, null);
  s.commit([{ type: "received", id: 1 }]);
  assert.deepEqual(s.data, new Uint8Array([2]));
  s.commit([{ type: "released", id: 1 }]);
  assert.deepEqual(s.data, new Uint8Array([2]), "a commit without staged data keeps the last data");
  s.stage(new Uint8Array(0));
  s.commit([]);
  assert.deepEqual(s.data, new Uint8Array(0), "empty data is data");
  assert.throws(() => s.stage("x" as unknown as Uint8Array), /TypeError: stage\(\) data must be a Uint8Array, got "x"/);
});

test("MemoryStore.commit() refuses an unknown change type", () => {
  assert.throws(() => new MemoryStore().commit([{ type: "x" } as unknown as StoreChange]), /TypeError: .*"x"/);
});
