import { test } from "node:test";
import assert from "node:assert/strict";
import { PacketDecoderV5 } from "../../src/codec/decode_v5.ts";
import { encodePacketV5 } from "../../src/codec/encode_v5.ts";
import { MalformedPacketError } from "../../src/codec/errors.ts";
import { FIXTURES_V5 } from "./v5_fixtures.ts";
import { Rng } from "../_rng.ts";

/** mulberry32 (`tests/_rng.ts`): the same seed gives the same inputs on every runtime. */
function rng(seed: number): () => number {
  const r = new Rng(seed);
  return () => r.float();
}

const COUNT = 20_000;

/** Random bytes, or a fixture with a few bytes changed, inserted or cut. */
function input(next: () => number): Uint8Array {
  const kind = next();
  if (kind < 0.3) {
    // A plausible header (any type, small remaining length) followed by random bytes.
    const n = Math.floor(next() * 40);
    const out = new Uint8Array(2 + n);
    out[0] = Math.floor(next() * 256);
    out[1] = n;
    for (let i = 2; i < out.length; i++) out[i] = Math.floor(next() * 256);
    return out;
  }
  const f = FIXTURES_V5[Math.floor(next() * FIXTURES_V5.length)]!.bytes;
  const out = f.slice();
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * out.length);
    out[at] = next() < 0.5 ? Math.floor(next() * 256) : out[at]! ^ (1 << Math.floor(next() * 8));
  }
  if (kind > 0.9) return out.subarray(0, Math.floor(next() * out.length));
  return out;
}

test("PacketDecoderV5 raises nothing but MalformedPacketError on seeded random and mutated inputs", () => {
  const next = rng(0x5eed5);
  const outcomes: Record<string, number> = {};
  for (let i = 0; i < COUNT; i++) {
    const bytes = input(next);
    const d = new PacketDecoderV5();
    d.feed(bytes);
    let outcome = "incomplete";
    try {
      for (let p = d.next(); p; p = d.next()) {
        outcome = "clean";
        // Whatever decodes must encode again and decode to the same packet.
        const again = new PacketDecoderV5();
        again.feed(encodePacketV5(p));
        assert.deepEqual(again.next(), p, `re-encoding ${JSON.stringify(Array.from(bytes))}`);
      }
    } catch (e) {
      if (!(e instanceof MalformedPacketError)) {
        throw new Error(`input ${JSON.stringify(Array.from(bytes))} raised ${String(e)}`, { cause: e });
      }
      outcome = e.message.replace(/\d+|0x[0-9a-f]+|"[^"]*"/g, "#").slice(0, 60);
    }
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  assert.ok((outcomes.clean ?? 0) > COUNT / 20, `only ${outcomes.clean} inputs decoded cleanly`);
  assert.ok(Object.keys(outcomes).length > 40, `only ${Object.keys(outcomes).length} kinds of outcome`);
});
