/**
 * Turn a documentation code block into a program and run it against a
 * test broker: read its markers, rewrite `@umqtt/client` imports to the
 * checkout and broker addresses to the test broker, add the prelude, and
 * run it as a subprocess on the runtime running the tests.
 *
 * Markers (`<!-- snippet: … -->` before the block):
 *
 * | item                    | meaning                                                                             |
 * | ----------------------- | ----------------------------------------------------------------------------------- |
 * | `skip reason="…"`       | not run; the reason is required                                                      |
 * | `prelude=NAME`          | prepend a prelude from `_preludes.ts` (a fragment using `client`, CLI fixture files) |
 * | `expect="…"` (repeat)   | stdout must contain this text                                                        |
 * | `seed="topic=payload"`  | retained QoS 1 message put on the broker (mosquitto_pub) before the run (repeat)     |
 * | `kill-after=MS`         | it runs until stopped: ended once every `expect` appeared, or after MS ms            |
 * | `interrupt-after=MS`    | `sh`: each `umqtt` command gets SIGINT after MS ms and must exit 0                   |
 * | `timeout=MS`            | hard limit for a block that ends by itself (default 20000)                           |
 * | `allow-stderr`          | output on stderr is expected (otherwise any makes the run fail)                      |
 *
 * Without `kill-after` a block must exit 0 by itself within the timeout. In
 * every case it must print nothing on stderr (an error logged by
 * `onError`, an unhandled rejection, a warning) unless `allow-stderr`.
 *
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type CodeBlock, RUN_LANGUAGES } from "./_markdown.ts";
import { SH_BASE, SH_PRELUDES, TS_PRELUDES } from "./_preludes.ts";

/** Repository root, as a file URL ending in `/`. */
export const ROOT: URL = new URL("../../", import.meta.url);

/** Whether the tests run on Deno (else Bun or Node). */
export const IS_DENO: boolean = "Deno" in globalThis;

/** What the markers ask for one block. */
export interface Plan {
  /** `README.md:29`. */
  id: string;
  block: CodeBlock;
  lang: "ts" | "js" | "sh";
  /** Set when the block is not run. */
  skip?: string;
  prelude?: string;
  expects: string[];
  seeds: { topic: string; payload: string }[];
  killAfter?: number;
  interruptAfter?: number;
  timeout: number;
  allowStderr: boolean;
}

const KEYS = new Set([
  "skip",
  "reason",
  "prelude",
  "expect",
  "seed",
  "kill-after",
  "interrupt-after",
  "timeout",
  "allow-stderr",
]);

function ms(key: string, v: string | true, errors: string[]): number | undefined {
  const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n > 0 && n <= 60_000)) {
    errors.push(`${key} must be a number of milliseconds in 1..60000, got ${JSON.stringify(v)}`);
    return undefined;
  }
  return n;
}

/**
 * Read a runnable block's markers. Returns `null` for a block in a language
 * that is not run (`python`, `json`, …); `errors` lists what is wrong with
 * its markers.
 */
export function planFor(block: CodeBlock): { plan: Plan; errors: string[] } | null {
  const lang = RUN_LANGUAGES[block.lang];
  const id = `${block.file}:${block.line}`;
  if (!lang) return null;
  const errors: string[] = [];
  const plan: Plan = { id, block, lang, expects: [], seeds: [], timeout: 20_000, allowStderr: false };
  let skip = false;
  let reason: string | undefined;
  for (const { key, value } of block.marker) {
    if (!KEYS.has(key)) errors.push(`unknown marker item "${key}"`);
    else if (key === "skip") skip = true;
    else if (key === "allow-stderr") plan.allowStderr = true;
    else if (key === "reason") reason = String(value);
    else if (key === "prelude") {
      const table = lang === "sh" ? SH_PRELUDES : TS_PRELUDES;
      if (typeof value !== "string" || !(value in table)) {
        errors.push(`unknown ${lang} prelude ${JSON.stringify(value)} (known: ${Object.keys(table).join(", ")})`);
      } else plan.prelude = value;
    } else if (key === "expect") {
      if (typeof value !== "string" || value === "") errors.push("expect needs a text");
      else plan.expects.push(value);
    } else if (key === "seed") {
      const eq = typeof value === "string" ? value.indexOf("=") : -1;
      if (typeof value !== "string" || eq <= 0) {
        errors.push(`seed must be "topic=payload", got ${JSON.stringify(value)}`);
      } else plan.seeds.push({ topic: value.slice(0, eq), payload: value.slice(eq + 1) });
    } else if (key === "kill-after") {
      if (lang === "sh") errors.push("kill-after is for ts/js blocks; sh blocks use interrupt-after");
      const n = ms(key, value, errors);
      if (n !== undefined) plan.killAfter = n;
    } else if (key === "interrupt-after") {
      if (lang !== "sh") errors.push("interrupt-after is for sh blocks; ts/js blocks use kill-after");
      const n = ms(key, value, errors);
      if (n !== undefined) plan.interruptAfter = n;
    } else if (key === "timeout") {
      const n = ms(key, value, errors);
      if (n !== undefined) plan.timeout = n;
    }
  }
  if (skip) {
    if (!reason || reason.trim().length < 10) errors.push('skip needs a real reason: skip reason="…"');
    else plan.skip = reason;
    if (block.marker.some((m) => m.key !== "skip" && m.key !== "reason")) {
      errors.push("a skipped block takes no other marker items");
    }
  } else if (reason !== undefined) errors.push("reason is only for skip");
  if (plan.killAfter !== undefined && plan.expects.length === 0) {
    errors.push("kill-after needs at least one expect (how else would a killed run count as a success?)");
  }
  return { plan, errors };
}

const EXPORTS: Record<string, string> = JSON.parse(readFileSync(new URL("deno.json", ROOT), "utf8")).exports;

/** The checkout file that an `@umqtt/client[/sub]` specifier names (per deno.json "exports"). */
export function resolveExport(subpath: string | undefined): string | undefined {
  const target = EXPORTS[subpath ? `.${subpath}` : "."];
  return target === undefined ? undefined : new URL(target, ROOT).href;
}

/** Rewrite `mqtt://[user@]host[:port]` URLs and `1883` to the test broker. */
function rewriteBrokerCommon(code: string, port: number): string {
  return code
    .replace(
      /\bmqtt:\/\/(?:([^@/\s"'`]*)@)?[\w.-]+(?::\d+)?/g,
      (_m, user: string | undefined) => `mqtt://${user ? user + "@" : ""}127.0.0.1:${port}`,
    )
    .replace(/\b1883\b/g, String(port));
}

/**
 * A TypeScript/JavaScript snippet made runnable: imports of
 * `jsr:@umqtt/client[/sub]` (or `@umqtt/client…`, `npm:`) point to the
 * checkout, broker addresses to `127.0.0.1:port`.
 */
export function rewriteTs(code: string, port: number): string {
  return rewriteBrokerCommon(
    code.replace(
      /(["'])(?:jsr:|npm:)?@umqtt\/client(\/[\w-]+)?\1/g,
      (m, q: string, sub: string | undefined) => {
        const url = resolveExport(sub);
        return url ? q + url + q : m;
      },
    ),
    port,
  ).replace(
    /(["'])(127\.0\.0\.1|localhost|broker\.example|broker\.local|192\.168\.\d+\.\d+)\1/g,
    (_m, q: string) => `${q}mqtt://127.0.0.1:${port}${q}`,
  );
}

/** A shell snippet made runnable: every way the docs start the CLI becomes `umqtt` (see `SH_BASE`). */
export function rewriteSh(code: string, port: number): string {
  return rewriteBrokerCommon(
    code
      .replace(/\bdeno run(?: -A| --allow-[\w-]+(?:=\S+)?)* (?:jsr:@umqtt\/client\/cli|\.?\/?src\/cli\.ts)\b/g, "umqtt")
      .replace(/\bbun (?:run )?\.?\/?src\/cli\.ts\b/g, "umqtt")
      .replace(/(\s)(-h|--host)(\s+|=)(?!127\.0\.0\.1\b)[\w.-]+/g, "$1$2$3127.0.0.1"),
    port,
  );
}

/** The program text for a plan (prelude + rewritten snippet). */
export function programFor(plan: Plan, port: number): string {
  const { lang, block } = plan;
  if (lang === "sh") {
    const prelude = plan.prelude ? SH_PRELUDES[plan.prelude]! : "";
    return SH_BASE + prelude + `# ${plan.id}\n` + rewriteSh(block.code, port);
  }
  const prelude = plan.prelude ? TS_PRELUDES[plan.prelude]! : "";
  return rewriteTs(prelude + block.code, port);
}

/** What a run produced. */
export interface Outcome {
  ok: boolean;
  /** Why it failed (empty when ok). */
  why: string;
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  program: string;
}

/** Put the plan's `seed` messages on the broker as retained QoS 1 messages. */
export function seed(plan: Plan, port: number): void {
  for (const { topic, payload } of plan.seeds) {
    const r = spawnSync("mosquitto_pub", [
      "-h",
      "127.0.0.1",
      "-p",
      String(port),
      "-t",
      topic,
      "-m",
      payload,
      "-r",
      "-q",
      "1",
    ], {
      encoding: "utf8",
      timeout: 10_000,
    });
    if (r.status !== 0) throw new Error(`mosquitto_pub for seed ${topic} failed: ${r.stderr || r.error}`);
  }
}

/** Run a plan's program against the broker on `port`; never rejects. */
export async function runPlan(plan: Plan, port: number): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), "umqtt-docs-"));
  const program = programFor(plan, port);
  const name = plan.id.replace(/[^\w.-]+/g, "_") + (plan.lang === "sh" ? ".sh" : plan.lang === "ts" ? ".ts" : ".mjs");
  const file = join(dir, name);
  writeFileSync(file, program);
  const env: Record<string, string> = {
    ...process.env as Record<string, string>,
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
    UMQTT_EXEC: process.execPath,
    UMQTT_EXEC_ARGS: IS_DENO ? "run -A --quiet" : "",
    UMQTT_CLI: new URL("src/cli.ts", ROOT).pathname,
    UMQTT_PORT: String(port),
  };
  delete env.FORCE_COLOR;
  if (plan.interruptAfter) env.UMQTT_INTERRUPT_S = String(plan.interruptAfter / 1000);
  let cmd: string;
  let args: string[];
  if (plan.lang === "sh") {
    // coreutils timeout forwards our SIGTERM to bash and every command it started (one
    // process group), and is a backstop of its own.
    [cmd, args] = ["timeout", ["-k", "2", String(plan.timeout / 1000 + 5), "bash", file]];
  } else {
    [cmd, args] = [process.execPath, IS_DENO ? ["run", "-A", "--quiet", file] : [file]];
  }
  const t0 = Date.now();
  try {
    seed(plan, port);
    return await new Promise<Outcome>((resolve) => {
      const child = spawn(cmd, args, { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let stoppedByUs = false;
      let timedOut = false;
      const allSeen = (): boolean => plan.expects.every((e) => stdout.includes(e));
      const stop = (): void => {
        if (stoppedByUs) return;
        stoppedByUs = true;
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 2000).unref?.();
      };
      child.stdout!.setEncoding("utf8");
      child.stderr!.setEncoding("utf8");
      child.stdout!.on("data", (d: string) => {
        stdout += d;
        if (plan.killAfter !== undefined && allSeen()) stop();
      });
      child.stderr!.on("data", (d: string) => (stderr += d));
      const limit = plan.killAfter ?? plan.timeout;
      const timer = setTimeout(() => {
        timedOut = plan.killAfter === undefined;
        stop();
      }, limit);
      const finish = (code: number | null, signal: string | null, error?: Error): void => {
        clearTimeout(timer);
        const missing = plan.expects.filter((e) => !stdout.includes(e));
        let why = "";
        if (error) why = `could not start ${cmd}: ${error.message}`;
        else if (timedOut) why = `did not exit within ${plan.timeout} ms (a block that runs forever needs kill-after)`;
        else if (!stoppedByUs && code !== 0) why = `exited with ${code ?? signal}`;
        if (!why && missing.length > 0) {
          why = `stdout lacks ${missing.map((e) => JSON.stringify(e)).join(", ")}` +
            (stoppedByUs ? ` (ended after ${limit} ms)` : "");
        }
        if (!why && stderr !== "" && !plan.allowStderr) why = "it printed on stderr (mark allow-stderr if expected)";
        resolve({ ok: why === "", why, code, signal, stdout, stderr, ms: Date.now() - t0, program });
      };
      child.once("error", (e) => finish(null, null, e));
      child.once("close", (code, signal) => finish(code, signal));
    });
  } catch (e) {
    return {
      ok: false,
      why: String(e),
      code: null,
      signal: null,
      stdout: "",
      stderr: "",
      ms: Date.now() - t0,
      program,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A failure report: why, the program that ran, and its output. */
export function report(plan: Plan, o: Outcome): string {
  const numbered = o.program.trimEnd().split("\n").map((l, i) => `${String(i + 1).padStart(3)} | ${l}`).join("\n");
  return `${plan.id} (${plan.lang}) failed: ${o.why}\n--- program ---\n${numbered}\n--- stdout ---\n${o.stdout}` +
    `--- stderr ---\n${o.stderr}--- end (${o.ms} ms, exit ${o.code ?? o.signal}) ---`;
}
