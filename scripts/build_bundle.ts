/**
 * Build the single-file ESM bundle of the client (`mod.ts`) that runs on
 * Node (raw sockets through `node:net`/`node:tls`, loaded on first use) and
 * in browsers (WebSockets). Uses `deno bundle` (esbuild underneath).
 *
 * Usage: `deno run -A scripts/build_bundle.ts [out.js] [--minify]`
 * (default `dist/umqtt.js`). Also importable: `buildBundle(outFile)`; it
 * uses only `node:` built-ins so Bun and Node can call it too.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Path of the pinned Deno binary (`node_modules/.bin/deno`), or `deno` from PATH. */
export function denoBin(): string {
  const local = join(ROOT, "node_modules", ".bin", "deno");
  return existsSync(local) ? local : "deno";
}

/**
 * Bundle `mod.ts` into one ESM file.
 *
 * @param outFile Where to write the bundle.
 * @param options `minify` to minify; `entry` to bundle another module (path from the repo root).
 * @returns The absolute path written.
 */
export function buildBundle(outFile: string, options: { minify?: boolean; entry?: string } = {}): string {
  const out = resolve(outFile);
  const args = [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "esm",
    ...(options.minify ? ["--minify"] : []),
    "-o",
    out,
    join(ROOT, options.entry ?? "mod.ts"),
  ];
  const r = spawnSync(denoBin(), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  if (r.error) throw new Error(`Cannot run deno bundle: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`deno bundle failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  if (!existsSync(out)) throw new Error(`deno bundle wrote nothing to ${out}`);
  return out;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const out = args.find((a) => !a.startsWith("--")) ?? join(ROOT, "dist", "umqtt.js");
  console.log(buildBundle(out, { minify: args.includes("--minify") }));
}
