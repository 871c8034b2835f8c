import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32Hex } from "./crc32.ts";
import { verifyCapture } from "./records.ts";
import { rec } from "./_test_util.ts";

const BOOT = "\xe0\x00ets Jun  8 2016 00:22:57\r\n\r\nrst:0x1 (POWERON_RESET)\r\nR not-a-record\r\n";
const SESSION = [
  rec("H 0 100 mqtt-tap/1.0.0 listen=1883 ip=10.0.0.5 upstream=10.0.0.1:1883 ring=32768 cap=16384"),
  rec("O 1 200 0 10.0.0.1:1883"),
  rec("R 2 300 0 c2s 22 101400044d515454040200000008756d7174742d6131"),
  rec("R 3 400 0 s2c 4 20020000"),
  "# status version=1.0.0 wifi=connected",
  rec("R 4 500 0 c2s 2 e000"),
  rec("C 5 600 0 c2s eof"),
];

test("crc32Hex() matches the IEEE check value and the rig's own records", () => {
  assert.equal(crc32Hex("123456789"), "cbf43926");
  // a line written by rig-sim (C++ crc32.cpp)
  assert.equal(crc32Hex("R 2 707926 0 c2s 14 100c00044d5154540402003c0000"), "40d00bc2");
});

test("verifyCapture() skips boot noise and accepts a clean session", () => {
  const c = verifyCapture(BOOT + SESSION.join("\r\n") + "\r\n");
  assert.deepEqual(c.problems, []);
  assert.equal(c.preamble, 4);
  assert.equal(c.hello?.listen, "1883");
  assert.deepEqual(c.records.map((r) => r.kind), ["H", "O", "R", "R", "R", "C"]);
  assert.deepEqual(c.console, ["status version=1.0.0 wifi=connected"]);
  const r = c.records[2]!;
  assert.ok(r.kind === "R" && r.dir === "c2s" && r.len === 22 && r.bytes.length === 22 && !r.truncated);
});

test("verifyCapture() reports a corrupted record as bad-crc and the hole it leaves", () => {
  const lines = [...SESSION];
  lines[3] = lines[3]!.replace("20020000", "20020001");
  const c = verifyCapture(lines.join("\n"));
  assert.deepEqual(c.problems.map((p) => p.kind), ["bad-crc", "seq-gap"]);
  assert.match(c.problems[0]!.message, /CRC does not match/);
});

test("verifyCapture() reports a dropped record as a sequence gap", () => {
  const lines = SESSION.filter((_, k) => k !== 2);
  const c = verifyCapture(lines.join("\n"));
  assert.deepEqual(c.problems.map((p) => p.kind), ["seq-gap"]);
  assert.match(c.problems[0]!.message, /1 record\(s\) missing before seq 3/);
});

test("verifyCapture() reports noise inside a session, once per run of noise lines", () => {
  const lines = [...SESSION];
  lines.splice(3, 0, "\xfe\x07garbage", "more garbage");
  const c = verifyCapture(lines.join("\n"));
  assert.deepEqual(c.problems.map((p) => p.kind), ["noise"]);
  assert.match(c.problems[0]!.message, /lines 4-5 are not records/);
});

test("verifyCapture() reports a rig reset mid-session", () => {
  const lines = [
    ...SESSION.slice(0, 4),
    ...BOOT.split("\r\n").filter((l) => l.startsWith("R ")),
    rec("H 0 90 mqtt-tap/1.0.0 listen=1883"),
    rec("O 1 95 0 x"),
  ];
  const c = verifyCapture(lines.join("\n"));
  assert.ok(c.problems.some((p) => p.kind === "rig-reset"), JSON.stringify(c.problems));
  assert.ok(c.problems.some((p) => p.kind === "noise"));
});

test("verifyCapture() explains a gap with the rig's loss record, still an invalid capture", () => {
  const lines = [SESSION[0]!, SESSION[1]!, rec("L 5 3"), rec("R 6 700 0 c2s 2 e000")];
  const c = verifyCapture(lines.join("\n"));
  assert.deepEqual(c.problems.map((p) => p.kind), ["rig-overflow"]);
  assert.match(c.problems[0]!.message, /dropped 3 record\(s\) \(seq 2\.\.4\)/);
  const bad = verifyCapture([SESSION[0]!, SESSION[1]!, rec("L 6 3")].join("\n"));
  assert.deepEqual(bad.problems.map((p) => p.kind), ["seq-gap"]);
});

test("verifyCapture() says so when no session ever starts", () => {
  const c = verifyCapture(BOOT + "random text\n");
  assert.deepEqual(c.problems.map((p) => p.kind), ["no-session"]);
  assert.match(c.problems[0]!.message, /wrong port, wrong baud, or no firmware/);
});

test("verifyCapture() flags a packet cut by the rig's cap and keeps malformed-bytes records", () => {
  const lines = [SESSION[0]!, rec("R 1 10 0 c2s 300 3082"), rec("M 2 11 0 c2s bad-length 30ffffffff")];
  const c = verifyCapture(lines.join("\n"));
  assert.deepEqual(c.problems.map((p) => p.kind), ["truncated-packet"]);
  const m = c.records[2]!;
  assert.ok(m.kind === "M" && m.why === "bad-length" && m.bytes.length === 5);
});

test("verifyCapture() rejects a record whose fields are inconsistent", () => {
  const c = verifyCapture([SESSION[0]!, rec("R 1 10 0 c2s 1 c000")].join("\n"));
  assert.deepEqual(c.problems.map((p) => p.kind), ["bad-record"]);
  assert.match(c.problems[0]!.message, /carries 2 bytes but says the packet has 1/);
});
