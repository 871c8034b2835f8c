/**
 * Test helper: start a private mosquitto broker on 127.0.0.1 with an explicit
 * config and free ports, and stop it by PID. Works under Deno, Bun and Node
 * (it uses only `node:` built-ins, never the system service).
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One listener of a broker started by {@linkcode startMosquitto}. */
export interface ListenerSpec {
  /** Extra config lines placed in this listener's block. */
  lines?: string[];
}

/** Options for {@linkcode startMosquitto}. */
export interface MosquittoOptions {
  /** Listeners after the first plain anonymous one. */
  extraListeners?: ListenerSpec[];
  /** Global config lines (before any listener). */
  global?: string[];
  /** Lines in the first (plain) listener's block. */
  firstListener?: string[];
  /** Keep the log lines in memory (default true). */
  captureLog?: boolean;
  /** Use this port for the first listener instead of a free one (restart on the same port). */
  port?: number;
  /** Use these ports for the extra listeners (restart on the same ports). */
  extraPorts?: number[];
  /** Working directory to reuse (restart); a fresh temp dir otherwise. */
  dir?: string;
}

/** A running broker. */
export interface Mosquitto {
  /** Port of the first, plain, anonymous listener. */
  port: number;
  /** Ports of the extra listeners, in order. */
  extraPorts: number[];
  /** The broker's working directory (config, password files, certificates). */
  dir: string;
  /** Log lines captured so far. */
  log: string[];
  /** Process id. */
  pid: number;
  /** Stop the broker (SIGTERM, then SIGKILL) and wait for it to exit. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
}

/** Whether a mosquitto binary is available. */
export function mosquittoPath(): string | null {
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"]) {
    const r = spawnSync(p, ["-h"], { stdio: "ignore" });
    if (!r.error) return p;
  }
  return null;
}

/** Find a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Create a mosquitto password file with the given users (uses mosquitto_passwd). */
export function writePasswordFile(dir: string, users: Record<string, string>): string {
  const file = join(dir, "passwd");
  writeFileSync(file, "");
  for (const [u, p] of Object.entries(users)) {
    const r = spawnSync("mosquitto_passwd", ["-b", file, u, p], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
  }
  return file;
}

/**
 * Start mosquitto with a plain anonymous listener on a free port plus any
 * extra listeners. Resolves once every listener accepts TCP connections.
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<Mosquitto> {
  const bin = mosquittoPath();
  if (!bin) throw new Error("mosquitto is not installed (apt-get install -y mosquitto)");
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "umqtt-mosq-"));
  const port = opts.port ?? await freePort();
  const extraPorts: number[] = [];
  for (let i = 0; i < (opts.extraListeners?.length ?? 0); i++) {
    let p = opts.extraPorts?.[i] ?? await freePort();
    // The kernel may hand the same free port out twice in a row: each listener needs its own.
    while (opts.extraPorts?.[i] === undefined && (p === port || extraPorts.includes(p))) p = await freePort();
    extraPorts.push(p);
  }
  const conf: string[] = [
    "persistence false",
    "log_dest stdout",
    "log_type all",
    "per_listener_settings true",
    ...(opts.global ?? []),
    `listener ${port} 127.0.0.1`,
    "allow_anonymous true",
    ...(opts.firstListener ?? []),
  ];
  opts.extraListeners?.forEach((l, i) => {
    conf.push(`listener ${extraPorts[i]} 127.0.0.1`, ...(l.lines ?? []));
  });
  const confFile = join(dir, "mosquitto.conf");
  writeFileSync(confFile, conf.join("\n") + "\n");
  const child: ChildProcess = spawn(bin, ["-c", confFile], { stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  let exited = false;
  const exitPromise = new Promise<void>((resolve) => {
    // "close", not "exit": the log (block-buffered on a pipe, so written at exit) may still be in flight at "exit".
    child.once("close", () => {
      exited = true;
      resolve();
    });
  });
  let partial = "";
  const onData = (d: Buffer | string): void => {
    if (opts.captureLog === false) return;
    partial += d.toString();
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    log.push(...lines);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const deadline = Date.now() + 10_000;
  for (const p of [port, ...extraPorts]) {
    while (!(await canConnect(p))) {
      if (exited || Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`mosquitto did not start on port ${p}:\n${log.join("\n")}\nconfig:\n${conf.join("\n")}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return {
    port,
    extraPorts,
    dir,
    log,
    pid: child.pid ?? -1,
    async stop(signal = "SIGTERM"): Promise<void> {
      if (!exited) {
        child.kill(signal);
        const t = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exitPromise;
        clearTimeout(t);
      }
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
