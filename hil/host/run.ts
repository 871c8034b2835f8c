/**
 * Run one scenario end to end: fresh broker, the rig (emulated or a board),
 * our client through the tap, then verify the capture, compare with the
 * reference trace, apply the allow-list and write the artefacts.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../../scripts/mosquitto.ts";
import { type Broker, startBroker } from "./broker.ts";
import { type AllowEntry, applyAllowList, compareRuns, type Diff, sideBySide } from "./compare.ts";
import { toHex } from "./hex.ts";
import { decodePacket } from "./mqtt_decode.ts";
import { fromRecords, fromTrace, type Observed, type TraceFile } from "./observed.ts";
import { toPcap } from "./pcap.ts";
import type { Capture, CaptureRecord } from "./records.ts";
import { type Child, startEmulatedRig, startTlsTerminator, type TestCert } from "./rig.ts";
import { runSteps, type Scenario, type StepsResult } from "./scenario.ts";
import { SerialLink } from "./serial.ts";

/** Final verdict of a scenario. */
export type Verdict = "pass" | "expected-divergence" | "fail" | "invalid-capture" | "not-applicable";

/** Everything known about one scenario run. */
export interface ScenarioResult {
  scenario: string;
  verdict: Verdict;
  /** Reasons for fail / invalid-capture, or the allow-list entries used. */
  lines: string[];
  allowed: { diff: Diff; entry: AllowEntry }[];
  unexpected: Diff[];
  ms: number;
  outDir: string;
}

/** How to reach the rig. */
export type RigMode =
  | { kind: "emulated"; rigArgs: string[] }
  | { kind: "board"; device: string; baud: number; boardIp: string; lanIp: string };

/** Shared resources for a whole run. */
export interface RunContext {
  outRoot: string;
  allow: AllowEntry[];
  mode: RigMode;
  cert: TestCert | null;
  verbose: boolean;
}

function recordJson(r: CaptureRecord): Record<string, unknown> {
  if (r.kind === "R" || r.kind === "M") {
    const { bytes, ...rest } = r;
    return { ...rest, hex: toHex(bytes), ...(r.kind === "R" ? { decoded: decodePacket(bytes).summary } : {}) };
  }
  return { ...r };
}

/**
 * Run one scenario.
 *
 * @param sc The scenario file.
 * @param trace Its reference trace.
 * @param ctx Run-wide settings.
 * @returns The result with its verdict.
 */
export async function runScenario(sc: Scenario, trace: TraceFile, ctx: RunContext): Promise<ScenarioResult> {
  const started = Date.now();
  const outDir = join(ctx.outRoot, sc.scenario);
  mkdirSync(outDir, { recursive: true });
  const na = ctx.allow.find((e) => e.scenario === sc.scenario && e.not_applicable);
  if (na) {
    return {
      scenario: sc.scenario,
      verdict: "not-applicable",
      lines: [`${na.what}: ${na.reason}`],
      allowed: [],
      unexpected: [],
      ms: 0,
      outDir,
    };
  }
  const cleanups: (() => Promise<void> | void)[] = [];
  let serial: SerialLink | null = null;
  let steps: StepsResult | null = null;
  let capture: Capture | null = null;
  const errors: string[] = [];
  let broker: Broker | null = null;
  try {
    const lan = ctx.mode.kind === "board" ? await lanListener(ctx.mode.lanIp, sc.endpoint) : null;
    broker = await startBroker(lan?.lines ?? []);
    const b = broker;
    cleanups.push(() => b.stop());
    const upstreamPort = lan?.port ?? broker.portFor(sc.endpoint);
    let tapHost = "127.0.0.1";
    let tapPort: number;
    if (ctx.mode.kind === "emulated") {
      const rig = await startEmulatedRig(upstreamPort, ctx.mode.rigArgs);
      cleanups.push(() => rig.stop());
      serial = SerialLink.open(rig.tty);
      const s = serial;
      cleanups.push(() => s.close());
      const hello = await serial.expect(/^H 0 /, 5000, 0);
      const m = / listen=(\d+)/.exec(hello);
      if (!m) throw new Error(`The rig's H record names no listen port: ${hello}`);
      tapPort = Number(m[1]);
    } else {
      serial = SerialLink.open(ctx.mode.device, { baud: ctx.mode.baud });
      const s = serial;
      cleanups.push(() => s.close());
      // A fresh session per scenario: reset the board and wait for its H record.
      serial.send("reset");
      await serial.expect(/^H 0 /, 15000, 0);
      serial.send(`upstream ${ctx.mode.lanIp} ${upstreamPort}`);
      await serial.expect(/^# ok upstream /, 3000);
      tapHost = ctx.mode.boardIp;
      tapPort = 1883;
    }
    // the console answers on the same link
    serial.send("status");
    await serial.expect(/^# status /, 3000);
    let clientPort = tapPort;
    if (sc.endpoint === "tls") {
      if (!ctx.cert) throw new Error("tls scenario needs a certificate (openssl missing?)");
      const tlsPort = await freePort();
      const term: Child = await startTlsTerminator(ctx.cert, tlsPort, tapPort, tapHost);
      cleanups.push(() => term.stop());
      clientPort = tlsPort;
    }
    steps = await runSteps(sc, {
      host: sc.endpoint === "tls" ? "127.0.0.1" : tapHost, // tls: the terminator runs on this machine
      port: clientPort,
      brokerPort: broker.ports.anon,
      brokerHost: "127.0.0.1",
      ...(ctx.cert ? { caPem: ctx.cert.certPem } : {}),
    });
    // let the rig report the last packets and connection ends
    const s = serial;
    await serial.settle(150, 3000, () => {
      const c = s.verifier.finish();
      const opened = c.records.filter((r) => r.kind === "O").length;
      const closed = c.records.filter((r) => r.kind === "C" || r.kind === "U").length;
      return opened === closed;
    });
    const c = serial.verifier.finish();
    const open = c.records.filter((r) => r.kind === "O").map((r) => (r as { conn: number }).conn)
      .filter((conn) => !c.records.some((r) => (r.kind === "C" || r.kind === "U") && r.conn === conn));
    if (open.length && !c.problems.length) {
      serial.verifier.note(
        "incomplete",
        `the rig never reported the end of connection(s) ${
          open.join(", ")
        }: records are missing (serial link too slow, or the rig stalled)`,
      );
    }
  } catch (e) {
    errors.push(`harness error: ${(e as Error).message}`);
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch (e) {
        errors.push(`cleanup: ${(e as Error).message}`);
      }
    }
  }
  if (serial) {
    writeFileSync(join(outDir, "serial.log"), serial.rawBytes());
    capture = serial.verifier.finish();
    writeFileSync(
      join(outDir, "capture.jsonl"),
      capture.records.map((r) => JSON.stringify(recordJson(r))).join("\n") + "\n",
    );
    writeFileSync(join(outDir, "capture.pcap"), toPcap(capture.records));
  }
  if (steps) {
    writeFileSync(
      join(outDir, "calls.json"),
      JSON.stringify({ calls: steps.calls, callbacks: steps.callbacks, sides: steps.sides, logs: steps.logs }, null, 2),
    );
  }
  const result: ScenarioResult = {
    scenario: sc.scenario,
    verdict: "fail",
    lines: [],
    allowed: [],
    unexpected: [],
    ms: 0,
    outDir,
  };
  if (errors.length || !capture || !steps) {
    result.verdict = errors.some((e) => /H 0|serial|rig/i.test(e)) ? "invalid-capture" : "fail";
    result.lines.push(...errors);
    if (capture) result.lines.push(...capture.problems.map((p) => `capture: ${p.message}`));
  } else if (capture.problems.length) {
    result.verdict = "invalid-capture";
    result.lines.push(...capture.problems.map((p) => `capture: ${p.message}`));
  } else {
    const t0 = capture.records.find((r) => r.kind === "H")!;
    const { packets, conns } = fromRecords(capture.records, "us" in t0 ? t0.us : 0);
    const ours: Observed = {
      packets,
      conns,
      calls: steps.calls,
      callbacks: steps.callbacks,
      sides: steps.sides,
      logs: steps.logs,
    };
    const ref = fromTrace(trace);
    const diffs = compareRuns(ref, ours, { timing: sc.timing ?? [] });
    const { allowed, unexpected, stale } = applyAllowList(sc.scenario, diffs, ctx.allow);
    result.allowed = allowed;
    result.unexpected = unexpected;
    for (const d of unexpected) result.lines.push(`differs: ${d.key}${d.detail ? `  (${d.detail})` : ""}`);
    for (const e of stale) {
      result.lines.push(`allow-list entry matched nothing (remove it, or the client changed): ${e.what}`);
    }
    const firstBytes = unexpected.find((d) => d.ref && d.ours);
    if (firstBytes) result.lines.push(...sideBySide(firstBytes.ref!.bytes, firstBytes.ours!.bytes));
    result.verdict = unexpected.length || stale.length ? "fail" : allowed.length ? "expected-divergence" : "pass";
  }
  result.ms = Date.now() - started;
  const report = [
    `${sc.scenario}: ${result.verdict} (${result.ms} ms)`,
    ...result.lines,
    ...result.allowed.map((a) => `expected divergence: ${a.diff.key}  [allow-list: ${a.entry.what}]`),
  ];
  writeFileSync(join(outDir, "report.txt"), report.join("\n") + "\n");
  return result;
}

async function lanListener(lanIp: string, endpoint: string): Promise<{ port: number; lines: string[] }> {
  const port = await freePort();
  const lines = [`listener ${port} ${lanIp}`];
  if (endpoint === "auth") throw new Error("Board mode does not support the auth endpoint yet (b1): run it emulated");
  if (endpoint === "dynsec") {
    throw new Error("Board mode does not support the dynsec endpoint yet (n5): run it emulated");
  }
  lines.push("allow_anonymous true");
  return { port, lines };
}
