/**
 * Published size and dependency counts, and a description of the machine.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, freemem, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";

/** Sizes in bytes and dependency counts. */
export interface SizeInfo {
  ours: { minified: number; gzip: number; deps: number; how: string };
  mqttjs: { minified: number; gzip: number; deps: number; depNames: string[]; how: string };
}

/** Minified bytes and gzip (level 9) bytes of a file. */
function sizes(file: string): { minified: number; gzip: number } {
  const b = readFileSync(file);
  return { minified: b.length, gzip: gzipSync(b, { level: 9 }).length };
}

/** Bundle `mod.ts` with `deno bundle --minify` and measure it; count dependencies of both clients. */
export function measureSize(root: string): SizeInfo {
  const deno = join(root, "node_modules", ".bin", "deno");
  const dir = mkdtempSync(join(tmpdir(), "umqtt-bundle-"));
  let ours: SizeInfo["ours"];
  try {
    const out = join(dir, "mod.js");
    const r = spawnSync(deno, ["bundle", "--minify", "--platform", "deno", "-o", out, join(root, "mod.ts")], {
      cwd: root,
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`deno bundle failed: ${r.stderr}`);
    ours = { ...sizes(out), deps: countOurDeps(root, deno), how: "deno bundle --minify mod.ts, gzip -9" };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
  const info = JSON.parse(r.stdout) as { modules: { specifier: string }[]; npmPackages?: Record<string, unknown> };
  const rootUrl = `file://${root}/`;
  // Runtime built-ins (node:net, node:tls for the Node transport) are not dependencies.
  const external = info.modules.filter((m) =>
    !m.specifier.startsWith("node:") && (!m.specifier.startsWith(rootUrl) || m.specifier.includes("/node_modules/"))
  );
  return external.length + Object.keys(info.npmPackages ?? {}).length;
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

function run(cmd: string, args: string[]): string {
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
  const mosq = /mosquitto version (\S+)/.exec(run("mosquitto", ["-h"]))?.[1] ?? "unknown";
  const mqttVersion = (JSON.parse(readFileSync(join(root, "node_modules", "mqtt", "package.json"), "utf8")) as {
    version: string;
  }).version;
  const ourVersion = (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { version: string }).version;
  return {
    machine: {
      nproc: Number(run("nproc", [])) || cpus().length,
      cpu: model,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      freeMemoryGiB: Math.round((freemem() / 2 ** 30) * 10) / 10,
      kernel: run("uname", ["-sr"]),
      loadavg: existsSync("/proc/loadavg") ? readFileSync("/proc/loadavg", "utf8").trim() : "",
    },
    versions: {
      deno: run(join(bin, "deno"), ["--version"]).split("\n")[0] ?? "",
      bun: run(join(bin, "bun"), ["--version"]),
      mosquitto: mosq,
      mqttjs: mqttVersion,
      "@umqtt/client": ourVersion,
      commit: run("git", ["-C", root, "rev-parse", "--short", "HEAD"]) +
        (run("git", ["-C", root, "status", "--porcelain", "--", "src", "mod.ts"]) ? " (src/ modified)" : ""),
    },
  };
}
