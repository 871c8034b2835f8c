/**
 * `FileStore` on Node: the store module bundled with `deno bundle` and run
 * by `node` (Node runs no TypeScript), so the `node:fs` calls it makes are
 * checked on the third runtime too. Runs under `deno test` (it needs
 * Deno's bundler) when `node` is on PATH.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const isDeno = "Deno" in globalThis && !("Bun" in globalThis);
const hasNode = spawnSync("node", ["--version"]).status === 0;

test("FileStore on Node: writes, compacts, drops a torn last record and reloads", {
  skip: !isDeno ? "needs deno bundle (runs under deno test)" : !hasNode ? "node is not installed" : false,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "umqtt-node-bundle-"));
  try {
    const out = join(dir, "check.mjs");
    const b = spawnSync(process.execPath, [
      "bundle",
      "--quiet",
      "--platform",
      "deno",
      "-o",
      out,
      join(here, "_node_check.ts"),
    ], {
      encoding: "utf8",
    });
    assert.equal(b.status, 0, b.stderr);
    const r = spawnSync("node", [out], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      compacted: true,
      outgoing: [[100, false, 100]], // the torn record's PUBREC state is gone; the PUBLISH is kept
      incoming: [7],
      lastPacketId: 100,
      data: null, // staged with the torn record: never committed
      truncated: true,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
