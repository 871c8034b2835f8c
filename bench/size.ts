/**
 * Published size and dependency counts, and a description of the machine.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import process from "node:process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, freemem, tmpdir, totalmem } from "node:os";
import { basename, dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

/** Minified and gzip (level 9) bytes. */
export interface Bytes {
  minified: number;
  gzip: number;
}

/** One entry point bundled by one bundler. */
export interface EntrySize {
  /** Export name in deno.json: `.`, `./umqtt`, `./codec`. */
  entry: string;
  /** `deno bundle` or `esbuild`. */
  bundler: string;
  /** One file with everything, dynamic imports inlined (what a bundler without code splitting ships). */
  single: Bytes;
  /**
   * Split bundle: the entry chunk and the chunks it imports statically, i.e. what loading the entry
   * costs before the first connection. Chunks are gzipped one by one (as a server sends them).
   */
  main: Bytes;
  /** Split bundle: `main` plus what the first connection loads on each runtime, by transport. */
  withTransport: Partial<Record<"deno" | "bun" | "node" | "websocket", Bytes>>;
}

/** Sizes in bytes and dependency counts. */
export interface SizeInfo {
  ours: {
    entries: EntrySize[];
    /** Bytes each module contributes to the minified main chunk of `.` (esbuild), largest first. */
    modules: { path: string; bytes: number }[];
    deps: number;
    how: string;
  };
  mqttjs: { minified: number; gzip: number; deps: number; depNames: string[]; how: string };
}

/** The entry points measured, as exported in deno.json. */
export const SIZE_ENTRIES: readonly { entry: string; file: string }[] = [
  { entry: ".", file: "mod.ts" },
  { entry: "./umqtt", file: "src/umqtt.ts" },
  { entry: "./codec", file: "src/codec/mod.ts" },
];

/** esbuild, run through Deno's npm support (not a dependency of the repository). */
export const ESBUILD = "npm:esbuild@0.28.2";

/** Target for the main export: minified + gzip bytes of what importing `.` loads. */
export const MAIN_TARGET = 8 * 1024;

/** Minified bytes and gzip (level 9) bytes of a file. */
function sizes(file: string): Bytes {
  const b = readFileSync(file);
  return { minified: b.length, gzip: gzipSync(b, { level: 9 }).length };
}

function sum(files: string[]): Bytes {
  const out = { minified: 0, gzip: 0 };
  for (const f of files) {
    const s = sizes(f);
    out.minified += s.minified;
    out.gzip += s.gzip;
  }
  return out;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}${r.stdout}`);
}

/** Static (`from"./x.js"`) and dynamic (`import("./x.js")`) chunk imports of a split chunk. */
function chunkImports(file: string): { static: string[]; dynamic: string[] } {
  const text = readFileSync(file, "utf8");
  const dir = dirname(file);
  const stat = [...text.matchAll(/(?:from|import)\s*"(\.\/[^"]+\.js)"/g)].map((m) => join(dir, m[1]!));
  const dyn = [...text.matchAll(/import\(\s*"(\.\/[^"]+\.js)"\s*\)/g)].map((m) => join(dir, m[1]!));
  return { static: stat, dynamic: dyn };
}

/** A chunk and everything it imports statically, transitively. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const f of chunkImports(file).static) closure(f, seen);
  return seen;
}

function measureSplit(dir: string, entryJs: string): Pick<EntrySize, "main" | "withTransport"> {
  const entry = join(dir, entryJs);
  const main = closure(entry);
  const withTransport: EntrySize["withTransport"] = {};
  const dynamic = new Set<string>();
  for (const f of main) for (const d of chunkImports(f).dynamic) dynamic.add(d);
  for (const d of dynamic) {
    const name = /\/(deno|bun|node|websocket)-[^/]*\.js$/.exec(d)?.[1] as keyof EntrySize["withTransport"] | undefined;
    if (!name) continue;
    withTransport[name] = sum([...closure(d, new Set(main))]);
  }
  return { main: sum([...main]), withTransport };
}

/** Bundle each entry point with `deno bundle` and with esbuild, single-file and split, and measure it. */
export function measureOurs(root: string): SizeInfo["ours"] {
  const deno = join(root, "node_modules", ".bin", "deno");
  const esbuild = [deno, "run", "-A", "--no-lock", "--no-config", ESBUILD];
  const dir = mkdtempSync(join(tmpdir(), "umqtt-bundle-"));
  const entries: EntrySize[] = [];
  let modules: { path: string; bytes: number }[] = [];
  try {
    for (const { entry, file } of SIZE_ENTRIES) {
      const src = join(root, file);
      const base = file.replace(/[/.]/g, "_");
      const entryJs = file.split("/").pop()!.replace(/\.ts$/, ".js");
      // deno bundle
      const d1 = join(dir, `${base}-deno.js`);
      run(deno, ["bundle", "--quiet", "--minify", "--platform", "deno", "-o", d1, src], root);
      const d2 = join(dir, `${base}-deno-split`);
      run(deno, ["bundle", "--quiet", "--minify", "--platform", "deno", "--code-splitting", "--outdir", d2, src], root);
      entries.push({ entry, bundler: "deno bundle", single: sizes(d1), ...measureSplit(d2, entryJs) });
      // esbuild
      const common = ["--bundle", "--minify", "--format=esm", "--platform=neutral", "--external:node:*"];
      const e1 = join(dir, `${base}-esbuild.js`);
      run(esbuild[0]!, [...esbuild.slice(1), src, ...common, `--outfile=${e1}`, "--log-level=warning"], root);
      const e2 = join(dir, `${base}-esbuild-split`);
      const meta = join(dir, `${base}-meta.json`);
      run(esbuild[0]!, [
        ...esbuild.slice(1),
        src,
        ...common,
        "--splitting",
        `--outdir=${e2}`,
        `--metafile=${meta}`,
        "--log-level=warning",
      ], root);
      entries.push({ entry, bundler: "esbuild", single: sizes(e1), ...measureSplit(e2, entryJs) });
      if (entry === ".") modules = mainModules(meta, join(e2, entryJs), root);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    entries,
    modules,
    deps: countOurDeps(root, deno),
    how: `deno bundle --minify [--code-splitting] and esbuild ${ESBUILD.slice(12)} --bundle --minify ` +
      "--format=esm --platform=neutral [--splitting]; gzip -9 per file",
  };
}

/** Bytes per source module in what loading the entry costs (its chunk and static imports), from esbuild's metafile. */
function mainModules(metaFile: string, entryChunk: string, root: string): { path: string; bytes: number }[] {
  const meta = JSON.parse(readFileSync(metaFile, "utf8")) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const main = [...closure(entryChunk)].map((f) => basename(f));
  const bytes = new Map<string, number>();
  for (const [out, { inputs }] of Object.entries(meta.outputs)) {
    if (!main.includes(basename(out))) continue;
    for (const [path, v] of Object.entries(inputs)) {
      const key = path.replace(root + "/", "");
      bytes.set(key, (bytes.get(key) ?? 0) + v.bytesInOutput);
    }
  }
  return [...bytes].map(([path, n]) => ({ path, bytes: n })).filter((m) => m.bytes > 0).sort((a, b) =>
    b.bytes - a.bytes
  );
}

/** Bundle our entry points and measure them; count dependencies of both clients. */
export function measureSize(root: string): SizeInfo {
  const ours = measureOurs(root);
  const dist = join(root, "node_modules", "mqtt", "dist", "mqtt.min.js");
  const names = mqttDeps(root);
  return {
    ours,
    mqttjs: {
      ...sizes(dist),
      deps: names.length,
      depNames: names,
      how: "node_modules/mqtt/dist/mqtt.min.js (its published browser bundle), gzip -9",
    },
  };
}

/** Modules in `mod.ts`'s graph that live outside this repository (npm:, jsr:, https:, node_modules). */
function countOurDeps(root: string, deno: string): number {
  const r = spawnSync(deno, ["info", "--json", join(root, "mod.ts")], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`deno info failed: ${r.stderr}`);
  const info = JSON.parse(r.stdout) as { modules: { specifier: string }[] };
  const rootUrl = `file://${root}/`;
  // Runtime built-ins (node:net, node:tls for the Node transport) are not dependencies. (`npmPackages` in
  // `deno info` lists every package of the lockfile, the dev tools included, so it is not used.)
  const external = info.modules.filter((m) =>
    !m.specifier.startsWith("node:") && (!m.specifier.startsWith(rootUrl) || m.specifier.includes("/node_modules/"))
  );
  return external.length;
}

/** Transitive production dependencies of `mqtt`, resolved the way Node does from node_modules. */
function mqttDeps(root: string): string[] {
  const seen = new Set<string>();
  const visit = (pkgDir: string): void => {
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      const dir = resolvePackage(pkgDir, name, root);
      if (!dir) continue;
      const version = (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
      const key = `${name}@${version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      visit(dir);
    }
  };
  visit(join(root, "node_modules", "mqtt"));
  return [...seen].sort();
}

function resolvePackage(fromDir: string, name: string, root: string): string | null {
  let d = fromDir;
  for (;;) {
    const cand = join(d, "node_modules", name);
    if (existsSync(join(cand, "package.json"))) return cand;
    if (d === root || d === dirname(d)) return null;
    d = dirname(d);
  }
}

function runText(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return ((r.stdout ?? "") + (r.stderr ?? "")).trim();
}

/** The machine and tool versions, for the report. */
export function machineInfo(
  root: string,
): { machine: Record<string, string | number>; versions: Record<string, string> } {
  const cpuinfo = existsSync("/proc/cpuinfo") ? readFileSync("/proc/cpuinfo", "utf8") : "";
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? "unknown";
  const bin = join(root, "node_modules", ".bin");
  const mosq = /mosquitto version (\S+)/.exec(runText("mosquitto", ["-h"]))?.[1] ?? "unknown";
  const mqttVersion = (JSON.parse(readFileSync(join(root, "node_modules", "mqtt", "package.json"), "utf8")) as {
    version: string;
  }).version;
  const ourVersion = (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { version: string }).version;
  return {
    machine: {
      nproc: Number(runText("nproc", [])) || cpus().length,
      cpu: model,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
      kernel: runText("uname", ["-sr"]),
      loadavg: existsSync("/proc/loadavg") ? readFileSync("/proc/loadavg", "utf8").trim() : "",
    },
    versions: {
      deno: runText(join(bin, "deno"), ["--version"]).split("\n")[0] ?? "",
      bun: runText(join(bin, "bun"), ["--version"]),
      mosquitto: mosq,
      mqttjs: mqttVersion,
      "@umqtt/client": ourVersion,
      commit: runText("git", ["-C", root, "rev-parse", "--short", "HEAD"]) +
        (runText("git", ["-C", root, "status", "--porcelain", "--", "src", "mod.ts"]) ? " (src/ modified)" : ""),
    },
  };
}
