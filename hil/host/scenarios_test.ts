import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { AllowEntry } from "./compare.ts";
import { HIL_DIR } from "./rig.ts";
import type { Scenario, Step } from "./scenario.ts";
import { loadTraces } from "./_test_util.ts";

const DIR = join(HIL_DIR, "scenarios");
const scenarios = readdirSync(DIR).filter((f) => f.endsWith(".json") && f !== "allowlist.json").map((f) =>
  JSON.parse(readFileSync(join(DIR, f), "utf8")) as Scenario
);
const allow = (JSON.parse(readFileSync(join(DIR, "allowlist.json"), "utf8")) as { entries: AllowEntry[] }).entries;

test("every reference trace has exactly one scenario file", () => {
  const traces = loadTraces().map((t) => `${t.scenario}.json`).sort();
  assert.deepEqual(scenarios.map((s) => s.trace).sort(), traces);
});

test("every scenario step with an index mirrors that line of the trace's script", () => {
  const ops: Record<string, RegExp> = {
    client: /MQTTClient\(/,
    connect: /\.connect\(/,
    disconnect: /\.disconnect\(/,
    ping: /\.ping\(/,
    publish: /\.publish\(/,
    subscribe: /\.subscribe\(/,
    unsubscribe: /\.unsubscribe\(/,
    wait_msg: /\.wait_msg\(/,
    check_msg: /\.check_msg\(/,
    set_callback: /\.set_callback\(/,
    set_last_will: /\.set_last_will\(/,
    set_keepalive: /\.keepalive = /,
    get_pid: /\.pid$/,
    set_pid: /\.pid = /,
    sock_close: /\.sock\.close\(\)/,
    set_attr: /\.(DEBUG|DELAY) = /,
    sleep: /^sleep\(/,
    sync: /^sync\(/,
    let: /^\w+ = /,
    repeat: /^for /,
  };
  const traces = new Map(loadTraces().map((t) => [`${t.scenario}.json`, t]));
  for (const sc of scenarios) {
    const t = traces.get(sc.trace)!;
    const check = (s: Step): void => {
      if (s.i === undefined) return;
      const line = t.script[s.i] ?? "";
      assert.ok(ops[s.op], `${sc.scenario}: unknown op ${s.op}`);
      assert.match(line, ops[s.op]!, `${sc.scenario} step i=${s.i} (${s.op}) does not mirror ${JSON.stringify(line)}`);
    };
    sc.steps.forEach(check);
  }
});

test("a scenario drives umqtt.robust exactly when its trace's script imports umqtt.robust", () => {
  const traces = new Map(loadTraces().map((t) => [`${t.scenario}.json`, t]));
  for (const sc of scenarios) {
    const robust = traces.get(sc.trace)!.script.some((l) => /^from umqtt\.robust import /.test(l));
    assert.equal(sc.module === "umqtt.robust", robust, `${sc.scenario}: "module" must match the trace's import`);
  }
});

test("allow-list entries name existing scenarios and give a reason", () => {
  const names = new Set(scenarios.map((s) => s.scenario));
  for (const e of allow) {
    assert.ok(names.has(e.scenario), `allow-list names unknown scenario ${e.scenario}`);
    assert.ok(e.what.length > 10 && e.reason.length > 20, `allow-list entry for ${e.scenario} needs what and reason`);
    assert.ok(e.not_applicable || (e.match ?? []).length > 0, `allow-list entry for ${e.scenario} matches nothing`);
  }
});
