// End-to-end fault injection on the serial link: rig-sim (the firmware core)
// in a socat pty, a fresh mosquitto and our client, with rig-sim corrupting,
// dropping, adding noise to, or rebooting at one record. Each must end in an
// invalid capture, never a pass; the same scenario without a fault must pass.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { AllowEntry } from "./compare.ts";
import type { TraceFile } from "./observed.ts";
import { buildRigSim, HIL_DIR } from "./rig.ts";
import { runScenario } from "./run.ts";
import type { Scenario } from "./scenario.ts";
import { TRACES } from "./_test_util.ts";

const NAME = "i1-ping-wait-msg";
const sc = JSON.parse(readFileSync(join(HIL_DIR, "scenarios", `${NAME}.json`), "utf8")) as Scenario;
const trace = JSON.parse(readFileSync(join(TRACES, `${NAME}.json`), "utf8")) as TraceFile;
const allow: AllowEntry[] = [];

async function runWith(rigArgs: string[]) {
  buildRigSim();
  const out = mkdtempSync(join(tmpdir(), "hil-fault-"));
  try {
    return await runScenario(sc, trace, {
      outRoot: out,
      allow,
      mode: { kind: "emulated", rigArgs },
      cert: null,
      verbose: false,
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

test("runScenario() passes i1 through the emulated rig without faults", async () => {
  const r = await runWith([]);
  assert.equal(r.verdict, "pass", r.lines.join("\n"));
});

test("runScenario() reports a corrupted record as an invalid capture", async () => {
  const r = await runWith(["--fault", "corrupt@4"]);
  assert.equal(r.verdict, "invalid-capture");
  assert.match(r.lines.join("\n"), /CRC does not match/);
});

test("runScenario() reports a dropped record as an invalid capture", async () => {
  const r = await runWith(["--fault", "drop@5"]);
  assert.equal(r.verdict, "invalid-capture");
  assert.match(r.lines.join("\n"), /1 record\(s\) missing before seq 6/);
});

test("runScenario() reports noise on the link as an invalid capture", async () => {
  const r = await runWith(["--fault", "noise@3"]);
  assert.equal(r.verdict, "invalid-capture");
  assert.match(r.lines.join("\n"), /not a record \(noise on the serial link\)/);
});

test("runScenario() reports a rig reset mid-session as an invalid capture", async () => {
  const r = await runWith(["--fault", "reset@4"]);
  assert.equal(r.verdict, "invalid-capture");
  assert.match(r.lines.join("\n"), /the rig restarted mid-session/);
});

test("runScenario() reports ring overflow on a slow serial link as an invalid capture", async () => {
  // 9600 baud and a 300-byte ring: the rig must drop records rather than stall forwarding
  const r = await runWith(["--baud", "9600", "--ring", "300"]);
  assert.equal(r.verdict, "invalid-capture", r.lines.join("\n"));
  assert.match(r.lines.join("\n"), /ring overflowed and dropped \d+ record/);
});
