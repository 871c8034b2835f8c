/**
 * Long-form decoder fuzzing: random and mutated inputs through the codec's
 * PacketDecoder, checked against mqtt-packet as an independent oracle.
 *
 *   deno run -A scripts/fuzz.ts --count 3000000 --seed 1
 *   bun scripts/fuzz.ts --count 3000000 --seed 1
 *
 * Options: --count N (default 1000000), --seed S (default 1), --no-oracle,
 * --split-every K (default 8: one input in K is also fed in pieces and byte by byte).
 * Exits 1 on any decoder bug, split mismatch or unexplained disagreement.
 *
 * @module
 */
import process from "node:process";
import { ALLOWED, run } from "../tests/fuzz/_fuzz.ts";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v)) throw new TypeError(`--${name} needs a number, got ${process.argv[i + 1]}`);
  return v;
}

const count = arg("count", 1_000_000);
const seed = arg("seed", 1);
const splitEvery = arg("split-every", 8);
const oracle = !process.argv.includes("--no-oracle");
const runtime = "Bun" in globalThis
  ? `bun ${(globalThis as unknown as { Bun: { version: string } }).Bun.version}`
  : `deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`;

console.log(
  `fuzzing ${count} inputs, seed ${seed}, oracle ${
    oracle ? "mqtt-packet" : "off"
  }, split every ${splitEvery}, ${runtime}`,
);
const batch = 100_000;
const totals = { inputs: 0, bytes: 0, agreed: 0, unexplained: 0, oracleCrashes: 0, ms: 0 };
const outcomes: Record<string, number> = {};
const allowed: Record<string, number> = {};
const problems: string[] = [];
for (let done = 0, b = 0; done < count; done += batch, b++) {
  const n = Math.min(batch, count - done);
  // One PRNG stream per batch, derived from the seed, so any batch can be replayed alone.
  const r = run(n, (seed * 1_000_003 + b) >>> 0, { oracle, splitEvery });
  totals.inputs += r.inputs;
  totals.bytes += r.bytes;
  totals.agreed += r.agreed;
  totals.unexplained += r.unexplainedCount;
  totals.oracleCrashes += r.oracleCrashes;
  totals.ms += r.ms;
  for (const [k, v] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  for (const [k, v] of Object.entries(r.allowed)) allowed[k] = (allowed[k] ?? 0) + v;
  for (const x of r.bugs) problems.push(`BUG ${x.thrown} on ${x.input}`);
  for (const x of r.splitMismatches) problems.push(`SPLIT MISMATCH on ${x.input}: ${x.detail}`);
  for (const x of r.unexplained) problems.push(`DISAGREEMENT (${x.generator}) on ${x.input}: ${x.detail}`);
  const rate = Math.round(totals.inputs / (totals.ms / 1000));
  console.log(
    `  ${totals.inputs} inputs, ${rate} inputs/s, ${totals.unexplained} unexplained, ${problems.length} problems`,
  );
}

const refusals = Object.entries(outcomes).filter(([k]) => k !== "clean" && k !== "incomplete");
const refused = refusals.reduce((n, [, v]) => n + v, 0);
console.log(
  `\ninputs: ${totals.inputs} (${(totals.bytes / 1e6).toFixed(1)} MB) in ${(totals.ms / 1000).toFixed(1)} s, ` +
    `${Math.round(totals.inputs / (totals.ms / 1000))} inputs/s`,
);
console.log(
  `outcomes: clean ${outcomes.clean ?? 0}, incomplete ${outcomes.incomplete ?? 0}, ` +
    `MalformedPacketError ${refused} (${refusals.length} distinct reasons), other errors ${
      problems.filter((p) => p.startsWith("BUG")).length
    }`,
);
console.log("errors by kind (top 25):");
for (const [k, v] of refusals.sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(v).padStart(9)}  ${k}`);
if (oracle) {
  console.log(
    `oracle: agreed ${totals.agreed}, allowed disagreements ${totals.inputs - totals.agreed - totals.unexplained}, ` +
      `unexplained ${totals.unexplained}, oracle crashes ${totals.oracleCrashes}`,
  );
  for (const a of ALLOWED) console.log(`  ${String(allowed[a.id] ?? 0).padStart(9)}  ${a.id}`);
}
for (const p of problems.slice(0, 50)) console.log(p);
process.exit(problems.length > 0 ? 1 : 0);
