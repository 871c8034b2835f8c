/**
 * The crash soak: a publisher and a subscriber with `FileStore`s stream
 * QoS 1 and QoS 2 messages through a private mosquitto while this process
 * kills one of them with SIGKILL at random moments and starts it again
 * with the same store. At the end every number must be in the
 * subscriber's output: QoS 1 at least once, QoS 2 exactly once.
 *
 * Used by `crash_test.ts` (short, in CI) and `scripts/crash_soak.ts` (long).
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import { Rng } from "../_rng.ts";

/** Settings of one soak. */
export interface CrashSoakOptions {
  /** Messages to publish (odd numbers QoS 1, even QoS 2). */
  messages: number;
  /** SIGKILLs to deal out while the publisher runs (then both may finish). */
  kills: number;
  /** fdatasync each store record. */
  sync: boolean;
  /** Random pause between kills, in ms: [min, max]. */
  pause?: [number, number];
  /** Seed of the kill schedule (printed with the result, to replay a run). */
  seed?: number;
  /** Give up after this many ms. */
  timeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What one soak found. */
export interface CrashSoakResult {
  messages: number;
  seed: number;
  publisherKills: number;
  subscriberKills: number;
  /** QoS 1 numbers never received. */
  lostQos1: number;
  /** QoS 1 numbers received more than once (allowed: at least once). */
  duplicateQos1: number;
  lostQos2: number;
  duplicateQos2: number;
  seconds: number;
}

const here = dirname(fileURLToPath(import.meta.url));

/** The command that runs a TypeScript file on this runtime. */
function command(file: string, args: string[]): [string, string[]] {
  const path = join(here, file);
  if ("Bun" in globalThis) return [process.execPath, ["run", path, ...args]];
  return [process.execPath, ["run", "-A", "--no-check", path, ...args]];
}

interface Proc {
  child: ChildProcess;
  exited: Promise<number | null>;
  out: string;
}

function start(file: string, args: string[], log: (l: string) => void): Proc {
  const [bin, argv] = command(file, args);
  const child = spawn(bin, argv, { stdio: ["ignore", "pipe", "pipe"] });
  const p: Proc = { child, exited: new Promise((r) => child.once("close", (code) => r(code))), out: "" };
  child.stdout!.on("data", (d) => (p.out += d.toString()));
  child.stderr!.on("data", (d) => {
    for (const l of d.toString().split("\n")) if (l.trim()) log(`${file}: ${l}`);
  });
  return p;
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Run one soak.
 *
 * @param o Settings.
 * @returns The counts.
 */
export async function crashSoak(o: CrashSoakOptions): Promise<CrashSoakResult> {
  const log = o.log ?? (() => {});
  const seed = o.seed ?? Math.floor(Math.random() * 2 ** 31);
  const r = new Rng(seed);
  const rnd = (): number => r.float();
  const [minPause, maxPause] = o.pause ?? [50, 400];
  const began = Date.now();
  const deadline = began + (o.timeoutMs ?? 300_000);
  const dir = mkdtempSync(join(tmpdir(), "umqtt-crash-"));
  // Unlimited queue for the offline subscriber; mosquitto's default in-flight window.
  const broker = await startMosquitto({
    global: ["max_queued_messages 0", "max_inflight_messages 20"],
    captureLog: false,
  });
  const pubArgs = [String(broker.port), join(dir, "pub.store"), String(o.messages), o.sync ? "1" : "0"];
  const subArgs = [
    String(broker.port),
    join(dir, "sub.store"),
    join(dir, "out.txt"),
    String(o.messages),
    o.sync ? "1" : "0",
  ];
  const procs: { pub: Proc | null; sub: Proc | null } = { pub: null, sub: null };
  let publisherKills = 0;
  let subscriberKills = 0;
  const startSub = async (): Promise<Proc> => {
    const p = start("_crash_sub.ts", subArgs, log);
    await until(() => p.out.includes("ready") || p.child.exitCode !== null, 30_000, "the subscriber");
    return p;
  };
  try {
    procs.sub = await startSub();
    procs.pub = start("_crash_pub.ts", pubArgs, log);
    let published = false;
    while (!published) {
      if (Date.now() > deadline) throw new Error("Timed out: the publisher did not finish");
      const pause = minPause + rnd() * (maxPause - minPause);
      const killNow = publisherKills + subscriberKills < o.kills;
      const victim: "pub" | "sub" = rnd() < 0.5 ? "pub" : "sub";
      const end = Date.now() + pause;
      while (Date.now() < end && procs.pub!.child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      if (procs.pub!.child.exitCode !== null) {
        const code = await procs.pub!.exited;
        if (code !== 0) throw new Error(`The publisher exited with ${code}`);
        published = procs.pub!.out.includes(`published ${o.messages}`);
        if (!published) throw new Error(`The publisher ended without finishing: ${procs.pub!.out}`);
        break;
      }
      if (!killNow) continue;
      const p = procs[victim]!;
      if (p.child.exitCode !== null) {
        throw new Error(`The ${victim === "pub" ? "publisher" : "subscriber"} exited by itself (${p.child.exitCode})`);
      }
      p.child.kill("SIGKILL");
      await p.exited;
      if (victim === "pub") {
        publisherKills++;
        procs.pub = start("_crash_pub.ts", pubArgs, log);
      } else {
        subscriberKills++;
        procs.sub = await startSub();
      }
      log(`kill ${publisherKills + subscriberKills}: ${victim}`);
    }
    const code = await Promise.race([
      procs.sub!.exited,
      new Promise<"late">((r) => setTimeout(() => r("late"), Math.max(1000, deadline - Date.now()))),
    ]);
    if (code !== 0) throw new Error(`The subscriber did not finish cleanly (${code}): ${procs.sub!.out}`);
    const counts = new Map<number, number>();
    const out = join(dir, "out.txt");
    for (const line of existsSync(out) ? readFileSync(out, "utf8").split("\n") : []) {
      if (!line) continue;
      const n = Number(line.split(" ")[1]);
      counts.set(n, (counts.get(n) ?? 0) + 1);
    }
    const r: CrashSoakResult = {
      messages: o.messages,
      seed,
      publisherKills,
      subscriberKills,
      lostQos1: 0,
      duplicateQos1: 0,
      lostQos2: 0,
      duplicateQos2: 0,
      seconds: (Date.now() - began) / 1000,
    };
    for (let n = 1; n <= o.messages; n++) {
      const c = counts.get(n) ?? 0;
      if (n % 2 === 1) {
        if (c === 0) r.lostQos1++;
        if (c > 1) r.duplicateQos1++;
      } else {
        if (c === 0) r.lostQos2++;
        if (c > 1) r.duplicateQos2++;
      }
    }
    return r;
  } finally {
    for (const p of [procs.pub, procs.sub]) if (p && p.child.exitCode === null) p.child.kill("SIGKILL");
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
