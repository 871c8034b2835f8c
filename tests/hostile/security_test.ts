import { test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { ConnectionClosedError, MQTTClient, MQTTException } from "../../mod.ts";
import { MQTTClient as UmqttClient } from "../../src/umqtt.ts";
import { CONNACK_OK, rejection, startHostile, within } from "./_server.ts";

const SECRET = "s3cr3t-Pa55";

/** Every way a client object can end up in a log. */
function views(x: unknown): string[] {
  return [
    String(x),
    JSON.stringify(x) ?? "",
    inspect(x),
    inspect(x, { showHidden: true, depth: Infinity, getters: true }),
    `${x}`,
    ...runtimeInspect(x),
  ];
}

/** Deno.inspect / Bun.inspect, whichever runtime this is (console.log uses them). */
function runtimeInspect(x: unknown): string[] {
  const g = globalThis as { Deno?: { inspect(v: unknown, o?: object): string }; Bun?: { inspect(v: unknown): string } };
  const out: string[] = [];
  if (g.Deno) out.push(g.Deno.inspect(x, { showHidden: true, depth: Infinity }));
  if (g.Bun) out.push(g.Bun.inspect(x));
  assert.ok(out.length > 0, "neither Deno.inspect nor Bun.inspect found");
  return out;
}

function assertNoSecret(texts: string[], where: string): void {
  for (const t of texts) {
    assert.ok(!t.includes(SECRET), `${where} shows the password: ${t}`);
    assert.ok(!t.includes(encodeURIComponent(SECRET)), `${where} shows the encoded password: ${t}`);
  }
}

test("MQTTClient never shows its password in String(), JSON.stringify() or inspect()", () => {
  const a = new MQTTClient("c", "127.0.0.1", { user: "u", password: SECRET });
  const b = new MQTTClient("c", `mqtt://u:${SECRET}@127.0.0.1:1883`);
  const c = new MQTTClient("c", "127.0.0.1", { user: "u", password: new TextEncoder().encode(SECRET) });
  for (const [name, x] of [["options", a], ["URL", b], ["bytes", c]] as const) {
    assertNoSecret(views(x), `client with password from ${name}`);
    assert.match(String(x), /MQTTClient\("c" @ mqtt:\/\/127\.0\.0\.1:1883\)/);
  }
});

test("the umqtt shim never shows its password in String(), JSON.stringify() or inspect()", () => {
  const x = new UmqttClient("c", "127.0.0.1", 0, "u", SECRET);
  assertNoSecret(views(x), "umqtt client");
});

test("connect() errors never show the password from a URL (connection refused)", async () => {
  const c = new MQTTClient("c", `mqtt://user:${SECRET}@127.0.0.1:1`);
  const e = await rejection(c.connect({ timeout: 5000 }), 10_000, "connect");
  assert.ok(e instanceof ConnectionClosedError, `${e.name}: ${e.message}`);
  assert.match(e.message, /Cannot connect to 127\.0\.0\.1:1/);
  assertNoSecret([e.message, String(e.stack), inspect(e, { depth: Infinity }), String(e.cause)], "connect error");
});

test("invalid server URLs are reported without the password", () => {
  for (const url of [`mqtt://u:${SECRET}@[::1`, `http://u:${SECRET}@127.0.0.1`]) {
    assert.throws(() => new MQTTClient("c", url), (e: unknown) => {
      assert.ok(e instanceof TypeError, String(e));
      assertNoSecret([e.message, String(e.stack)], `error for ${url.replace(SECRET, "…")}`);
      return true;
    });
  }
});

test("a refused CONNECT (bad user name or password) is reported without the password", async () => {
  const h = await startHostile();
  try {
    const c = new MQTTClient("c", "127.0.0.1", { port: h.port, user: "u", password: SECRET, keepalive: 0 });
    const done = c.connect({ timeout: 5000 });
    const s = await h.next();
    const connect = await s.connect();
    // The password is on the wire (that is the protocol) ...
    assert.ok(new TextDecoder().decode(new Uint8Array(connect)).includes(SECRET));
    await s.send("20 02 00 04");
    const e = await rejection(done, 10_000, "connect");
    assert.ok(e instanceof MQTTException && e.code === 4, `${e.name}: ${e.message}`);
    // ... but nowhere in what the application sees.
    assertNoSecret([e.message, String(e.stack), inspect(e, { depth: Infinity })], "refusal");
    assertNoSecret(views(c), "client after refusal");
  } finally {
    await h.close();
  }
});

test("invalid topics, filters and QoS are refused before anything is sent", async () => {
  const h = await startHostile();
  try {
    const c = new MQTTClient("c", "127.0.0.1", { port: h.port, keepalive: 0 });
    const done = c.connect({ timeout: 5000 });
    const s = await h.next();
    const connectLength = (await s.connect()).length;
    await s.send(CONNACK_OK);
    await within(done, 10_000, "connect");
    const bad: [string, () => Promise<unknown>, RegExp][] = [
      ["wildcard #", () => c.publish("a/#", "x"), /must not contain wildcards/],
      ["wildcard +", () => c.publish("a/+", "x"), /must not contain wildcards/],
      ["empty topic", () => c.publish("", "x"), /empty topic/],
      ["U+0000", () => c.publish("a\u0000", "x"), /U\+0000/],
      ["lone surrogate", () => c.publish("a\uD800", "x"), /lone surrogate/],
      ["65536-byte topic", () => c.publish("a".repeat(65_536), "x"), /65536 UTF-8 bytes/],
      ["invalid UTF-8 topic bytes", () => c.publish(new Uint8Array([0xff]), "x"), /not valid UTF-8/],
      ["QoS 3", () => c.publish("a", "x", { qos: 3 as 0 }), /qos must be 0, 1 or 2, got 3/],
      ["filter a/#/b", () => c.subscribe("a/#/b"), /"#" must be the whole last level/],
      ["filter a+", () => c.subscribe("a+"), /"\+" must occupy a whole level/],
      ["subscribe QoS 3", () => c.subscribe("a", 3 as 0), /qos must be 0, 1 or 2, got 3/],
      ["empty filter", () => c.unsubscribe(""), /must not be empty/],
    ];
    for (const [name, call, re] of bad) {
      await assert.rejects(
        call(),
        (e: unknown) => (e instanceof RangeError || e instanceof TypeError) && re.test(String(e)),
        name,
      );
    }
    // A ping proves the link works and that nothing else was sent before it.
    const ping = c.ping();
    await s.bytes(connectLength + 2);
    await s.send("d0 00");
    await within(ping, 10_000, "ping");
    assert.deepEqual(s.received.slice(connectLength), [0xc0, 0x00]);
    assert.equal(c.connected, true, "a refused call must not close the connection");
    await c.disconnect();
  } finally {
    await h.close();
  }
});

test("invalid client ids and wills are refused before any connection is opened", async () => {
  const h = await startHostile();
  try {
    for (const id of ["a\u0000", "\uDC00", "x".repeat(65_536)]) {
      assert.throws(
        () => new MQTTClient(id, "127.0.0.1", { port: h.port }),
        RangeError,
        JSON.stringify(id.slice(0, 8)),
      );
    }
    const c = new MQTTClient("ok", "127.0.0.1", { port: h.port, keepalive: 0 });
    assert.throws(() => c.setLastWill("a/#", "x"), /must not contain wildcards/);
    assert.throws(() => c.setLastWill("a", "x", { qos: 3 as 0 }), /qos must be 0, 1 or 2/);
    await assert.rejects(c.connect({ cleanSession: true, timeout: 0 }), RangeError);
    assert.throws(() => new MQTTClient("c", "127.0.0.1", { port: h.port, keepalive: 65_536 }), /keepalive/);
    assert.throws(() => new MQTTClient("c", "127.0.0.1", { port: h.port, password: "p" }), /needs a user name/);
    await new Promise((r) => setTimeout(r, 20)); // give a stray connection time to show up
    assert.equal(h.conns.length, 0, "a connection was opened for invalid input");
  } finally {
    await h.close();
  }
});
