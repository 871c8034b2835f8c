/**
 * HIL cross-check: drive our client through the MQTT tap (an ESP32 board or
 * the emulated rig) for every scenario, compare with umqtt.simple's reference
 * traces, print a verdict per scenario and a closing `N passed, N failed`.
 *
 *   deno run -A hil/host/main.ts --emulated [--only a1,f2] [--traces DIR]
 *   deno run -A hil/host/main.ts --board /dev/ttyUSB0 --board-ip 192.168.1.50 --lan-ip 192.168.1.10
 *   deno run -A hil/host/main.ts --emulated --fault corrupt@4      (must end in invalid-capture)
 *   deno run -A hil/host/main.ts --record --board /dev/ttyUSB0 --mpy /dev/ttyACM0 ...
 *
 * @module
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import type { AllowEntry } from "./compare.ts";
import type { TraceFile } from "./observed.ts";
import { buildRigSim, HIL_DIR, makeCert } from "./rig.ts";
import { type RigMode, runScenario, type ScenarioResult } from "./run.ts";
import type { Scenario } from "./scenario.ts";

/** Parsed command line. */
export interface Cli {
  emulated: boolean;
  board: string | null;
  boardIp: string | null;
  lanIp: string | null;
  baud: number;
  traces: string;
  scenarios: string;
  out: string;
  only: string[];
  faults: string[];
  record: boolean;
  mpy: string | null;
  verbose: boolean;
}

/**
 * Parse arguments.
 *
 * @param argv Arguments after the script name.
 * @returns The options.
 * @throws {Error} Naming the bad argument.
 */
export function parseCli(argv: string[]): Cli {
  const cli: Cli = {
    emulated: false,
    board: null,
    boardIp: null,
    lanIp: null,
    baud: 921600,
    traces: join(HIL_DIR, "traces"),
    scenarios: join(HIL_DIR, "scenarios"),
    out: join(HIL_DIR, "out"),
    only: [],
    faults: [],
    record: false,
    mpy: null,
    verbose: false,
  };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    const val = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new Error(`Missing value after "${a}"`);
      return v;
    };
    switch (a) {
      case "--emulated":
        cli.emulated = true;
        break;
      case "--board":
        cli.board = val();
        break;
      case "--board-ip":
        cli.boardIp = val();
        break;
      case "--lan-ip":
        cli.lanIp = val();
        break;
      case "--baud":
        cli.baud = Number(val());
        break;
      case "--traces":
        cli.traces = resolve(val());
        break;
      case "--scenarios":
        cli.scenarios = resolve(val());
        break;
      case "--out":
        cli.out = resolve(val());
        break;
      case "--only":
        cli.only.push(...val().split(",").filter(Boolean));
        break;
      case "--fault": {
        const f = val();
        if (!/^(corrupt|drop|noise|reset)@\d+$/.test(f)) {
          throw new Error(`Invalid --fault "${f}": use corrupt|drop|noise|reset@SEQ`);
        }
        cli.faults.push(f);
        break;
      }
      case "--record":
        cli.record = true;
        break;
      case "--mpy":
        cli.mpy = val();
        break;
      case "--verbose":
        cli.verbose = true;
        break;
      default:
        throw new Error(`Unknown argument "${a}" (see the header of hil/host/main.ts or hil/README.md)`);
    }
  }
  if (!cli.record && cli.emulated === !!cli.board) {
    throw new Error("Choose exactly one of --emulated or --board DEVICE");
  }
  if (cli.board && !cli.record && (!cli.boardIp || !cli.lanIp)) {
    throw new Error(
      "--board needs --board-ip (the board's address) and --lan-ip (this machine's address the board can reach)",
    );
  }
  if (cli.faults.length && !cli.emulated) {
    throw new Error("--fault works only with --emulated (it is injected by rig-sim)");
  }
  return cli;
}

/** Load scenarios, traces and the allow-list, matching every trace to a scenario. */
export function loadAll(
  cli: Cli,
): { pairs: { sc: Scenario | null; trace: TraceFile; name: string }[]; allow: AllowEntry[] } {
  if (!existsSync(cli.traces)) throw new Error(`Traces directory "${cli.traces}" does not exist (use --traces DIR)`);
  const allow =
    (JSON.parse(readFileSync(join(cli.scenarios, "allowlist.json"), "utf8")) as { entries: AllowEntry[] }).entries;
  const scenarios = new Map<string, Scenario>();
  for (const f of readdirSync(cli.scenarios).filter((f) => f.endsWith(".json") && f !== "allowlist.json")) {
    const sc = JSON.parse(readFileSync(join(cli.scenarios, f), "utf8")) as Scenario;
    scenarios.set(sc.trace, sc);
  }
  const pairs: { sc: Scenario | null; trace: TraceFile; name: string }[] = [];
  for (const f of readdirSync(cli.traces).filter((f) => f.endsWith(".json")).sort(naturalOrder)) {
    const name = f.replace(/\.json$/, "");
    if (cli.only.length && !cli.only.some((o) => name.startsWith(o))) continue;
    const trace = JSON.parse(readFileSync(join(cli.traces, f), "utf8")) as TraceFile;
    pairs.push({ sc: scenarios.get(f) ?? null, trace, name });
  }
  if (cli.only.length && pairs.length === 0) throw new Error(`No trace matches --only ${cli.only.join(",")}`);
  return { pairs, allow };
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

function printResult(r: ScenarioResult, verbose: boolean): void {
  const tag = {
    "pass": "PASS",
    "expected-divergence": "PASS (expected divergence)",
    "fail": "FAIL",
    "invalid-capture": "INVALID CAPTURE",
    "not-applicable": "N/A",
  }[r.verdict];
  console.log(`${tag.padEnd(27)} ${r.scenario}  ${r.ms ? `${(r.ms / 1000).toFixed(1)} s` : ""}`);
  for (const l of r.lines) console.log(`    ${l}`);
  if (r.verdict === "expected-divergence" || verbose) {
    const seen = new Set<string>();
    for (const a of r.allowed) {
      if (!seen.has(a.entry.what)) console.log(`    expected divergence: ${a.entry.what}`);
      seen.add(a.entry.what);
      if (verbose) console.log(`        ${a.diff.key}`);
    }
  }
}

async function main(): Promise<number> {
  let cli: Cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (e) {
    console.error(`hil: ${(e as Error).message}`);
    return 2;
  }
  if (cli.record) {
    const { recordMain } = await import("./record.ts");
    return await recordMain(cli);
  }
  const { pairs, allow } = loadAll(cli);
  let mode: RigMode;
  if (cli.emulated) {
    buildRigSim();
    mode = { kind: "emulated", rigArgs: cli.faults.flatMap((f) => ["--fault", f]) };
  } else {
    mode = { kind: "board", device: cli.board!, baud: cli.baud, boardIp: cli.boardIp!, lanIp: cli.lanIp! };
  }
  const cert = makeCert();
  let passed = 0, failed = 0;
  const divergent: string[] = [], na: string[] = [];
  const t0 = Date.now();
  for (const p of pairs) {
    if (!p.sc) {
      failed++;
      console.log(
        `${"FAIL".padEnd(27)} ${p.name}\n    no scenario file in ${cli.scenarios} has "trace": "${p.name}.json"`,
      );
      continue;
    }
    const r = await runScenario(p.sc, p.trace, { outRoot: cli.out, allow, mode, cert, verbose: cli.verbose });
    printResult(r, cli.verbose);
    if (r.verdict === "pass") passed++;
    else if (r.verdict === "expected-divergence") {
      passed++;
      divergent.push(r.scenario);
    } else if (r.verdict === "not-applicable") na.push(r.scenario);
    else failed++;
  }
  const { rmSync } = await import("node:fs");
  rmSync(cert.dir, { recursive: true, force: true });
  console.log("");
  if (divergent.length) {
    console.log(`expected divergences (counted as passed, see hil/scenarios/allowlist.json): ${divergent.join(", ")}`);
  }
  if (na.length) console.log(`not applicable (not counted, see hil/scenarios/allowlist.json): ${na.join(", ")}`);
  console.log(
    `artefacts: ${cli.out}/<scenario>/ (serial.log, capture.jsonl, capture.pcap, calls.json, report.txt); ${
      ((Date.now() - t0) / 1000).toFixed(1)
    } s`,
  );
  console.log(`${passed} passed, ${failed} failed`);
  return failed ? 1 : 0;
}

if (import.meta.main) {
  process.exitCode = await main();
}
