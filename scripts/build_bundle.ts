/**
 * Build the single-file ESM bundle of the client (`mod.ts`) that runs on
 * Node (raw sockets through `node:net`/`node:tls`, loaded on first use) and
 * in browsers (WebSockets). Uses `deno bundle` (esbuild underneath).
 *
 * Usage: `deno run -A scripts/build_bundle.ts [out.js] [--minify] [--split]`
 * (default `dist/umqtt.js`). With `--split` the output is a directory (the
 * default `dist/`): `mod.js` and one chunk per transport, loaded by the
 * runtime that needs it (`mod.js` alone is what importing costs; see
 * BENCHMARKS.md). Also importable: `buildBundle(outFile)`; it uses only
 * `node:` built-ins so Bun and Node can call it too.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
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
 * @param outFile Where to write the bundle (a directory with `split`).
 * @param options `minify` to minify; `entry` to bundle another module (path from the repo root); `split` to
 * write a code-splitting bundle (the entry and one chunk per dynamically imported transport) into `outFile`.
 * @returns The absolute path written: the file, or with `split` the entry's file in the directory.
 */
export function buildBundle(
  outFile: string,
  options: { minify?: boolean; entry?: string; split?: boolean } = {},
): string {
  const entry = options.entry ?? "mod.ts";
  const out = resolve(outFile);
  const args = [
    "bundle",
    "--quiet",
    "--platform",
    "browser",
    "--format",
    "esm",
    ...(options.minify ? ["--minify"] : []),
    ...(options.split ? ["--code-splitting", "--outdir", out] : ["-o", out]),
    join(ROOT, entry),
  ];
  const r = spawnSync(denoBin(), args, {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  if (r.error) throw new Error(`Cannot run deno bundle: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`deno bundle failed (exit ${r.status}):\n${r.stderr}${r.stdout}`);
  const written = options.split ? join(out, basename(entry).replace(/\.ts$/, ".js")) : out;
  if (!existsSync(written)) throw new Error(`deno bundle wrote nothing to ${written}`);
  return written;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const split = args.includes("--split");
  const out = args.find((a) => !a.startsWith("--")) ?? join(ROOT, "dist", split ? "" : "umqtt.js");
  console.log(buildBundle(out, { minify: args.includes("--minify"), split }));
}
