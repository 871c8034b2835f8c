import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { freePort } from "../../scripts/mosquitto.ts";
import { IS_DENO, runCli } from "./_run.ts";

const HINT_PUB = 'Run "umqtt pub --help" for the options.\n';
const HINT_SUB = 'Run "umqtt sub --help" for the options.\n';

test("umqtt pub exits 2 with a clear message when -q is out of range", async () => {
  const r = await runCli(["pub", "-t", "a", "-m", "x", "-q", "3"]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "umqtt pub: -q must be 0, 1 or 2, got 3\n" + HINT_PUB);
  assert.equal(r.out, "");
});

test("umqtt pub exits 2 when no topic or no message is given", async () => {
  const noTopic = await runCli(["pub", "-m", "x"]);
  assert.equal(noTopic.code, 2);
  assert.equal(noTopic.stderr, "umqtt pub: no topic: give -t TOPIC (or -L with a topic)\n" + HINT_PUB);
  const noMsg = await runCli(["pub", "-t", "a"]);
  assert.equal(noMsg.code, 2);
  assert.equal(noMsg.stderr, "umqtt pub: no message: give one of -m, -f, -l, -s or -n\n" + HINT_PUB);
  const two = await runCli(["pub", "-t", "a", "-m", "x", "-n"]);
  assert.equal(two.code, 2);
  assert.equal(two.stderr, "umqtt pub: give exactly one of -m, -f, -l, -s or -n\n" + HINT_PUB);
});

test("umqtt pub exits 2 for wildcard topics, unknown options and missing values", async () => {
  const wild = await runCli(["pub", "-t", "a/#", "-m", "x"]);
  assert.equal(wild.code, 2);
  assert.match(wild.stderr, /^umqtt pub: -t "a\/#": Cannot publish to "a\/#": topic names must not contain wildcards/);
  const unknown = await runCli(["pub", "--bogus", "-t", "a", "-m", "x"]);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "umqtt pub: unknown option --bogus\n" + HINT_PUB);
  const missing = await runCli(["pub", "-t", "a", "-m"]);
  assert.equal(missing.code, 2);
  assert.equal(missing.stderr, "umqtt pub: -m needs a value\n" + HINT_PUB);
  const positional = await runCli(["pub", "-t", "a", "hello"]);
  assert.equal(positional.code, 2);
  assert.match(positional.stderr, /^umqtt pub: unexpected argument "hello"/);
});

test("umqtt pub exits 2 for a bad port, keepalive, password without user, or unreadable file", async () => {
  const port = await runCli(["pub", "-t", "a", "-m", "x", "-p", "70000"]);
  assert.equal(port.code, 2);
  assert.equal(port.stderr, 'umqtt pub: -p must be a port number in 1..65535, got "70000"\n' + HINT_PUB);
  const ka = await runCli(["pub", "-t", "a", "-m", "x", "-k", "-1"]);
  assert.equal(ka.code, 2);
  assert.equal(ka.stderr, 'umqtt pub: -k must be a number of seconds in 0..65535, got "-1"\n' + HINT_PUB);
  const pw = await runCli(["pub", "-t", "a", "-m", "x", "-P", "secret"]);
  assert.equal(pw.code, 2);
  assert.equal(pw.stderr, "umqtt pub: -P needs -u: a password requires a user name\n" + HINT_PUB);
  const file = await runCli(["pub", "-t", "a", "-f", "/nonexistent/umqtt-cli-test"]);
  assert.equal(file.code, 2);
  assert.match(file.stderr, /^umqtt pub: cannot read -f "\/nonexistent\/umqtt-cli-test": /);
});

test("umqtt sub exits 2 for bad -W, -C, --format, -F and protocol version", async () => {
  const w = await runCli(["sub", "-t", "a", "-W", "soon"]);
  assert.equal(w.code, 2);
  assert.equal(w.stderr, 'umqtt sub: -W must be a number of seconds in (0, 2000000], got "soon"\n' + HINT_SUB);
  const c = await runCli(["sub", "-t", "a", "-C", "0"]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /^umqtt sub: -C must be a number of messages in 1\.\./);
  const f = await runCli(["sub", "-t", "a", "--format", "xml"]);
  assert.equal(f.code, 2);
  assert.equal(f.stderr, 'umqtt sub: --format must be text, hex or json, got "xml"\n' + HINT_SUB);
  const tpl = await runCli(["sub", "-t", "a", "-F", "%t %Z"]);
  assert.equal(tpl.code, 2);
  assert.match(tpl.stderr, /^umqtt sub: -F: unknown sequence %Z/);
  const noTopic = await runCli(["sub"]);
  assert.equal(noTopic.code, 2);
  assert.match(noTopic.stderr, /^umqtt sub: no topic/);
  const v5 = await runCli(["sub", "-t", "a", "-V", "mqttv5"]);
  assert.equal(v5.code, 2);
  assert.match(v5.stderr, /only mqttv311 \(MQTT 3\.1\.1\) is supported, got mqttv5/);
});

test("umqtt --help, pub --help and sub --help print usage and exit 0", async () => {
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  assert.match(top.out, /^Usage: umqtt <command> \[options\]/);
  const pub = await runCli(["pub", "--help"]);
  assert.equal(pub.code, 0);
  assert.match(pub.out, /^Usage: umqtt pub -t TOPIC/);
  assert.match(pub.out, /-l, --stdin-line/);
  const sub = await runCli(["sub", "--help"]);
  assert.equal(sub.code, 0);
  assert.match(sub.out, /^Usage: umqtt sub -t FILTER/);
  assert.match(sub.out, /--format text\|hex\|json/);
  const helpSub = await runCli(["help", "sub"]);
  assert.equal(helpSub.out, sub.out);
});

test("umqtt --version prints the package version; an unknown command exits 2", async () => {
  const version = JSON.parse(readFileSync(new URL("../../deno.json", import.meta.url), "utf8")).version;
  const r = await runCli(["--version"]);
  assert.equal(r.code, 0);
  assert.equal(r.out, `umqtt ${version}\n`);
  const bad = await runCli(["publish"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'umqtt: unknown command "publish": use pub or sub (umqtt --help)\n');
  const none = await runCli([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: umqtt/);
});

test("umqtt pub and sub exit 1 when nothing listens on the port", async () => {
  const port = await freePort();
  const pub = await runCli(["pub", "-p", String(port), "-t", "a", "-m", "x"]);
  assert.equal(pub.code, 1);
  assert.match(pub.stderr, new RegExp(`^umqtt pub: Cannot connect to 127\\.0\\.0\\.1:${port}: `));
  const sub = await runCli(["sub", "-L", `mqtt://127.0.0.1:${port}/a/#`]);
  assert.equal(sub.code, 1);
  assert.match(sub.stderr, new RegExp(`^umqtt sub: Cannot connect to 127\\.0\\.0\\.1:${port}: `));
});

test("umqtt sub --insecure asks for TLS without verification (refused by the Deno transport)", async () => {
  const port = await freePort();
  const r = await runCli(["sub", "-p", String(port), "-t", "a", "--insecure"]);
  assert.equal(r.code, 1);
  if (IS_DENO) assert.match(r.stderr, /Cannot skip TLS certificate verification per connection on Deno/);
  else assert.match(r.stderr, new RegExp(`^umqtt sub: Cannot connect to 127\\.0\\.0\\.1:${port}: `));
});
