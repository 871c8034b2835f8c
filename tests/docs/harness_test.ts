/**
 * The documentation-snippet harness itself: markdown extraction, marker
 * parsing and validation, and the rewriting of imports and addresses.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { extractBlocks, parseMarkerBody } from "./_markdown.ts";
import { planFor, resolveExport, rewriteSh, rewriteTs } from "./_snippet.ts";

const md = (...lines: string[]): string => lines.join("\n");

test("extractBlocks() attaches the markers before a fence (blank lines allowed) to that block", () => {
  const { blocks, problems } = extractBlocks(
    "x.md",
    md(
      "# T",
      "<!-- snippet: kill-after=100 expect='a \"b\"' -->",
      "<!-- snippet: expect=c -->",
      "",
      "```ts",
      "console.log(1);",
      "```",
      "",
      "```json",
      "{}",
      "```",
    ),
  );
  assert.deepEqual(problems, []);
  assert.equal(blocks.length, 2);
  assert.equal(blocks[0]!.line, 5);
  assert.equal(blocks[0]!.lang, "ts");
  assert.equal(blocks[0]!.code, "console.log(1);\n");
  assert.deepEqual(blocks[0]!.marker, [
    { key: "kill-after", value: "100" },
    { key: "expect", value: 'a "b"' },
    { key: "expect", value: "c" },
  ]);
  assert.equal(blocks[1]!.lang, "json");
  assert.deepEqual(blocks[1]!.marker, []);
});

test("extractBlocks() reports a marker that is not followed by a code block", () => {
  const { blocks, problems } = extractBlocks(
    "x.md",
    md('<!-- snippet: skip reason="x y z w v" -->', "text", "```sh", "ls", "```"),
  );
  assert.deepEqual(problems, [{ file: "x.md", line: 1, problem: "snippet marker is not followed by a code block" }]);
  assert.deepEqual(blocks[0]!.marker, []);
});

test("extractBlocks() keeps a longer fence's inner ``` lines and strips list indentation", () => {
  const { blocks } = extractBlocks("x.md", md("- item", "  ````sh", "  echo '```'", "  ````"));
  assert.equal(blocks.length, 1);
  assert.equal(blocks[0]!.code, "echo '```'\n");
});

test("parseMarkerBody() reads bare keys, quoted and unquoted values, and rejects garbage", () => {
  assert.deepEqual(parseMarkerBody(` skip reason="it's \\"quoted\\"" seed=a/b=1 `), [
    { key: "skip", value: true },
    { key: "reason", value: 'it\'s "quoted"' },
    { key: "seed", value: "a/b=1" },
  ]);
  assert.throws(() => parseMarkerBody("=oops"), SyntaxError);
});

test("planFor() runs an unmarked ts block, ignores python, and refuses bad markers", () => {
  const block = (lang: string, ...marker: [string, string | true][]) =>
    planFor({ file: "x.md", line: 1, lang, code: "", marker: marker.map(([key, value]) => ({ key, value })) });
  const plain = block("ts")!;
  assert.deepEqual(plain.errors, []);
  assert.equal(plain.plan.skip, undefined);
  assert.equal(block("python"), null);
  assert.equal(block("json"), null);
  assert.deepEqual(block("sh", ["skip", true])!.errors, ['skip needs a real reason: skip reason="…"']);
  assert.equal(block("sh", ["skip", true], ["reason", "JSR is unreachable"])!.plan.skip, "JSR is unreachable");
  assert.match(block("ts", ["kill-after", "500"])!.errors.join(), /kill-after needs at least one expect/);
  assert.match(block("ts", ["interrupt-after", "500"])!.errors.join(), /interrupt-after is for sh/);
  assert.match(block("ts", ["prelude", "nope"])!.errors.join(), /unknown ts prelude "nope"/);
  assert.match(block("ts", ["wait", "1"])!.errors.join(), /unknown marker item "wait"/);
  assert.match(block("ts", ["timeout", "soon"])!.errors.join(), /timeout must be a number/);
});

test("rewriteTs() points @umqtt/client imports at the checkout and every broker address at the test broker", () => {
  const out = rewriteTs(
    md(
      `import { MQTTClient } from "jsr:@umqtt/client";`,
      `import { MQTTClient as U } from '@umqtt/client/umqtt';`,
      `import { encodePacket } from "npm:@umqtt/client/codec";`,
      `new MQTTClient("a", "mqtt://user:pw@broker.example:1883/x");`,
      `new U("b", "192.168.1.10");`,
      `new MQTTClient("c", "127.0.0.1", { port: 1883 });`,
    ),
    4242,
  );
  assert.equal(
    out,
    md(
      `import { MQTTClient } from "${resolveExport(undefined)}";`,
      `import { MQTTClient as U } from '${resolveExport("/umqtt")}';`,
      `import { encodePacket } from "${resolveExport("/codec")}";`,
      `new MQTTClient("a", "mqtt://user:pw@127.0.0.1:4242/x");`,
      `new U("b", "mqtt://127.0.0.1:4242");`,
      `new MQTTClient("c", "mqtt://127.0.0.1:4242", { port: 4242 });`,
    ),
  );
  assert.match(resolveExport(undefined)!, /^file:\/\/.*\/mod\.ts$/);
  assert.match(resolveExport("/robust")!, /\/src\/robust\.ts$/);
  assert.equal(resolveExport("/nope"), undefined);
});

test("rewriteSh() turns every documented way of starting the CLI into `umqtt` and points URLs at the test broker", () => {
  assert.equal(
    rewriteSh(
      md(
        "deno run -A jsr:@umqtt/client/cli sub -t 'a/#' -v",
        "deno run --allow-net --allow-read src/cli.ts pub -h broker.example -t a -m 1",
        "bun src/cli.ts sub -L 'mqtt://u:p@127.0.0.1/a/#' -C 1",
      ),
      4242,
    ),
    md(
      "umqtt sub -t 'a/#' -v",
      "umqtt pub -h 127.0.0.1 -t a -m 1",
      "umqtt sub -L 'mqtt://u:p@127.0.0.1:4242/a/#' -C 1",
    ),
  );
});
