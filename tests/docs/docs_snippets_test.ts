/**
 * Every ```ts, ```js and ```sh block of README.md and docs/*.md runs, for
 * real, against a private mosquitto, on the runtime running the tests
 * (Deno: `deno run -A`, Bun: `bun`): a snippet that only type-checks is
 * untested. A block that cannot run carries
 * `<!-- snippet: skip reason="…" -->`; an unmarked block is run, so new
 * documentation cannot slip through. Markers, rewriting and preludes:
 * `_snippet.ts` and `_preludes.ts`.
 *
 * Each block gets its own broker (so client ids, topics and retained
 * messages never collide); two blocks run at a time.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import { type CodeBlock, extractBlocks, type MarkerProblem } from "./_markdown.ts";
import { IS_DENO, type Outcome, type Plan, planFor, programFor, report, ROOT, runPlan } from "./_snippet.ts";

const CONCURRENCY = 2;

const FILES = [
  "README.md",
  ...readdirSync(new URL("docs/", ROOT)).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`),
];

const blocks: CodeBlock[] = [];
const problems: MarkerProblem[] = [];
for (const file of FILES) {
  const r = extractBlocks(file, readFileSync(new URL(file, ROOT), "utf8"));
  blocks.push(...r.blocks);
  problems.push(...r.problems);
}
const plans: Plan[] = [];
for (const b of blocks) {
  const p = planFor(b);
  if (!p) continue;
  for (const e of p.errors) problems.push({ file: b.file, line: b.line, problem: e });
  if (p.errors.length === 0) plans.push(p.plan);
}
const runnable = plans.filter((p) => p.skip === undefined);

let scheduled: Map<Plan, Promise<Outcome>> | undefined;

/** Start every runnable block (CONCURRENCY at a time, each with its own broker) on first use. */
function outcome(plan: Plan): Promise<Outcome> {
  if (!scheduled) {
    scheduled = new Map();
    const queue = [...runnable];
    const waiters = new Map<Plan, (o: Outcome) => void>();
    for (const p of queue) scheduled.set(p, new Promise((resolve) => waiters.set(p, resolve)));
    const worker = async (): Promise<void> => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        let o: Outcome;
        const broker = await startMosquitto({ captureLog: false });
        try {
          o = await runPlan(p, broker.port);
        } finally {
          await broker.stop();
        }
        waiters.get(p)!(o);
      }
    };
    for (let i = 0; i < CONCURRENCY; i++) {
      worker().catch((e) => {
        for (const [p, resolve] of waiters) {
          resolve({
            ok: false,
            why: `harness error: ${e}`,
            code: null,
            signal: null,
            stdout: "",
            stderr: "",
            ms: 0,
            program: p.id,
          });
        }
      });
    }
  }
  return scheduled.get(plan)!;
}

test("docs: every ts/js/sh block in README.md and docs/*.md is run, or skipped with a reason", () => {
  const list = problems.map((p) => `${p.file}:${p.line}: ${p.problem}`);
  assert.deepEqual(list, [], `snippet markers to fix:\n${list.join("\n")}`);
  assert.ok(FILES.length >= 5, `found only ${FILES.join(", ")}`);
  assert.ok(runnable.some((p) => p.block.file === "README.md"), "no runnable block in README.md");
  assert.ok(runnable.length >= 8, `only ${runnable.length} runnable blocks found: is the extractor broken?`);
  const skipped = plans.filter((p) => p.skip !== undefined).map((p) => `${p.id}: ${p.skip}`);
  console.log(`${runnable.length} blocks run, ${skipped.length} skipped:\n  ${skipped.join("\n  ")}`);
});

for (const plan of runnable) {
  const b = plan.block;
  const what = b.code.split("\n").find((l) => l.trim() !== "" && !l.trim().startsWith("//"))?.trim() ?? "";
  test(`docs: ${plan.id} (${plan.lang}) runs against mosquitto: ${what.slice(0, 60)}`, async () => {
    const o = await outcome(plan);
    assert.ok(o.ok, report(plan, o));
  });
}

if (IS_DENO) {
  test("docs: every TypeScript block type-checks (deno check), as written with its prelude", () => {
    const dir = mkdtempSync(join(tmpdir(), "umqtt-docs-check-"));
    try {
      const files = runnable.filter((p) => p.lang === "ts").map((p) => {
        const f = join(dir, p.id.replace(/[^\w.-]+/g, "_") + ".ts");
        writeFileSync(f, programFor(p, 1883));
        return f;
      });
      const r = spawnSync(process.execPath, ["check", "--quiet", ...files], {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
        timeout: 120_000,
      });
      assert.equal(r.status, 0, `deno check failed:\n${r.stdout}${r.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
