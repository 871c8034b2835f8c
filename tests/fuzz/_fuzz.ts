/**
 * The decoder fuzzer: a seeded PRNG, input generators (random bytes and
 * mutations of the codec fixtures), and a differential oracle against the
 * independent `mqtt-packet` parser (a dev dependency, never shipped).
 *
 * Used by `tests/fuzz/fuzz_test.ts` (small count) and `scripts/fuzz.ts`
 * (the long run).
 *
 * @module
 */
import { Buffer } from "node:buffer";
import mqttPacket from "mqtt-packet";
import { PacketDecoder } from "../../src/codec/decode.ts";
import { MalformedPacketError } from "../../src/codec/errors.ts";
import type { Packet } from "../../src/codec/packets.ts";
import { FIXTURES } from "../codec/_fixtures.ts";

// --- PRNG -------------------------------------------------------------------

export { Rng } from "../_rng.ts";
import { Rng } from "../_rng.ts";

// --- generators --------------------------------------------------------------

/** A variable byte integer in `size` bytes (non-minimal or overlong forms allowed, unlike the codec's). */
function varint(n: number, size?: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  while (size !== undefined && out.length < size) {
    out[out.length - 1]! |= 0x80;
    out.push(0);
  }
  return out;
}

interface Split {
  first: number;
  body: Uint8Array;
}

function split(bytes: Uint8Array): Split {
  let i = 1;
  while (bytes[i]! & 0x80) i++;
  return { first: bytes[0]!, body: bytes.subarray(i + 1) };
}

function join(first: number, rl: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + rl.length + body.length);
  out[0] = first;
  out.set(rl, 1);
  out.set(body, 1 + rl.length);
  return out;
}

/** A well-formed packet rebuilt from its parts (correct remaining length). */
function rebuild(first: number, body: Uint8Array): Uint8Array {
  return join(first, varint(body.length), body);
}

const SEEDS = FIXTURES.map((f) => f.bytes);
const VALID_FIRST = [
  0x10,
  0x20,
  0x30,
  0x31,
  0x32,
  0x33,
  0x34,
  0x35,
  0x3a,
  0x3b,
  0x3c,
  0x3d,
  0x40,
  0x50,
  0x62,
  0x70,
  0x82,
  0x90,
  0xa2,
  0xb0,
  0xc0,
  0xd0,
  0xe0,
];
const NASTY = [0x00, 0xff, 0xc0, 0xc1, 0xed, 0x80, 0xf4, 0xf8, 0x23, 0x2b, 0x2f, 0x24, 0x7f];

type Mutator = (rng: Rng) => Uint8Array;

function seed(rng: Rng): Split {
  return split(rng.pick(SEEDS));
}

function withByte(body: Uint8Array, i: number, v: number): Uint8Array {
  const b = body.slice();
  if (b.length > 0) b[i % b.length] = v;
  return b;
}

/** Each generator, by name; the fuzzer draws them uniformly. */
export const GENERATORS: Record<string, Mutator> = {
  randomBytes: (rng) => rng.bytes(rng.int(48)),
  randomBody: (rng) => rebuild(rng.pick(VALID_FIRST), rng.bytes(rng.int(24))),
  randomBodyAnyFirst: (rng) => rebuild(rng.u32() & 0xff, rng.bytes(rng.int(24))),
  valid: (rng) => rng.pick(SEEDS).slice(),
  flipBit: (rng) => {
    const b = rng.pick(SEEDS).slice();
    const i = rng.int(b.length);
    b[i]! ^= 1 << rng.int(8);
    return b;
  },
  flipFlags: (rng) => {
    const { first, body } = seed(rng);
    return rebuild(first ^ (1 + rng.int(15)), body);
  },
  setType: (rng) => {
    const { first, body } = seed(rng);
    return rebuild((rng.int(16) << 4) | (first & 0x0f), body);
  },
  qos3: (rng) => {
    const { body } = seed(rng);
    return rebuild(0x36 | rng.pick([0, 1, 8, 9]), body);
  },
  wrongLength: (rng) => {
    const { first, body } = seed(rng);
    const rl = Math.max(0, body.length + rng.pick([-3, -2, -1, 1, 2, 3, 100]));
    return join(first, varint(rl), body);
  },
  truncate: (rng) => {
    const b = rng.pick(SEEDS);
    return b.slice(0, rng.int(b.length));
  },
  oversizedLength: (rng) => {
    const { first, body } = seed(rng);
    const rl = rng.pick([16_384, 2_097_151, 2_097_152, 268_435_455, 127 + rng.int(1000)]);
    return join(first, varint(rl), body);
  },
  fiveByteLength: (rng) => {
    const { first, body } = seed(rng);
    return join(first, [0xff, 0xff, 0xff, 0xff, rng.int(128)], body);
  },
  nonMinimalLength: (rng) => {
    const { first, body } = seed(rng);
    return join(first, varint(body.length, 2 + rng.int(3)), body);
  },
  nastyByte: (rng) => {
    const { first, body } = seed(rng);
    return rebuild(first, withByte(body, rng.int(1 << 16), rng.pick(NASTY)));
  },
  invalidUtf8: (rng) => {
    const { first, body } = seed(rng);
    // Byte 2 is the first character of a topic, a client id's length or a packet id.
    return rebuild(first, withByte(body, 2 + rng.int(4), rng.pick([0xff, 0xc0, 0x80, 0xed, 0xf8])));
  },
  packetIdZero: (rng) => {
    const { first, body } = seed(rng);
    const b = body.slice();
    const at = rng.int(Math.max(1, b.length - 1));
    if (b.length >= 2) b[at] = b[at + 1] = 0;
    return rebuild(first, b);
  },
  insertByte: (rng) => {
    const { first, body } = seed(rng);
    const at = rng.int(body.length + 1);
    const b = new Uint8Array(body.length + 1);
    b.set(body.subarray(0, at));
    b[at] = rng.u32() & 0xff;
    b.set(body.subarray(at), at + 1);
    return rebuild(first, b);
  },
  deleteByte: (rng) => {
    const { first, body } = seed(rng);
    if (body.length === 0) return rebuild(first, body);
    const at = rng.int(body.length);
    const b = new Uint8Array(body.length - 1);
    b.set(body.subarray(0, at));
    b.set(body.subarray(at + 1), at);
    return rebuild(first, b);
  },
  concat: (rng) => {
    const a = GENERATORS[rng.pick(SINGLE)]!(rng);
    const b = GENERATORS[rng.pick(SINGLE)]!(rng);
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  },
};

const SINGLE = Object.keys(GENERATORS).filter((k) => k !== "concat");
const NAMES = Object.keys(GENERATORS);

/** Draw one input: the generator's name and the bytes. */
export function generate(rng: Rng): [string, Uint8Array] {
  const name = rng.pick(NAMES);
  return [name, GENERATORS[name]!(rng)];
}

// --- outcomes ------------------------------------------------------------------

/** What a decoder made of one input. */
export interface Outcome {
  /** Canonical text of each packet decoded, in order. */
  packets: string[];
  /** "clean": all bytes consumed; "incomplete": waiting for more; "error": refused. */
  end: "clean" | "incomplete" | "error";
  /** The error message when `end` is "error". */
  error?: string;
}

function hexOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += b[i]!.toString(16).padStart(2, "0");
  return s;
}

/** One canonical text for a packet, from either decoder. */
function canon(p: Record<string, unknown>): string {
  return JSON.stringify(p, (_k, v) => (v instanceof Uint8Array ? "0x" + hexOf(v) : v));
}

/** Thrown by {@linkcode decodeOurs} when the decoder raised anything but MalformedPacketError. */
export class DecoderBug extends Error {
  constructor(readonly input: Uint8Array, readonly thrown: unknown) {
    super(`decoder raised ${String(thrown)} on ${hexOf(input)}`);
  }
}

const LOOP_BOUND = 1_000_000;

/**
 * Run our decoder over `chunks` (fed in order). Throws {@linkcode DecoderBug}
 * if anything other than a MalformedPacketError escapes, or if it loops.
 */
export function decodeOurs(input: Uint8Array, chunks: Uint8Array[] = [input]): Outcome {
  const d = new PacketDecoder();
  const packets: string[] = [];
  let guard = 0;
  try {
    for (const c of chunks) {
      d.feed(c);
      for (let p: Packet | null = d.next(); p; p = d.next()) {
        packets.push(canon(p as unknown as Record<string, unknown>));
        if (++guard > LOOP_BOUND) throw new Error("decoder loops");
      }
    }
  } catch (e) {
    if (e instanceof MalformedPacketError) return { packets, end: "error", error: e.message };
    throw new DecoderBug(input, e);
  }
  return { packets, end: d.buffered > 0 ? "incomplete" : "clean" };
}

/** mqtt-packet's packet, reshaped as ours so fields can be compared. */
// deno-lint-ignore no-explicit-any
function fromOracle(p: any): Record<string, unknown> {
  const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b);
  switch (p.cmd) {
    case "connect": {
      const out: Record<string, unknown> = {
        type: "connect",
        clientId: p.clientId,
        cleanSession: p.clean,
        keepalive: p.keepalive,
      };
      if (p.will) {
        out.will = { topic: p.will.topic, payload: u8(p.will.payload), qos: p.will.qos, retain: p.will.retain };
      }
      if (p.username !== undefined) out.username = p.username;
      if (p.password !== undefined) out.password = u8(p.password);
      return out;
    }
    case "connack":
      return { type: "connack", sessionPresent: p.sessionPresent, returnCode: p.returnCode };
    case "publish": {
      const out: Record<string, unknown> = {
        type: "publish",
        topic: p.topic,
        payload: u8(p.payload),
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
      };
      if (p.qos > 0) out.packetId = p.messageId;
      return out;
    }
    case "puback":
    case "pubrec":
    case "pubrel":
    case "pubcomp":
    case "unsuback":
      return { type: p.cmd, packetId: p.messageId };
    case "subscribe":
      return {
        type: "subscribe",
        packetId: p.messageId,
        // deno-lint-ignore no-explicit-any
        subscriptions: p.subscriptions.map((s: any) => ({ topic: s.topic, qos: s.qos })),
      };
    case "suback":
      return { type: "suback", packetId: p.messageId, returnCodes: [...p.granted] };
    case "unsubscribe":
      return { type: "unsubscribe", packetId: p.messageId, topics: [...p.unsubscriptions] };
    default:
      return { type: p.cmd };
  }
}

/** Run mqtt-packet (MQTT 3.1.1 mode) over the input. A throw from it is reported as "oracle crash". */
export function decodeOracle(input: Uint8Array): Outcome {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: string[] = [];
  let error: string | undefined;
  // deno-lint-ignore no-explicit-any
  parser.on("packet", (p: any) => {
    if (error === undefined) packets.push(canon(fromOracle(p)));
  });
  parser.on("error", (e: Error) => {
    error ??= e.message;
  });
  let left: number;
  try {
    left = parser.parse(Buffer.from(input.buffer, input.byteOffset, input.length));
  } catch (e) {
    return { packets, end: "error", error: `oracle crash: ${String(e)}` };
  }
  if (error !== undefined) return { packets, end: "error", error };
  // parse() reports the bytes left in its list, but a fixed header it has
  // already consumed shows only in its state counter.
  const midPacket = (parser as unknown as { _stateCounter: number })._stateCounter !== 0;
  return { packets, end: left > 0 || midPacket ? "incomplete" : "clean" };
}

// --- the allow-list ----------------------------------------------------------

/**
 * Known, justified disagreements with mqtt-packet. Each entry names the rule,
 * says which side is right and why, and matches the error message of the
 * decoder that refused. Everything else is a disagreement to investigate.
 */
export const ALLOWED: { id: string; side: "ours" | "oracle"; match: RegExp; why: string }[] = [
  {
    id: "utf8",
    side: "ours",
    match: /is not valid UTF-8/,
    why: "mqtt-packet decodes strings with Buffer#toString('utf8'), replacing bad bytes with U+FFFD; " +
      "MQTT-1.5.3-1 says ill-formed UTF-8 is a protocol violation.",
  },
  {
    id: "nul",
    side: "ours",
    match: /contains U\+0000/,
    why: "mqtt-packet does not check for U+0000; MQTT-1.5.3-2 forbids it.",
  },
  {
    id: "publish-wildcard",
    side: "ours",
    match: /PUBLISH topic .* contains wildcards/,
    why: "mqtt-packet does not check PUBLISH topic names; MQTT-3.3.2-2 forbids wildcards in them.",
  },
  {
    id: "publish-empty-topic",
    side: "ours",
    match: /PUBLISH topic must not be empty/,
    why: "mqtt-packet accepts a zero-length topic (valid only with MQTT 5 topic aliases); MQTT-4.7.3-1 forbids it.",
  },
  {
    id: "publish-dup-qos0",
    side: "ours",
    match: /QoS 0 must have DUP 0/,
    why: "mqtt-packet does not check DUP on QoS 0; MQTT-3.3.1-2 requires it to be 0.",
  },
  {
    id: "packet-id-past-end",
    side: "ours",
    match: /(PUBLISH|SUBSCRIBE|UNSUBSCRIBE) is too short for its packet identifier/,
    why: "mqtt-packet reads the packet id of a QoS 1/2 PUBLISH, SUBSCRIBE or UNSUBSCRIBE past the end of the " +
      "packet (messageId -1 when the buffer ends, or bytes of the next packet); MQTT-2.3.1 puts it inside.",
  },
  {
    id: "packet-id-zero",
    side: "ours",
    match: /packet identifier must not be 0/,
    why: "mqtt-packet accepts packet id 0; MQTT-2.3.1-1 requires a non-zero identifier.",
  },
  {
    id: "connack-code",
    side: "ours",
    match: /CONNACK return code \d+ is reserved|CONNACK refusing the connection must have session present 0/,
    why: "mqtt-packet does not range-check CONNACK return codes nor session present on refusal " +
      "(MQTT-3.2.2.3 reserves 6-255; MQTT-3.2.2-4 requires session present 0 with a non-zero code).",
  },
  {
    id: "exact-length",
    side: "ours",
    match: /remaining length must be \d+, got \d+/,
    why: "mqtt-packet ignores extra bytes in CONNACK/PUBACK/PUBREC/PUBREL/PUBCOMP/PINGREQ/PINGRESP/DISCONNECT " +
      "(and short CONNACKs read the next packet's bytes); the 3.1.1 tables fix these lengths (2 or 0).",
  },
  {
    id: "connect-trailing",
    side: "ours",
    match: /CONNECT has \d+ unexpected trailing bytes/,
    why: "mqtt-packet ignores bytes after the last CONNECT field; they make the packet malformed.",
  },
  {
    id: "connect-other-versions",
    side: "ours",
    match: /CONNECT protocol (name must be "MQTT"|level must be 4)/,
    why: "mqtt-packet also serves MQTT 3.1 (MQIsdp, level 3), 5, and the bridge bit (level | 0x80); " +
      "this codec is 3.1.1 only (MQTT-3.1.2-1/2).",
  },
  {
    id: "connect-will-qos3",
    side: "ours",
    match: /CONNECT will QoS must not be 3/,
    why: "mqtt-packet does not check the will QoS; MQTT-3.1.2-14 forbids 3.",
  },
  {
    id: "connect-password-without-user",
    side: "ours",
    match: /CONNECT password flag needs the user name flag/,
    why: "mqtt-packet accepts a password without a user name (allowed in MQTT 5); MQTT-3.1.2-22 forbids it in 3.1.1.",
  },
  {
    id: "empty-subscribe",
    side: "ours",
    match: /(SUBSCRIBE|UNSUBSCRIBE) must carry at least one topic filter/,
    why: "mqtt-packet accepts a SUBSCRIBE/UNSUBSCRIBE with a packet id and no filter when the remaining length is 2; " +
      "MQTT-3.8.3-3 and MQTT-3.10.3-2 require at least one.",
  },
  {
    id: "suback-short",
    side: "ours",
    match: /SUBACK remaining length must be at least 3/,
    why: "mqtt-packet accepts a SUBACK with no return code; MQTT-3.9.3 requires one per filter (at least one).",
  },
  {
    id: "reserved-type",
    side: "ours",
    match: /Unknown packet type (0|15)/,
    why: "type 0 is reserved and 15 is AUTH, which exists only in MQTT 5 [MQTT-2.2.1]: we refuse at the first " +
      "byte, mqtt-packet only once the whole body has arrived ('Not supported'), so an incomplete one waits.",
  },
];

/** The verdict on one input. */
export type Verdict =
  | { agree: true }
  | { agree: false; allowed: string | null; detail: string };

/** Compare two outcomes, applying the allow-list. */
export function judge(ours: Outcome, theirs: Outcome): Verdict {
  const n = Math.min(ours.packets.length, theirs.packets.length);
  for (let i = 0; i < n; i++) {
    if (ours.packets[i] !== theirs.packets[i]) {
      return {
        agree: false,
        allowed: null,
        detail: `fields differ: ours ${ours.packets[i]} oracle ${theirs.packets[i]}`,
      };
    }
  }
  if (ours.packets.length === theirs.packets.length && ours.end === theirs.end) return { agree: true };
  if (ours.packets.length === theirs.packets.length && ours.end === "error" && theirs.end === "error") {
    return { agree: true };
  }
  // Which side refused the first packet they disagree on?
  if (ours.end === "error" && ours.packets.length <= theirs.packets.length) {
    const rule = ALLOWED.find((a) => a.side === "ours" && a.match.test(ours.error!));
    return { agree: false, allowed: rule?.id ?? null, detail: `we refuse (${ours.error}), oracle ${theirs.end}` };
  }
  if (theirs.end === "error" && theirs.packets.length <= ours.packets.length) {
    const rule = ALLOWED.find((a) => a.side === "oracle" && a.match.test(theirs.error!));
    return { agree: false, allowed: rule?.id ?? null, detail: `oracle refuses (${theirs.error}), we ${ours.end}` };
  }
  return {
    agree: false,
    allowed: null,
    detail: `ours ${ours.packets.length} packets then ${ours.end}, oracle ${theirs.packets.length} then ${theirs.end}`,
  };
}

// --- one run -------------------------------------------------------------------

/** Totals of a run. */
export interface Report {
  inputs: number;
  bytes: number;
  /** Our outcome by kind ("clean", "incomplete", or the error's rule). */
  outcomes: Record<string, number>;
  agreed: number;
  /** Allowed disagreements by rule id. */
  allowed: Record<string, number>;
  /** Unexplained disagreements (the first few, with their input). */
  unexplained: { input: string; generator: string; detail: string }[];
  unexplainedCount: number;
  /** Runs where feeding in pieces gave a different outcome than feeding whole. */
  splitMismatches: { input: string; detail: string }[];
  /** Anything but MalformedPacketError raised by our decoder. */
  bugs: { input: string; thrown: string }[];
  /** Errors thrown by mqtt-packet itself. */
  oracleCrashes: number;
  ms: number;
}

function errorKind(o: Outcome): string {
  if (o.end !== "error") return o.end;
  return o.error!.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, "N").replace(/ \(first byte .*\)/, "");
}

/**
 * Fuzz `count` inputs from `seed`. `oracle` turns the differential check on;
 * `splitEvery` checks that one input in that many decodes the same when fed in
 * random pieces (and one byte at a time).
 */
export function run(
  count: number,
  seed: number,
  options: { oracle?: boolean; splitEvery?: number; now?: () => number } = {},
): Report {
  const rng = new Rng(seed);
  const now = options.now ?? (() => performance.now());
  const oracle = options.oracle ?? true;
  const splitEvery = options.splitEvery ?? 4;
  const r: Report = {
    inputs: 0,
    bytes: 0,
    outcomes: {},
    agreed: 0,
    allowed: {},
    unexplained: [],
    unexplainedCount: 0,
    splitMismatches: [],
    bugs: [],
    oracleCrashes: 0,
    ms: 0,
  };
  const t0 = now();
  for (let i = 0; i < count; i++) {
    const [gen, input] = generate(rng);
    r.inputs++;
    r.bytes += input.length;
    let ours: Outcome;
    try {
      ours = decodeOurs(input);
    } catch (e) {
      if (!(e instanceof DecoderBug)) throw e;
      r.bugs.push({ input: hexOf(input), thrown: String(e.thrown) });
      continue;
    }
    const kind = errorKind(ours);
    r.outcomes[kind] = (r.outcomes[kind] ?? 0) + 1;
    if (splitEvery > 0 && i % splitEvery === 0 && input.length > 1) {
      const pieces: Uint8Array[] = [];
      for (let o = 0; o < input.length;) {
        const n = 1 + rng.int(input.length - o);
        pieces.push(input.slice(o, o + n));
        o += n;
      }
      const bytewise = Array.from(input, (x) => new Uint8Array([x]));
      for (const chunks of [pieces, bytewise]) {
        try {
          const again = decodeOurs(input, chunks);
          if (
            canon(again as unknown as Record<string, unknown>) !== canon(ours as unknown as Record<string, unknown>)
          ) {
            r.splitMismatches.push({
              input: hexOf(input),
              detail: `whole ${canon(ours as never)} pieces ${canon(again as never)}`,
            });
          }
        } catch (e) {
          r.bugs.push({ input: hexOf(input), thrown: String(e instanceof DecoderBug ? e.thrown : e) });
        }
      }
    }
    if (!oracle) continue;
    const theirs = decodeOracle(input);
    if (theirs.error?.startsWith("oracle crash")) r.oracleCrashes++;
    const v = judge(ours, theirs);
    if (v.agree) r.agreed++;
    else if (v.allowed) r.allowed[v.allowed] = (r.allowed[v.allowed] ?? 0) + 1;
    else {
      r.unexplainedCount++;
      if (r.unexplained.length < 20) r.unexplained.push({ input: hexOf(input), generator: gen, detail: v.detail });
    }
  }
  r.ms = now() - t0;
  return r;
}
