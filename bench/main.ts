/**
 * Benchmark orchestrator. Starts a private mosquitto on 127.0.0.1, spawns
 * one worker process per runtime × client × repetition, arms a counting
 * subscriber and an echo for each measurement, and writes
 * `bench/results/latest.json`, `bench/results/chart.svg` and the results
 * section of `BENCHMARKS.md`.
 *
 * Usage: `deno run -A bench/main.ts [--quick] [--runtimes=deno,bun,node] [--reps=N] [--no-write]`
 * (Node is included by default when `node` is on PATH; it runs bundles of the
 * worker built with `deno bundle`).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { startMosquitto } from "../scripts/mosquitto.ts";
import { CLIENT_KINDS, type ClientKind } from "./clients.ts";
import type { WorkerCommand } from "./worker.ts";
import type { ConnectResult, MemoryResult, PublishResult, RoundTripResult } from "./scenarios.ts";
import { BENCH_BROKER_GLOBAL, CountingSink, Echo } from "./sink.ts";
import { summarise, type Summary } from "./stats.ts";
import { machineInfo, measureSize, type SizeInfo } from "./size.ts";
import { renderMarkdown, renderSvg, updateBenchmarksMd } from "./report.ts";
import type { FigureId, Runtime } from "./figures.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "node_modules", ".bin");

/** Counts and repetitions for one mode. */
export interface ModeConfig {
  reps: number;
  qos0Small: number;
  qos0Large: number;
  qos1Seq: number;
  qos1Win: number;
  qos2Seq: number;
  qos2Win: number;
  rtt: number;
  connRate: number;
  idle: number;
  memReps: number;
  importReps: number;
}

const QUICK: ModeConfig = {
  reps: 3,
  qos0Small: 20_000,
  qos0Large: 2_000,
  qos1Seq: 1_000,
  qos1Win: 5_000,
  qos2Seq: 500,
  qos2Win: 2_000,
  rtt: 500,
  connRate: 100,
  idle: 1_000,
  memReps: 1,
  importReps: 5,
};

const FULL: ModeConfig = {
  reps: 5,
  qos0Small: 100_000,
  qos0Large: 10_000,
  qos1Seq: 5_000,
  qos1Win: 30_000,
  qos2Seq: 2_500,
  qos2Win: 15_000,
  rtt: 3_000,
  connRate: 2_000,
  idle: 1_000,
  memReps: 3,
  importReps: 15,
};

const WINDOW = 64;

/** Everything written to `latest.json`. */
export interface Results {
  mode: "quick" | "full";
  date: string;
  durationS: number;
  machine: Record<string, string | number>;
  versions: Record<string, string>;
  config: ModeConfig & { window: number };
  runtimes: Runtime[];
  figures: Partial<Record<FigureId, Partial<Record<Runtime, Partial<Record<ClientKind, Summary>>>>>>;
  delivery: { runtime: Runtime; client: ClientKind; figure: string; sent: number; arrived: number }[];
  size: SizeInfo;
  errors: string[];
}

const NODE_CACHE = join(ROOT, "node_modules", ".cache", "umqtt-bench");
const nodeBuilt = new Map<string, string>();

/**
 * Node runs no TypeScript: bundle `file` (and what it imports, including
 * `mod.ts` with its Node transport) into one ESM file under node_modules,
 * where Node resolves the external `mqtt` from node_modules as usual.
 */
function nodeFile(file: string): string {
  let out = nodeBuilt.get(file);
  if (out) return out;
  mkdirSync(NODE_CACHE, { recursive: true });
  out = join(NODE_CACHE, file.slice(ROOT.length + 1).replace(/[/\\]/g, "_").replace(/\.ts$/, ".mjs"));
  const r = spawnSync(join(BIN, "deno"), [
    "bundle",
    "--quiet",
    "--platform",
    "deno",
    "--external",
    "mqtt",
    "--format",
    "esm",
    "-o",
    out,
    file,
  ], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`Cannot bundle ${file} for Node: ${r.stderr}`);
  nodeBuilt.set(file, out);
  return out;
}

/** Whether a `node` binary is on PATH. */
export function hasNode(): boolean {
  return spawnSync("node", ["--version"], { stdio: "ignore" }).status === 0;
}

function workerArgv(runtime: Runtime, file: string, args: string[]): [string, string[]] {
  switch (runtime) {
    case "deno":
      return [join(BIN, "deno"), ["run", "-A", "--v8-flags=--expose-gc", file, ...args]];
    case "bun":
      return [join(BIN, "bun"), ["run", file, ...args]];
    case "node":
      return ["node", ["--expose-gc", nodeFile(file), ...args]];
  }
}

/** A spawned worker and its line protocol. */
class WorkerProc {
  #child: ChildProcess;
  #lines: Interface;
  #queue: ((line: string) => void)[] = [];
  #buffered: string[] = [];
  #exited: Promise<void>;

  constructor(runtime: Runtime, kind: ClientKind, port: number) {
    const [cmd, argv] = workerArgv(runtime, join(ROOT, "bench", "worker.ts"), [kind, String(port)]);
    this.#child = spawn(cmd, argv, { cwd: ROOT, stdio: ["pipe", "pipe", "inherit"] });
    this.#exited = new Promise((r) => this.#child.once("exit", () => r()));
    this.#lines = createInterface({ input: this.#child.stdout! });
    this.#lines.on("line", (l) => {
      const q = this.#queue.shift();
      if (q) q(l);
      else this.#buffered.push(l);
    });
    this.#child.once("exit", (code) => {
      for (const q of this.#queue.splice(0)) q(JSON.stringify({ error: `worker exited with ${code}` }));
    });
  }

  async call<T>(cmd: WorkerCommand, timeoutMs = 300_000): Promise<T> {
    const line = this.#buffered.shift() ??
      await new Promise<string>((resolve) => {
        this.#queue.push(resolve);
        this.#child.stdin!.write(JSON.stringify(cmd) + "\n");
        const t = setTimeout(() => resolve(JSON.stringify({ error: `timed out: ${cmd.op}` })), timeoutMs);
        (t as { unref?: () => void }).unref?.();
      });
    const v = JSON.parse(line) as T & { error?: string };
    if (v.error) throw new Error(v.error);
    return v;
  }

  async stop(): Promise<void> {
    try {
      await this.call({ op: "exit" }, 10_000);
    } catch {
      // fall through to kill
    }
    const t = setTimeout(() => this.#child.kill("SIGKILL"), 5_000);
    await this.#exited;
    clearTimeout(t);
  }
}

/** Run the whole benchmark; returns the results. */
export async function runBenchmarks(
  opts: { quick: boolean; runtimes: Runtime[]; reps?: number; log?: (s: string) => void },
): Promise<Results> {
  const log = opts.log ?? ((s: string) => console.error(s));
  const cfg = { ...(opts.quick ? QUICK : FULL), window: WINDOW };
  if (opts.reps) cfg.reps = opts.reps;
  const started = performance.now();
  const samples = new Map<string, number[]>();
  const add = (fig: FigureId, rt: Runtime, kind: ClientKind, v: number): void => {
    const k = `${fig}|${rt}|${kind}`;
    if (!samples.has(k)) samples.set(k, []);
    samples.get(k)!.push(v);
  };
  const delivery: Results["delivery"] = [];
  const errors: string[] = [];
  const broker = await startMosquitto({
    global: BENCH_BROKER_GLOBAL,
    captureLog: false,
  });
  const sink = new CountingSink();
  const echo = new Echo();
  try {
    await sink.connect(broker.port, "bench-sink");
    await echo.start(broker.port, "bench-echo", "bench/rtt/ping", "bench/rtt/pong", new Uint8Array(64).fill(0x63));
    const pubs: { fig: FigureId; cpuFig?: FigureId; size: number; qos: 0 | 1 | 2; n: number; window: number }[] = [
      { fig: "qos0_64_rate", cpuFig: "qos0_64_cpu", size: 64, qos: 0, n: cfg.qos0Small, window: WINDOW },
      { fig: "qos0_16k_rate", cpuFig: "qos0_16k_cpu", size: 16_384, qos: 0, n: cfg.qos0Large, window: WINDOW },
      { fig: "qos1_seq_rate", size: 64, qos: 1, n: cfg.qos1Seq, window: 1 },
      { fig: "qos1_win_rate", cpuFig: "qos1_win_cpu", size: 64, qos: 1, n: cfg.qos1Win, window: WINDOW },
      { fig: "qos2_seq_rate", size: 64, qos: 2, n: cfg.qos2Seq, window: 1 },
      { fig: "qos2_win_rate", size: 64, qos: 2, n: cfg.qos2Win, window: WINDOW },
    ];
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const rt of opts.runtimes) {
        // Rotate the client order each repetition so no client always runs first.
        const kinds = CLIENT_KINDS.map((_, i) => CLIENT_KINDS[(i + rep) % CLIENT_KINDS.length]!);
        for (const kind of kinds) {
          log(`rep ${rep + 1}/${cfg.reps} ${rt} ${kind}`);
          const w = new WorkerProc(rt, kind, broker.port);
          try {
            await w.call({ op: "connect" });
            for (const p of pubs) {
              const topic = `bench/${rt}/${kind}/${rep}/${p.fig}`;
              // QoS 0 is measured end to end, so the counting subscriber listens. QoS 1/2
              // is measured at the publisher (broker acknowledgements) with no subscriber:
              // on 2 cores a third busy process would dominate the latency-bound figures.
              if (p.qos === 0) await sink.arm(topic);
              // Warm up with as many messages as are measured: a fifth was too few for a client with more
              // code than the raw one to reach its optimised steady state (on Deno, ours used 0.43 µs per
              // QoS 0 message in the 100,000 after a 20,000 warm-up and 0.29 µs from then on; raw 0.23 and 0.21).
              const warm = Math.max(200, p.n);
              const r = await w.call<PublishResult>({
                op: "publish",
                topic,
                size: p.size,
                qos: p.qos,
                n: p.n,
                window: p.window,
                warm,
              });
              if (p.qos === 0) {
                const got = await sink.collect(p.n);
                delivery.push({ runtime: rt, client: kind, figure: p.fig, sent: p.n, arrived: got.count });
                // End to end: from the publisher's first call to the subscriber's last arrival.
                add(p.fig, rt, kind, got.count / ((got.last - r.t0) / 1000));
              } else {
                add(p.fig, rt, kind, r.n / (r.ms / 1000));
              }
              if (p.cpuFig) add(p.cpuFig, rt, kind, r.cpuUs / r.n);
            }
            await w.call({ op: "subscribe", topic: "bench/rtt/pong" });
            const rtt = await w.call<RoundTripResult>({
              op: "rtt",
              ping: "bench/rtt/ping",
              size: 64,
              n: cfg.rtt,
              warm: Math.floor(cfg.rtt / 5),
            });
            add("rtt_p50", rt, kind, rtt.p50 * 1000);
            add("rtt_p99", rt, kind, rtt.p99 * 1000);
            const cr = await w.call<ConnectResult>({ op: "connrate", n: cfg.connRate });
            add("conn_rate", rt, kind, cr.perSecond);
          } catch (e) {
            const msg = `${rt} ${kind} rep ${rep + 1}: ${e instanceof Error ? e.message : String(e)}`;
            errors.push(msg);
            log(`  error: ${msg}`);
          } finally {
            await w.stop();
          }
        }
      }
    }
    for (let rep = 0; rep < cfg.memReps; rep++) {
      for (const rt of opts.runtimes) {
        for (const kind of CLIENT_KINDS) {
          log(`memory rep ${rep + 1}/${cfg.memReps} ${rt} ${kind} (${cfg.idle} idle clients)`);
          const w = new WorkerProc(rt, kind, broker.port);
          try {
            const m = await w.call<MemoryResult>({ op: "memory", n: cfg.idle });
            add("mem_per_client", rt, kind, m.perClient / 1024);
          } catch (e) {
            const msg = `memory ${rt} ${kind}: ${e instanceof Error ? e.message : String(e)}`;
            errors.push(msg);
            log(`  error: ${msg}`);
          } finally {
            await w.stop();
          }
        }
      }
    }
  } finally {
    await sink.close().catch(() => {});
    await echo.close().catch(() => {});
    await broker.stop();
  }
  log("import times");
  for (const rt of opts.runtimes) {
    const probes: Record<ClientKind, string> = {
      ours: "bench/import/ours.ts",
      mqttjs: "bench/import/mqttjs.ts",
      raw: "bench/import/none.ts",
    };
    for (const kind of CLIENT_KINDS) await timeProcess(rt, probes[kind]); // warm caches
    for (let i = 0; i < cfg.importReps; i++) {
      for (const kind of CLIENT_KINDS) add("import_ms", rt, kind, await timeProcess(rt, probes[kind]));
    }
  }
  log("bundle size");
  const size = await measureSize(ROOT);
  const figures: Results["figures"] = {};
  for (const [k, v] of samples) {
    const [fig, rt, kind] = k.split("|") as [FigureId, Runtime, ClientKind];
    ((figures[fig] ??= {})[rt] ??= {})[kind] = summarise(v);
  }
  const { machine, versions } = machineInfo(ROOT);
  return {
    mode: opts.quick ? "quick" : "full",
    date: new Date().toISOString(),
    durationS: Math.round((performance.now() - started) / 1000),
    machine,
    versions,
    config: cfg,
    runtimes: opts.runtimes,
    figures,
    delivery,
    size,
    errors,
  };
}

/** Wall time (ms) of a process that runs `file` and exits. */
async function timeProcess(rt: Runtime, file: string): Promise<number> {
  const [cmd, argv] = workerArgv(rt, join(ROOT, file), []);
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const c = spawn(cmd, argv, { cwd: ROOT, stdio: "ignore" });
    c.once("error", reject);
    c.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${file} exited with ${code}`))));
  });
  return performance.now() - t0;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const flag = (name: string): string | undefined =>
    argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split("=")[1] ??
      (argv.includes(`--${name}`) ? "" : undefined);
  const quick = flag("quick") !== undefined;
  const runtimes = (flag("runtimes") || (hasNode() ? "deno,bun,node" : "deno,bun")).split(",") as Runtime[];
  const reps = flag("reps") ? Number(flag("reps")) : undefined;
  const results = await runBenchmarks({ quick, runtimes, ...(reps ? { reps } : {}) });
  const md = renderMarkdown(results);
  console.log(md);
  if (flag("no-write") === undefined) {
    const dir = join(ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "latest.json"), JSON.stringify(results, null, 2) + "\n");
    writeFileSync(join(dir, "chart.svg"), renderSvg(results));
    const file = join(ROOT, "BENCHMARKS.md");
    const before = existsSync(file) ? readFileSync(file, "utf8") : "";
    writeFileSync(file, updateBenchmarksMd(before, md));
    // Keep the generated files as `deno fmt --check` wants them.
    new Deno.Command(Deno.execPath(), { args: ["fmt", file], stdout: "null", stderr: "null" })
      .outputSync();
    console.error(`wrote bench/results/latest.json, bench/results/chart.svg, BENCHMARKS.md (${results.durationS} s)`);
  }
  if (results.errors.length) console.error(`errors:\n${results.errors.join("\n")}`);
}
