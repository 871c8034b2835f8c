import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketDecoder } from "../../src/codec/decode.ts";
import { MalformedPacketError } from "../../src/codec/errors.ts";
import { hex } from "../_fake.ts";
import { cat, FIXTURES, repeat } from "../codec/_fixtures.ts";
import { ALLOWED, decodeOracle, decodeOurs, judge, Rng, run } from "./_fuzz.ts";

// The long run is `deno run -A scripts/fuzz.ts --count 3000000`; CI runs this small one.
const COUNT = 25_000;

test("PacketDecoder raises nothing but MalformedPacketError on seeded random and mutated inputs", () => {
  const r = run(COUNT, 0x5eed, { oracle: false, splitEvery: 2 });
  assert.equal(r.inputs, COUNT);
  assert.deepEqual(r.bugs, [], "errors other than MalformedPacketError escaped the decoder");
  assert.deepEqual(r.splitMismatches, [], "feeding in pieces changed the outcome");
  // The generators reach both sides: valid packets and many distinct refusals.
  assert.ok((r.outcomes.clean ?? 0) > COUNT / 10, `only ${r.outcomes.clean} inputs decoded cleanly`);
  assert.ok((r.outcomes.incomplete ?? 0) > COUNT / 50, `only ${r.outcomes.incomplete} inputs were incomplete`);
  assert.ok(Object.keys(r.outcomes).length > 60, `only ${Object.keys(r.outcomes).length} kinds of outcome`);
});

test("PacketDecoder agrees with mqtt-packet on every seeded input, except the reviewed allow-list", () => {
  const r = run(COUNT, 0xc0dec, { oracle: true, splitEvery: 0 });
  assert.deepEqual(r.bugs, []);
  assert.equal(r.oracleCrashes, 0);
  assert.equal(r.unexplainedCount, 0, JSON.stringify(r.unexplained, null, 1));
  assert.ok(r.agreed > COUNT * 0.7, `agreed on only ${r.agreed} of ${COUNT}`);
});

test("PacketDecoder and mqtt-packet decode every fixture to the same fields", () => {
  for (const f of FIXTURES) {
    const ours = decodeOurs(f.bytes);
    const theirs = decodeOracle(f.bytes);
    assert.equal(ours.end, "clean", f.name);
    assert.equal(ours.packets.length, 1, f.name);
    assert.deepEqual(theirs, ours, f.name);
  }
});

/** One input per allow-list rule: the oracle must accept it and we must refuse it for that rule. */
const ALLOWED_EXAMPLES: Record<string, string> = {
  "utf8": "30 04 00 02 c3 28",
  "nul": "30 04 00 02 61 00",
  "publish-wildcard": "30 05 00 03 61 2f 23",
  "publish-empty-topic": "30 02 00 00",
  "publish-dup-qos0": "38 03 00 01 61",
  "packet-id-past-end": "32 03 00 01 61",
  "packet-id-zero": "40 02 00 00",
  "connack-code": "20 02 00 06",
  "exact-length": "40 03 00 01 00",
  "connect-trailing": "10 0e 00 04 4d 51 54 54 04 02 00 00 00 00 ab cd",
  "connect-other-versions": "10 0e 00 06 4d 51 49 73 64 70 03 02 00 00 00 00",
  "connect-will-qos3": "10 11 00 04 4d 51 54 54 04 1e 00 00 00 00 00 01 77 00 00",
  "connect-password-without-user": "10 0f 00 04 4d 51 54 54 04 42 00 00 00 00 00 01 70",
  "empty-subscribe": "82 02 00 01",
  "suback-short": "90 02 00 01",
  "reserved-type": "00 05 00",
};

test("each allow-list entry is justified by an input mqtt-packet accepts and we refuse", () => {
  assert.deepEqual(Object.keys(ALLOWED_EXAMPLES).sort(), ALLOWED.map((a) => a.id).sort());
  for (const [id, input] of Object.entries(ALLOWED_EXAMPLES)) {
    const bytes = hex(input);
    const ours = decodeOurs(bytes);
    const theirs = decodeOracle(bytes);
    assert.equal(ours.end, "error", id);
    assert.notEqual(theirs.end, "error", `${id}: mqtt-packet refuses this too, so the entry is not needed`);
    const v = judge(ours, theirs);
    assert.equal(v.agree, false, id);
    assert.equal((v as { allowed: string | null }).allowed, id, `${id}: ${JSON.stringify(v)}`);
  }
});

test("judge() reports an unexplained disagreement when fields differ or the oracle alone refuses", () => {
  const a = { packets: ['{"type":"pingreq"}'], end: "clean" as const };
  const b = { packets: ['{"type":"pingresp"}'], end: "clean" as const };
  assert.equal((judge(a, b) as { allowed: string | null }).allowed, null);
  const refused = { packets: [], end: "error" as const, error: "Invalid header flag bits" };
  assert.equal((judge(a, refused) as { allowed: string | null }).allowed, null);
  const ours = { packets: [], end: "error" as const, error: "PUBLISH topic is not valid UTF-8" };
  assert.equal((judge(ours, { packets: [], end: "incomplete" }) as { allowed: string | null }).allowed, "utf8");
});

test("Rng gives the same sequence for the same seed on every runtime", () => {
  const r = new Rng(42);
  assert.deepEqual([r.u32(), r.u32(), r.u32()], [2581720956, 1925393290, 3661312704]);
});

/** Count the bytes the decoder copies (Uint8Array#set) while `fn` runs: work, not time. */
function bytesCopied(fn: () => void): number {
  const proto = Uint8Array.prototype as unknown as { set: (a: ArrayLike<number>, o?: number) => void };
  const original = proto.set;
  let copied = 0;
  proto.set = function (this: Uint8Array, a: ArrayLike<number>, o?: number): void {
    copied += a.length;
    return original.call(this, a, o);
  };
  try {
    fn();
  } finally {
    proto.set = original;
  }
  return copied;
}

function feedBytewise(stream: Uint8Array): number {
  const chunks = Array.from(stream, (x) => new Uint8Array([x]));
  let packets = 0;
  const copied = bytesCopied(() => {
    const d = new PacketDecoder();
    for (const c of chunks) {
      d.feed(c);
      while (d.next()) packets++;
    }
  });
  assert.ok(packets > 0);
  return copied;
}

test("PacketDecoder copies a linear number of bytes for N packets fed one byte at a time", () => {
  const one = cat(...FIXTURES.map((f) => f.bytes));
  const small = cat(...Array.from({ length: 10 }, () => one));
  const big = cat(...Array.from({ length: 40 }, () => one));
  const cs = feedBytewise(small);
  const cb = feedBytewise(big);
  assert.ok(cs >= small.length / 2, `copy counting saw only ${cs} bytes: it is not measuring the decoder`);
  assert.ok(cs <= 4 * small.length, `copied ${cs} bytes for ${small.length}`);
  assert.ok(cb <= 4 * big.length, `copied ${cb} bytes for ${big.length}`);
  const ratio = cb / cs;
  assert.ok(ratio < 4 * 1.25, `4x the input cost ${ratio.toFixed(2)}x the copying`);
});

test("PacketDecoder copies a linear number of bytes for one 1 MB packet fed byte by byte and in 1 KB chunks", () => {
  const payload = repeat(0x61, 1 << 20);
  const bytes = cat(hex("30 83 80 40 00 01 61"), payload); // remaining length 1048579
  assert.ok(feedBytewise(bytes) <= 4 * bytes.length);
  const copied = bytesCopied(() => {
    const d = new PacketDecoder();
    for (let o = 0; o < bytes.length; o += 1024) d.feed(bytes.slice(o, o + 1024));
    assert.equal((d.next() as { payload: Uint8Array }).payload.length, 1 << 20);
  });
  assert.ok(copied <= 4 * bytes.length, `copied ${copied} bytes for ${bytes.length}`);
});

test("PacketDecoder stays failed after a malformed packet and never raises another kind of error", () => {
  const d = new PacketDecoder();
  d.feed(hex("20 02 00 09"));
  assert.throws(() => d.next(), MalformedPacketError);
  // Whatever follows, it either throws MalformedPacketError again or returns a packet or null.
  const rng = new Rng(3);
  for (let i = 0; i < 200; i++) {
    d.feed(rng.bytes(rng.int(10)));
    try {
      d.next();
    } catch (e) {
      assert.ok(e instanceof MalformedPacketError, String(e));
    }
  }
});
