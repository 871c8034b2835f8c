/**
 * Helpers for CLI tests: run `src/cli.ts` (and mosquitto_pub/sub) as
 * subprocesses on the runtime running the tests.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import type { Mosquitto } from "../../scripts/mosquitto.ts";

/** Path of the CLI entry point. */
export const CLI: string = new URL("../../src/cli.ts", import.meta.url).pathname;

/** Whether the tests run on Deno. */
export const IS_DENO: boolean = "Deno" in globalThis;

/** The command line that runs the CLI on this runtime. */
export function cliCommand(args: string[]): [string, string[]] {
  return IS_DENO ? [process.execPath, ["run", "-A", "--quiet", CLI, ...args]] : [process.execPath, [CLI, ...args]];
}

/** A running subprocess with its output collected. */
export interface Proc {
  child: ChildProcess;
  /** stdout so far, as text. */
  text(): string;
  /** Resolves when it exits. */
  done: Promise<Result>;
}

/** What a finished subprocess produced. */
export interface Result {
  code: number | null;
  signal: string | null;
  stdout: Uint8Array;
  stderr: string;
  /** stdout as text. */
  out: string;
}

/** Start a program; `stdin` (if given) is written and closed. Killed after `limitMs`. */
export function start(
  cmd: string,
  args: string[],
  stdin?: Uint8Array | string,
  limitMs = 20_000,
  env?: Record<string, string>,
): Proc {
  const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  const out: Uint8Array[] = [];
  let err = "";
  child.stdout!.on("data", (d: Uint8Array) => out.push(new Uint8Array(d)));
  child.stderr!.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
  if (stdin !== undefined) child.stdin!.end(stdin);
  const killer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const done = new Promise<Result>((resolve, reject) => {
    child.once("error", (e) => {
      clearTimeout(killer);
      reject(e);
    });
    child.once("close", (code, signal) => {
      clearTimeout(killer);
      const n = out.reduce((a, b) => a + b.length, 0);
      const stdout = new Uint8Array(n);
      let o = 0;
      for (const c of out) {
        stdout.set(c, o);
        o += c.length;
      }
      resolve({ code, signal, stdout, stderr: err, out: new TextDecoder().decode(stdout) });
    });
  });
  const text = (): string => new TextDecoder().decode(Uint8Array.from(out.flatMap((c) => Array.from(c))));
  return { child, done, text };
}

/** Start the CLI. */
export function startCli(args: string[], stdin?: Uint8Array | string): Proc {
  const [cmd, a] = cliCommand(args);
  return start(cmd, a, stdin);
}

/** Run the CLI to completion. */
export function runCli(args: string[], stdin?: Uint8Array | string): Promise<Result> {
  return startCli(args, stdin).done;
}

/** Run a program to completion. */
export function run(cmd: string, args: string[], stdin?: Uint8Array | string): Promise<Result> {
  return start(cmd, args, stdin).done;
}

/**
 * Wait until the broker's log has a line containing `text` (e.g. the
 * SUBACK sent to a client id), or fail after `limitMs`.
 */
export async function waitForLog(broker: Mosquitto, text: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!broker.log.some((l) => l.includes(text))) {
    if (Date.now() > end) throw new Error(`broker log never showed ${JSON.stringify(text)}:\n${broker.log.join("\n")}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Kill a subprocess if it still runs, and wait for it. */
export async function reap(p: Proc | undefined): Promise<void> {
  if (!p) return;
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await p.done.catch(() => {});
}

/** Wait until the process printed `text` on stdout, or fail after `limitMs`. */
export async function waitForOutput(p: Proc, text: string, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!p.text().includes(text)) {
    if (Date.now() > end || p.child.exitCode !== null) {
      throw new Error(`never printed ${JSON.stringify(text)}; stdout so far:\n${p.text()}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
