/**
 * The session log's record codec, pure and sans-I/O (no file system here).
 *
 * A log file is the header `"UMQS"` + format version 1, then records:
 *
 * | bytes | field                                                   |
 * | ----- | ------------------------------------------------------- |
 * | 1     | `0xA1`: a record, format 1                              |
 * | 4     | body length, little-endian                              |
 * | n     | body: entries, each a type byte and its fields          |
 * | 4     | CRC-32 (IEEE) of the length and the body, little-endian |
 *
 * Entries: 1 `publish` (u16 id, packet), 2 `pubrel`, 3 `acked` (u16 id),
 * 4 `queue` (u64 key, packet), 5 `dequeue` (u64 key), 6 `received`,
 * 7 `released` (u16 id), 8 `clear` (0 incoming, 1 outgoing), 9 application
 * data (u32 length, bytes), 10 last packet id (u16, in snapshots). A packet
 * is a flags byte (qos, retain 0x04, dup 0x08, packet id 0x10, properties
 * 0x20), the topic (u16 length, UTF-8), the packet id (u16), the MQTT 5.0
 * property block as the codec writes it, and the payload (u32 length).
 * Integers are little-endian except inside the property block.
 *
 * @module
 */
import type { PublishPacket } from "../codec/packets.ts";
import type { PublishPacketV5 } from "../codec/packets_v5.ts";
import { prepareProperties, propertiesSize, readProperties, writeProperties } from "../codec/properties.ts";
import { readRemainingLength } from "../codec/remaining_length.ts";
import { Reader } from "../codec/_read.ts";
import { show } from "../codec/_show.ts";
import { decodeUtf8, encodeUtf8 } from "../codec/utf8.ts";
import type { StoreChange, StoredSession } from "./types.ts";

/** The file header: `"UMQS"` and the format version. */
export const HEADER: Uint8Array = new Uint8Array([0x55, 0x4d, 0x51, 0x53, 1]);
const RECORD = 0xa1;
const TYPES = ["", "publish", "pubrel", "acked", "queue", "dequeue", "received", "released", "clear"] as const;
const DATA = 9;
const LAST_ID = 10;

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});

/** CRC-32 (IEEE 802.3, as in zlib) of `b[start..end)`. */
export function crc32(b: Uint8Array, start = 0, end: number = b.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One decoded record: changes in order, plus application data and a last packet id when it carries them. */
export interface LogRecord {
  /** The session changes. */
  changes: StoreChange[];
  /** Application data staged with the changes. */
  data?: Uint8Array;
  /** The last packet id given (snapshots only). */
  lastPacketId?: number;
}

/** A growable writer of bytes and little-endian unsigned integers. */
class Out {
  b = new Uint8Array(256);
  o = 0;
  room(n: number): void {
    if (this.o + n <= this.b.length) return;
    const b = new Uint8Array(Math.max(this.b.length * 2, this.o + n));
    b.set(this.b);
    this.b = b;
  }
  /** `n` in `size` bytes (exact up to 2^53). */
  uint(n: number, size: number): void {
    this.room(size);
    for (let i = 0; i < size; i++, n = Math.floor(n / 256)) this.b[this.o++] = n % 256;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.b.set(b, this.o);
    this.o += b.length;
  }
}

function int(v: unknown, min: number, max: number, what: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`Cannot store ${what}: expected an integer in ${min}..${max}, got ${show(v)}`);
  }
  return v;
}

function writePacket(out: Out, p: PublishPacket, what: string): void {
  if (typeof p !== "object" || p === null || p.type !== "publish") {
    throw new TypeError(`Cannot store ${what}: expected a PUBLISH packet, got ${show(p)}`);
  }
  if (!(p.payload instanceof Uint8Array)) throw new TypeError(`Cannot store ${what}: payload must be a Uint8Array`);
  const props = (p as PublishPacketV5).properties;
  const prepared = prepareProperties(props, 3, "stored PUBLISH");
  const hasProps = prepared.size > 0;
  const topic = encodeUtf8(p.topic, `${what} topic`);
  const hasId = p.packetId !== undefined;
  const flags = int(p.qos, 0, 2, `${what} qos`) | (p.retain ? 4 : 0) | (p.dup ? 8 : 0);
  out.uint(flags | (hasId ? 0x10 : 0) | (hasProps ? 0x20 : 0), 1);
  out.uint(topic.length, 2);
  out.bytes(topic);
  if (hasId) out.uint(int(p.packetId, 1, 0xffff, `${what} packetId`), 2);
  if (hasProps) {
    out.room(propertiesSize(prepared));
    out.o = writeProperties(out.b, out.o, prepared);
  }
  out.uint(p.payload.length, 4);
  out.bytes(p.payload);
}

/**
 * Encode one framed record holding `changes`, and `data` and
 * `lastPacketId` when given. Throws `TypeError`/`RangeError` naming the
 * change for a value that cannot be stored; nothing is encoded then.
 */
export function encodeRecord(
  changes: readonly StoreChange[],
  data: Uint8Array | null = null,
  lastPacketId?: number,
): Uint8Array {
  const out = new Out();
  out.o = 5; // magic and length, written last
  if (data !== null) {
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(`Cannot store data: expected a Uint8Array, got ${show(data)}`);
    }
    out.uint(DATA, 1);
    out.uint(data.length, 4);
    out.bytes(data);
  }
  for (const c of changes) {
    const what = `"${c?.type}" change`;
    const type = TYPES.indexOf(c?.type as (typeof TYPES)[number]);
    if (type < 1) throw new TypeError(`Cannot store change ${show(c?.type)}: unknown change type`);
    out.uint(type, 1);
    switch (c.type) {
      case "publish":
        out.uint(int(c.id, 1, 0xffff, `${what} id`), 2);
        writePacket(out, c.packet, what);
        break;
      case "queue":
        out.uint(int(c.key, 0, Number.MAX_SAFE_INTEGER, `${what} key`), 8);
        writePacket(out, c.packet, what);
        break;
      case "dequeue":
        out.uint(int(c.key, 0, Number.MAX_SAFE_INTEGER, `${what} key`), 8);
        break;
      case "clear":
        if (c.what !== "incoming" && c.what !== "outgoing") {
          throw new RangeError(`Cannot store ${what}: what must be "incoming" or "outgoing", got ${show(c.what)}`);
        }
        out.uint(c.what === "incoming" ? 0 : 1, 1);
        break;
      default:
        out.uint(int(c.id, 1, 0xffff, `${what} id`), 2);
    }
  }
  if (lastPacketId !== undefined) {
    out.uint(LAST_ID, 1);
    out.uint(int(lastPacketId, 0, 0xffff, "lastPacketId"), 2);
  }
  const end = out.o;
  out.o = 0;
  out.uint(RECORD, 1);
  out.uint(end - 5, 4);
  out.o = end;
  out.uint(crc32(out.b, 1, end), 4);
  return out.b.subarray(0, out.o);
}

/** The record a compacted file starts with: the live session and data, as changes. */
export function encodeSnapshot(s: StoredSession, data: Uint8Array | null): Uint8Array {
  const changes: StoreChange[] = [];
  for (const p of s.outgoing) {
    changes.push({ type: "publish", id: p.id, packet: p.packet });
    if (p.released) changes.push({ type: "pubrel", id: p.id });
  }
  for (const q of s.queued) changes.push({ type: "queue", key: q.key, packet: q.packet });
  for (const id of s.incoming) changes.push({ type: "received", id });
  return encodeRecord(changes, data, s.lastPacketId);
}

/**
 * Check a file's first bytes. Returns `true` for a new file (empty, or a
 * torn header write); throws an Error for anything that is not a version 1
 * session log.
 */
export function checkHeader(b: Uint8Array): boolean {
  if (b.length < HEADER.length && b.every((x, i) => x === HEADER[i])) return true;
  if (b.length >= HEADER.length && HEADER.subarray(0, 4).every((x, i) => x === b[i])) {
    if (b[4] === HEADER[4]) return false;
    throw new Error(`Unsupported session log format version ${b[4]} (this version of umqtt reads version 1)`);
  }
  const got = Array.from(b.subarray(0, 5), (x) => x.toString(16).padStart(2, "0")).join(" ");
  throw new Error(`Not a umqtt session log: expected the header "UMQS" 01, got bytes [${got}]`);
}

/** The little-endian unsigned integer of `size` bytes at `o`. */
function uintAt(b: Uint8Array, o: number, size: number): number {
  let n = 0;
  for (let i = size - 1; i >= 0; i--) n = n * 256 + b[o + i]!;
  return n;
}

/** A bounds-checked little-endian reader over one record's body; any overrun is corruption. */
class In {
  constructor(readonly b: Uint8Array, public o: number, readonly end: number, readonly at: number) {}
  fail(why: string): never {
    throw new Error(`Corrupt session log: the record at byte ${this.at} has a valid CRC but ${why}`);
  }
  take(n: number): number {
    if (this.o + n > this.end) this.fail(`is cut short at byte ${this.o}`);
    const o = this.o;
    this.o += n;
    return o;
  }
  uint(size: number): number {
    return uintAt(this.b, this.take(size), size);
  }
  id(min = 1): number {
    const id = this.uint(2);
    return id >= min ? id : this.fail(`packet id ${id} at byte ${this.o - 2} is out of range`);
  }
  key(): number {
    const k = this.uint(8);
    return Number.isSafeInteger(k) ? k : this.fail(`queue key at byte ${this.o - 8} is over 2^53`);
  }
  bytes(n: number): Uint8Array {
    const o = this.take(n);
    return this.b.slice(o, o + n);
  }
  packet(): PublishPacketV5 {
    const at = this.o;
    const flags = this.uint(1);
    if ((flags & 3) === 3 || flags & 0xc0) this.fail(`packet flags 0x${flags.toString(16)} at byte ${at} are invalid`);
    const topic = decodeUtf8(this.bytes(this.uint(2)));
    if (topic === null) this.fail(`the topic at byte ${at + 1} is not valid UTF-8`);
    const p: PublishPacketV5 = {
      type: "publish",
      topic,
      payload: new Uint8Array(0),
      qos: (flags & 3) as 0 | 1 | 2,
      retain: (flags & 4) !== 0,
      dup: (flags & 8) !== 0,
    };
    if (flags & 0x10) p.packetId = this.id();
    if (flags & 0x20) {
      let len: [number, number] | null = null;
      try {
        len = readRemainingLength(this.b, this.o, this.end);
      } catch { /* longer than 4 bytes: reported below */ }
      if (len === null) return this.fail(`the property length at byte ${this.o} is invalid`);
      const r = new Reader(this.bytes(len[0] + len[1]), "stored PUBLISH", 0);
      try {
        p.properties = readProperties(r, 3);
      } catch (e) {
        this.fail(`its properties are invalid: ${(e as Error).message}`);
      }
    }
    p.payload = this.bytes(this.uint(4));
    return p;
  }
}

/**
 * Decode the records in `b` from `start`. The first incomplete frame, or
 * one with a wrong record byte or CRC, ends the log: `end` is where the
 * valid prefix ends. A record whose CRC matches but whose content is
 * invalid is corruption, not a torn write: that throws an Error naming its
 * offset.
 */
export function decodeLog(b: Uint8Array, start: number): { records: LogRecord[]; end: number } {
  b = new Uint8Array(b.buffer, b.byteOffset, b.length); // a plain view: Node's Buffer.slice() would not copy
  const records: LogRecord[] = [];
  let o = start;
  while (o + 9 <= b.length && b[o] === RECORD) {
    const end = o + 5 + uintAt(b, o + 1, 4);
    if (end + 4 > b.length || uintAt(b, end, 4) !== crc32(b, o + 1, end)) break;
    records.push(readBody(new In(b, o + 5, end, o)));
    o = end + 4;
  }
  return { records, end: o };
}

function readBody(r: In): LogRecord {
  const rec: LogRecord = { changes: [] };
  const changes = rec.changes;
  while (r.o < r.end) {
    const at = r.o;
    const type = r.uint(1);
    switch (type) {
      case 1:
        changes.push({ type: "publish", id: r.id(), packet: r.packet() });
        break;
      case 2:
      case 3:
      case 6:
      case 7:
        changes.push({ type: TYPES[type] as "pubrel", id: r.id() });
        break;
      case 4:
        changes.push({ type: "queue", key: r.key(), packet: r.packet() });
        break;
      case 5:
        changes.push({ type: "dequeue", key: r.key() });
        break;
      case 8: {
        const w = r.uint(1);
        if (w > 1) r.fail(`clear target ${w} at byte ${at + 1} is unknown`);
        changes.push({ type: "clear", what: w === 0 ? "incoming" : "outgoing" });
        break;
      }
      case DATA:
        rec.data = r.bytes(r.uint(4));
        break;
      case LAST_ID:
        rec.lastPacketId = r.id(0);
        break;
      default:
        r.fail(`change type ${type} at byte ${at} is unknown`);
    }
  }
  return rec;
}
