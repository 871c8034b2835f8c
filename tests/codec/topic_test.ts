import { test } from "node:test";
import assert from "node:assert/strict";
import { topicMatches, validateTopicFilter, validateTopicName } from "../../src/codec/topic.ts";
import { encodeUtf8 } from "../../src/codec/utf8.ts";
import { toHex } from "../_fake.ts";

const LONE_HIGH = "a\uD800b";
const LONE_LOW = "a\uDC00";

test("validateTopicName() accepts ordinary, unusual and non-ASCII names", () => {
  for (const t of ["a", "a/b", "/", "//", "/a", "a/", "$SYS/x", "t/é°", "😀", " ", "a b/c"]) {
    assert.doesNotThrow(() => validateTopicName(t), t);
  }
});

test("validateTopicName() rejects each invalid name with the reason", () => {
  const cases: [string, RegExp][] = [
    ["", /Cannot publish to an empty topic \[MQTT-4\.7\.3-1\]/],
    ["#", /Cannot publish to "#": topic names must not contain wildcards \[MQTT-3\.3\.2-2\]/],
    ["a/#", /Cannot publish to "a\/#": topic names must not contain wildcards/],
    ["+", /must not contain wildcards/],
    ["a/+/b", /must not contain wildcards/],
    ["a+", /must not contain wildcards/],
    ["a\u0000b", /Invalid topic "a\\u0000b": it contains U\+0000 \[MQTT-1\.5\.3-2\]/],
    [LONE_HIGH, /Invalid topic "a\\ud800b": it contains a lone surrogate \[MQTT-1\.5\.3-1\]/],
    [LONE_LOW, /it contains a lone surrogate/],
  ];
  for (const [t, re] of cases) {
    assert.throws(() => validateTopicName(t), (e: unknown) => e instanceof RangeError && re.test(e.message), t);
  }
});

test("validateTopicFilter() accepts valid filters", () => {
  for (const f of ["#", "+", "+/+", "a/#", "a/+/b", "+/#", "/#", "/+", "a//b", "$SYS/#", "sport/tennis/+", "é/+"]) {
    assert.doesNotThrow(() => validateTopicFilter(f), f);
  }
});

test("validateTopicFilter() rejects each invalid filter with the reason", () => {
  const cases: [string, RegExp][] = [
    ["", /Invalid topic filter "": it must not be empty/],
    ["a/#/b", /Invalid topic filter "a\/#\/b": "#" must be the whole last level \[MQTT-4\.7\.1-2\]/],
    ["#/", /"#" must be the whole last level/],
    ["a#", /"#" must be the whole last level/],
    ["a/b#", /"#" must be the whole last level/],
    ["a+", /Invalid topic filter "a\+": "\+" must occupy a whole level \[MQTT-4\.7\.1-3\]/],
    ["a/+b", /"\+" must occupy a whole level/],
    ["++", /"\+" must occupy a whole level/],
    ["a\u0000", /Invalid topic filter "a\\u0000": it contains U\+0000/],
    [LONE_HIGH, /Invalid topic filter "a\\ud800b": it contains a lone surrogate/],
  ];
  for (const [f, re] of cases) {
    assert.throws(() => validateTopicFilter(f), (e: unknown) => e instanceof RangeError && re.test(e.message), f);
  }
});

test("encodeUtf8() encodes to exact UTF-8 bytes", () => {
  assert.equal(toHex(encodeUtf8("", "topic")), "");
  assert.equal(toHex(encodeUtf8("a/b", "topic")), "612f62");
  assert.equal(toHex(encodeUtf8("é°", "topic")), "c3a9c2b0");
  assert.equal(toHex(encodeUtf8("€", "topic")), "e282ac");
  assert.equal(toHex(encodeUtf8("😀", "topic")), "f09f9880");
  assert.equal(toHex(encodeUtf8("\uFEFF", "topic")), "efbbbf"); // a BOM is kept as a character [MQTT-1.5.3-3]
});

test("encodeUtf8() accepts 65535 bytes and rejects 65536 with the count", () => {
  assert.equal(encodeUtf8("a".repeat(65_535), "topic").length, 65_535);
  assert.throws(
    () => encodeUtf8("a".repeat(65_536), "topic"),
    (e: unknown) => e instanceof RangeError && e.message === "Invalid topic: 65536 UTF-8 bytes, the maximum is 65535",
  );
  // 21846 three-byte characters = 65538 bytes although only 21846 UTF-16 units.
  assert.throws(() => encodeUtf8("€".repeat(21_846), "client id"), /Invalid client id: 65538 UTF-8 bytes/);
});

test("encodeUtf8() rejects U+0000, lone surrogates and non-strings", () => {
  assert.throws(() => encodeUtf8("\u0000", "client id"), /Invalid client id "\\u0000": it contains U\+0000/);
  assert.throws(() => encodeUtf8(LONE_HIGH, "topic"), /lone surrogate \[MQTT-1\.5\.3-1\]/);
  assert.throws(() => encodeUtf8(LONE_LOW, "user name"), /Invalid user name .*lone surrogate/);
  assert.throws(() => encodeUtf8("\uDBFF", "topic"), /lone surrogate/);
  assert.throws(() => encodeUtf8(42 as unknown as string, "topic"), TypeError);
});

/** [filter, topic, matches] per MQTT 3.1.1 section 4.7 and its examples. */
const MATCHES: [string, string, boolean][] = [
  // exact
  ["a/b", "a/b", true],
  ["a/b", "a/c", false],
  ["a/b", "a/b/c", false],
  ["a/b/c", "a/b", false],
  ["A", "a", false], // case sensitive [MQTT-4.7.3]
  // "#" [4.7.1.2]
  ["sport/tennis/player1/#", "sport/tennis/player1", true],
  ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
  ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
  ["sport/#", "sport", true], // "#" includes the parent level
  ["sport/#", "sports", false],
  ["sport/#", "sport/", true],
  ["#", "a", true],
  ["#", "a/b/c", true],
  ["#", "/", true],
  ["/#", "/", true],
  ["/#", "a", false],
  // "+" [4.7.1.3]
  ["sport/tennis/+", "sport/tennis/player1", true],
  ["sport/tennis/+", "sport/tennis/player2", true],
  ["sport/tennis/+", "sport/tennis/player1/ranking", false], // not across levels
  ["sport/+", "sport", false],
  ["sport/+", "sport/", true], // an empty level
  ["+", "a", true],
  ["+", "a/b", false],
  ["+/+", "/finance", true],
  ["/+", "/finance", true],
  ["+", "/finance", false],
  ["+/+", "a", false],
  ["a/+/c", "a/b/c", true],
  ["a/+/c", "a//c", true],
  ["a/+/c", "a/b/d", false],
  ["+/#", "a", true],
  ["+/#", "a/b/c", true],
  ["a/+/#", "a", false],
  ["a/+/#", "a/b", true],
  // empty levels
  ["a//b", "a//b", true],
  ["a//b", "a/b", false],
  ["a/", "a", false],
  ["a", "a/", false],
  ["/", "/", true],
  ["//", "/", false],
  // "$" topics [MQTT-4.7.2-1]
  ["#", "$SYS/broker/uptime", false],
  ["+/broker/uptime", "$SYS/broker/uptime", false],
  ["+", "$SYS", false],
  ["+/#", "$SYS/x", false],
  ["$SYS/#", "$SYS/broker/uptime", true],
  ["$SYS/#", "$SYS", true],
  ["$SYS/+/uptime", "$SYS/broker/uptime", true],
  ["$SYS", "$SYS", true],
  ["a/#", "a/$b", true], // only the first level is special
  ["+/$b", "a/$b", true],
  // non-ASCII
  ["t/+", "t/é°", true],
  ["😀/#", "😀/x", true],
];

test("topicMatches() follows MQTT 4.7 for each filter and topic", () => {
  for (const [filter, topic, want] of MATCHES) {
    assert.equal(topicMatches(filter, topic), want, `${JSON.stringify(filter)} vs ${JSON.stringify(topic)}`);
  }
});

/** An independent level-by-level matcher to cross-check topicMatches on generated cases. */
function referenceMatch(filter: string, topic: string): boolean {
  if (topic.startsWith("$") && (filter.startsWith("+") || filter.startsWith("#"))) return false;
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

test("topicMatches() agrees with a level-by-level matcher on every small filter and topic", () => {
  const levels = ["", "a", "b", "$s"];
  const topics: string[] = [];
  const build = (prefix: string[], depth: number): void => {
    if (prefix.length > 0 && prefix.join("/") !== "") topics.push(prefix.join("/"));
    if (depth === 0) return;
    for (const l of levels) build([...prefix, l], depth - 1);
  };
  build([], 3);
  const filters = new Set<string>();
  for (const t of topics) {
    const parts = t.split("/");
    filters.add(t);
    for (let i = 0; i < parts.length; i++) {
      const plus = [...parts];
      plus[i] = "+";
      filters.add(plus.join("/"));
      filters.add([...parts.slice(0, i), "#"].join("/"));
    }
    filters.add(t + "/#");
  }
  let n = 0;
  for (const f of filters) {
    validateTopicFilter(f);
    for (const t of topics) {
      if (t.length === 0) continue;
      assert.equal(topicMatches(f, t), referenceMatch(f, t), `${JSON.stringify(f)} vs ${JSON.stringify(t)}`);
      n++;
    }
  }
  assert.ok(n > 10_000, `only ${n} pairs`);
});
