import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHeader, crc32, decodeLog, encodeRecord, encodeSnapshot, HEADER } from "../../src/store/_log.ts";
import { SessionState } from "../../src/store/memory.ts";
import type { StoreChange } from "../../src/store/types.ts";
import { EVERY_CHANGE, EVERY_STATE, pkt, V5 } from "./_util.ts";

/** A log: the header, then each batch as a record; also where each record starts. */
function log(...batches: StoreChange[][]): { bytes: Uint8Array; starts: number[] } {
  const records = batches.map((b) => encodeRecord(b));
  const bytes = new Uint8Array(HEADER.length + records.reduce((n, r) => n + r.length, 0));
  bytes.set(HEADER);
  const starts: number[] = [];
  let o = HEADER.length;
  for (const r of records) {
    starts.push(o);
    bytes.set(r, o);
    o += r.length;
  }
  return { bytes, starts };
}

/** A frame around `body` with a correct CRC, at offset 0. */
function frame(body: number[]): Uint8Array {
  const b = new Uint8Array(9 + body.length);
  const v = new DataView(b.buffer);
  b[0] = 0xa1;
  v.setUint32(1, body.length, true);
  b.set(body, 5);
  v.setUint32(5 + body.length, crc32(b, 1, 5 + body.length), true);
  return b;
}

test("crc32() matches the IEEE check value", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test("encodeRecord() and decodeLog() round-trip every change type, v5 properties, empty and large payloads", () => {
  const large = pkt("large", "");
  large.payload = new Uint8Array(3 * 1024 * 1024 + 3).map((_, i) => i * 31);
  const changes: StoreChange[] = [
    ...EVERY_CHANGE,
    { type: "clear", what: "outgoing" },
    { type: "dequeue", key: Number.MAX_SAFE_INTEGER },
    { type: "publish", id: 2, packet: large },
    { type: "publish", id: 3, packet: pkt("no/id", "", { qos: 1, dup: true, packetId: 3 }) },
  ];
  const record = encodeRecord(changes, new Uint8Array([1, 2, 3]), 0);
  assert.equal(record[0], 0xa1);
  assert.equal(new DataView(record.buffer, record.byteOffset).getUint32(1, true), record.length - 9);
  const { records, end } = decodeLog(record, 0);
  assert.equal(end, record.length);
  assert.deepEqual(records, [{ changes, data: new Uint8Array([1, 2, 3]), lastPacketId: 0 }]);
  const v5 = records[0]!.changes[1] as { packet: typeof V5 };
  assert.deepEqual(v5.packet.properties, V5.properties);
});

test("decodeLog() returns no data and no lastPacketId when a record carries none", () => {
  const { records } = decodeLog(encodeRecord([{ type: "acked", id: 4 }]), 0);
  assert.deepEqual(records, [{ changes: [{ type: "acked", id: 4 }] }]);
});

test("encodeSnapshot() replays to the same session, lastPacketId included", () => {
  const s = new SessionState();
  s.apply(EVERY_CHANGE);
  s.apply([{ type: "publish", id: 12, packet: pkt("x") }, { type: "acked", id: 12 }]);
  const { records } = decodeLog(encodeSnapshot(s.session(), new Uint8Array([5])), 0);
  const t = new SessionState();
  t.apply(records[0]!.changes, records[0]!.data ?? null);
  t.lastPacketId = records[0]!.lastPacketId!;
  assert.deepEqual(t.session(), { ...EVERY_STATE, lastPacketId: 12 });
  assert.deepEqual(t.data, new Uint8Array([5]));
});

test("decodeLog() ends the log at a torn last record, cut at every byte offset", () => {
  const { bytes, starts } = log([EVERY_CHANGE[0]!], [EVERY_CHANGE[1]!, EVERY_CHANGE[3]!]);
  const last = starts[1]!;
  for (let cut = last; cut < bytes.length; cut++) {
    const { records, end } = decodeLog(bytes.subarray(0, cut), HEADER.length);
    assert.equal(end, last, `cut at ${cut}`);
    assert.deepEqual(records.map((r) => r.changes), [[EVERY_CHANGE[0]]]);
  }
  assert.equal(decodeLog(bytes, HEADER.length).records.length, 2);
});

test("decodeLog() drops a record with any flipped byte, and everything after it", () => {
  const { bytes, starts } = log([{ type: "received", id: 1 }], [EVERY_CHANGE[1]!], [{ type: "received", id: 2 }]);
  for (let i = starts[1]!; i < starts[2]!; i++) {
    const bad = bytes.slice();
    bad[i]! ^= 0x5a;
    const { records, end } = decodeLog(bad, HEADER.length);
    assert.equal(end, starts[1], `byte ${i} flipped`);
    assert.deepEqual(records.map((r) => r.changes), [[{ type: "received", id: 1 }]]);
  }
});

test("decodeLog() ends the log at zeros (a file extended but never written)", () => {
  const { bytes } = log([{ type: "received", id: 1 }]);
  const padded = new Uint8Array(bytes.length + 64);
  padded.set(bytes);
  assert.equal(decodeLog(padded, HEADER.length).end, bytes.length);
});

test("decodeLog() throws, naming the offset, for a record with a valid CRC and invalid content", () => {
  const cases: [number[], RegExp][] = [
    [[11], /record at byte 0 has a valid CRC but change type 11 at byte 5 is unknown/],
    [[0], /change type 0 at byte 5 is unknown/],
    [[3, 0, 0], /packet id 0 at byte 6 is out of range/],
    [[8, 2], /clear target 2 at byte 6 is unknown/],
    [[3, 1], /is cut short at byte 6/],
    [[5, 0, 0, 0, 0, 0, 0, 0x20, 0], /queue key at byte 6 is over 2\^53/],
    [[5, 255, 255, 255, 255, 255, 255, 255, 255], /queue key at byte 6 is over 2\^53/],
    [[1, 1, 0, 3, 0, 0, 0, 0, 0, 0], /packet flags 0x3 at byte 8 are invalid/],
    [[1, 1, 0, 0x20, 0, 0, 2, 0x7f, 0, 0, 0, 0, 0], /properties are invalid: .*0x7f is unknown/],
    [[1, 1, 0, 0, 1, 0, 0xff, 0, 0, 0, 0], /topic at byte 9 is not valid UTF-8/],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => decodeLog(frame(body), 0), message, JSON.stringify(body));
  }
  const good = log([{ type: "received", id: 1 }]).bytes;
  const both = new Uint8Array(good.length + 10);
  both.set(good);
  both.set(frame([11]), good.length);
  assert.throws(() => decodeLog(both, HEADER.length), new RegExp(`record at byte ${good.length} `));
});

test("encodeRecord() refuses values it cannot store, naming the change and quoting the value", () => {
  const cases: [StoreChange, RegExp][] = [
    [{ type: "acked", id: 0 }, /RangeError: Cannot store "acked" change id: expected an integer in 1\.\.65535, got 0/],
    [{ type: "publish", id: 65536, packet: pkt("a") }, /"publish" change id: .* got 65536/],
    [{ type: "dequeue", key: -1 }, /"dequeue" change key: .* got -1/],
    [{ type: "queue", key: 1.5, packet: pkt("a") }, /got 1\.5/],
    [{ type: "publish", id: 1, packet: pkt("a", "", { qos: 3 as 1 }) }, /qos: expected an integer in 0\.\.2, got 3/],
    [{ type: "publish", id: 1, packet: pkt("a", "", { packetId: 0 }) }, /packetId: .* got 0/],
    [{ type: "clear", what: "all" as "incoming" }, /what must be "incoming" or "outgoing", got "all"/],
    [{ type: "nope" } as unknown as StoreChange, /TypeError: Cannot store change "nope": unknown change type/],
    [{ type: "publish", id: 1, packet: { ...pkt("a"), payload: "x" as unknown as Uint8Array } }, /payload must be/],
    [{ type: "publish", id: 1, packet: pkt("a\u0000") }, /topic/],
    [{ type: "publish", id: 1, packet: pkt("a", "", { properties: { bogus: 1 } } as never) }, /"bogus"/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => encodeRecord([change]), (e: Error) => message.test(String(e)), String(message));
  }
  assert.throws(() => encodeRecord([], "x" as unknown as Uint8Array), /TypeError: Cannot store data/);
  assert.throws(() => encodeRecord([], null, 65536), /lastPacketId/);
});

test("checkHeader() accepts the header, treats an empty or torn header as a new file, refuses anything else", () => {
  assert.equal(checkHeader(HEADER), false);
  assert.equal(checkHeader(new Uint8Array(0)), true);
  assert.equal(checkHeader(HEADER.subarray(0, 3)), true);
  assert.throws(() => checkHeader(new Uint8Array([0x55, 0x4d, 0x51, 0x53, 2])), /format version 2 .*reads version 1/);
  assert.throws(
    () => checkHeader(new TextEncoder().encode('{"a":1}')),
    /Not a umqtt session log: expected the header "UMQS" 01, got bytes \[7b 22 61 22 3a\]/,
  );
  assert.throws(() => checkHeader(new Uint8Array([0x55, 0x4d, 0x51, 0x54, 1])), /Not a umqtt session log/);
});
