import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle } from "../../scripts/build_bundle.ts";
import { startBroker } from "./_helpers.ts";

const SMOKE = fileURLToPath(new URL("./_node_smoke.mjs", import.meta.url));

test("buildBundle({ split: true }) keeps each transport out of the entry chunk, and the split bundle works on Node", async () => {
  const out = mkdtempSync(join(tmpdir(), "umqtt-split-"));
  try {
    const entry = buildBundle(out, { split: true, minify: true });
    const files = readdirSync(out);
    for (const t of ["deno", "bun", "node", "websocket"]) {
      assert.ok(files.some((f) => f.startsWith(`${t}-`)), `no chunk for the ${t} transport in ${files.join(", ")}`);
    }
    // Only dynamic imports lead to the transports: none is loaded by importing the entry.
    const text = readFileSync(entry, "utf8");
    assert.match(text, /import\("\.\/deno-[^"]+\.js"\)/);
    assert.doesNotMatch(text, /from\s*"\.\/(?:deno|bun|node|websocket)-/);
    assert.doesNotMatch(text, /Deno\.connectTls|Bun\.connect/);
    const m = await startBroker();
    try {
      const r = spawnSync("node", [
        SMOKE,
        entry,
        JSON.stringify({ cases: [{ name: "tcp", server: `mqtt://127.0.0.1:${m.port}`, options: {} }] }),
      ], {
        encoding: "utf8",
        timeout: 30_000,
      });
      if (r.error) throw new Error(`Cannot run node (is Node installed?): ${r.error.message}`);
      assert.equal(r.status, 0, `node exited ${r.status}:\n${r.stderr}`);
      assert.match(r.stdout, /\{"name":"tcp","ok":true\}/);
    } finally {
      await m.stop();
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
