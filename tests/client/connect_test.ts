import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../src/client.ts";
import { ConnectionClosedError, MalformedPacketError, MQTTException, TimeoutError } from "../../src/codec/errors.ts";
import { FakeClock } from "../_fake.ts";
import { fakeFactory, flush, isPending, settled } from "./_helpers.ts";

/** Connect with these options against a broker answering `connack`; returns the CONNECT bytes. */
async function connectBytes(
  clientId: string,
  options: ConstructorParameters<typeof MQTTClient>[2],
  setup?: (c: MQTTClient) => void,
  connectOptions: Parameters<MQTTClient["connect"]>[0] = {},
): Promise<{ hex: string; present: boolean }> {
  const f = fakeFactory((t) => {
    t.onWrite = () => t.receive("20020000");
  });
  const c = new MQTTClient(clientId, "127.0.0.1", { transport: f, ...options });
  setup?.(c);
  const present = await c.connect(connectOptions);
  const hex = f.transports[0]!.writtenHex.join("");
  await c.disconnect();
  return { hex, present };
}

test("connect() sends CONNECT with clean session and the default keepalive 60", async () => {
  const { hex, present } = await connectBytes("c1", {});
  assert.equal(hex, "100e00044d51545404020" + "03c00026331");
  assert.equal(present, false);
});

test("connect() sends clean session 0 and resolves session present when cleanSession is false", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = () => t.receive("20020100");
  });
  const c = new MQTTClient("c1", "127.0.0.1", { transport: f, keepalive: 0 });
  assert.equal(await c.connect({ cleanSession: false }), true);
  assert.equal(f.transports[0]!.writtenHex.join(""), "100e00044d515454040000000002" + "6331");
  await c.disconnect();
});

test("connect() writes keepalive big-endian for 0, 1, 255, 256 and 65535", async () => {
  for (const [ka, bytes] of [[0, "0000"], [1, "0001"], [255, "00ff"], [256, "0100"], [65535, "ffff"]] as const) {
    const { hex } = await connectBytes("c", { keepalive: ka, autoKeepalive: false });
    assert.equal(hex, `100d00044d5154540402${bytes}000163`, `keepalive ${ka}`);
  }
});

test("connect() sets will flags for every will qos and retain combination", async () => {
  for (const qos of [0, 1, 2] as const) {
    for (const retain of [false, true]) {
      const flags = (0x02 | 0x04 | (qos << 3) | (retain ? 0x20 : 0)).toString(16).padStart(2, "0");
      const { hex } = await connectBytes("c", { keepalive: 0 }, (c) => c.setLastWill("w", "x", { qos, retain }));
      assert.equal(hex, `101300044d51545404${flags}0000000163000177000178`, `will qos ${qos} retain ${retain}`);
    }
  }
});

test("connect() sends an empty will message as a zero-length field", async () => {
  const { hex } = await connectBytes("c", { keepalive: 0 }, (c) => c.setLastWill("w", ""));
  assert.equal(hex, "101200044d515454040600000001630001770000");
});

test("connect() sends user name and password with flags 0xC2", async () => {
  const { hex } = await connectBytes("c", { keepalive: 0, user: "u", password: "p" });
  assert.equal(hex, "101300044d51545404c20000000163000175000170");
});

test("connect() sends an empty password as a zero-length field with the password flag", async () => {
  const { hex } = await connectBytes("c", { keepalive: 0, user: "u", password: "" });
  assert.equal(hex, "101200044d51545404c200000001630001750000");
});

test("connect() sends a user name without password with flags 0x82", async () => {
  const { hex } = await connectBytes("c", { keepalive: 0, user: "u" });
  assert.equal(hex, "101000044d5154540482000000016300" + "0175");
});

test("connect() sends a zero-length client id with clean session", async () => {
  const { hex } = await connectBytes("", { keepalive: 0 });
  assert.equal(hex, "100c00044d51545404020000" + "0000");
});

test("connect() rejects a zero-length client id without clean session before connecting", async () => {
  const f = fakeFactory();
  const c = new MQTTClient("", "127.0.0.1", { transport: f });
  await assert.rejects(c.connect({ cleanSession: false }), { name: "RangeError", message: /MQTT-3\.1\.3-7/ });
  assert.equal(f.transports.length, 0);
});

test("connect() measures the client id in UTF-8 bytes", async () => {
  const { hex } = await connectBytes("é", { keepalive: 0 });
  assert.equal(hex, "100e00044d5154540402000000" + "02c3a9");
});

test("connect() rejects with MQTTException carrying each CONNACK refusal code 1..5", async () => {
  for (const code of [1, 2, 3, 4, 5]) {
    const f = fakeFactory((t) => {
      t.onWrite = () => t.receive(`200200${code.toString(16).padStart(2, "0")}`);
    });
    const c = new MQTTClient("c", "127.0.0.1", { transport: f, keepalive: 0 });
    await assert.rejects(c.connect(), (e: unknown) => e instanceof MQTTException && e.code === code);
    assert.equal(c.connected, false);
    const t = f.transports[0]!;
    t.takeWritten();
    await assert.rejects(c.publish("t", "x"));
    assert.deepEqual(t.writtenHex, []);
  }
});

test("connect() rejects with MalformedPacketError when the first packet is not CONNACK", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = () => t.receive("d000");
  });
  const c = new MQTTClient("c", "127.0.0.1", { transport: f, keepalive: 0 });
  await assert.rejects(c.connect(), (e: unknown) => e instanceof MalformedPacketError && /CONNACK/.test(e.message));
  assert.equal(f.transports[0]!.closed, true);
  assert.equal(c.connected, false);
});

test("connect() rejects with ConnectionClosedError when the broker closes before CONNACK", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = () => t.end();
  });
  const c = new MQTTClient("c", "127.0.0.1", { transport: f, keepalive: 0 });
  await assert.rejects(c.connect(), ConnectionClosedError);
});

test("connect() rejects with ConnectionClosedError naming the endpoint when the transport fails", async () => {
  const c = new MQTTClient("c", "127.0.0.1", {
    port: 1999,
    transport: () => Promise.reject(new Error("connection refused")),
  });
  await assert.rejects(c.connect(), { name: "ConnectionClosedError", message: /127\.0\.0\.1:1999.*refused/ });
});

test("connect() times out on the injected clock when CONNACK never comes", async () => {
  const clock = new FakeClock();
  const f = fakeFactory();
  const c = new MQTTClient("c", "127.0.0.1", { transport: f, keepalive: 0, clock });
  const p = c.connect({ timeout: 5000 });
  await flush();
  assert.equal(f.transports[0]!.writtenHex[0]!.slice(0, 2), "10");
  await clock.advance(4999);
  assert.equal(await isPending(p), true);
  await clock.advance(1);
  const r = await settled(p);
  assert.ok(!r.ok && r.error instanceof TimeoutError, String(!r.ok && r.error));
  assert.match((r as { error: Error }).error.message, /No CONNACK within 5000 ms/);
  assert.equal(f.transports[0]!.closed, true);
});

test("connect() aborts a transport that never opens once the timeout passes", async () => {
  let seen: AbortSignal | undefined;
  const c = new MQTTClient("c", "127.0.0.1", {
    transport: (o) =>
      new Promise((_resolve, reject) => {
        seen = o.signal;
        o.signal?.addEventListener("abort", () => reject(new Error("aborted")));
      }),
  });
  // The transport phase is bounded by a real-time AbortSignal (not the injected clock): keep it short.
  await assert.rejects(c.connect({ timeout: 20 }), {
    name: "TimeoutError",
    message: /127\.0\.0\.1:1883: timed out after 20 ms/,
  });
  assert.equal(seen?.aborted, true);
});

test("connect() on a connected client closes the old link without DISCONNECT", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020000");
    };
  });
  const c = new MQTTClient("c", "127.0.0.1", { transport: f, keepalive: 0 });
  await c.connect();
  await c.connect();
  assert.equal(f.transports.length, 2);
  assert.equal(f.transports[0]!.closed, true);
  assert.deepEqual(f.transports[0]!.writtenHex, ["100d00044d515454040200000001" + "63"]);
  await c.disconnect();
  assert.deepEqual(f.transports[1]!.writtenHex.slice(1), ["e000"]);
  assert.equal(f.transports[1]!.closed, true);
});

test("connect() passes host, port and TLS options to the transport", async () => {
  const f = fakeFactory((t) => {
    t.onWrite = () => t.receive("20020000");
  });
  const c = new MQTTClient("c", "mqtts://broker.test", {
    transport: f,
    keepalive: 0,
    tls: { caCerts: ["PEM"], serverName: "broker.test" },
  });
  await c.connect();
  assert.equal(f.options[0]!.host, "broker.test");
  assert.equal(f.options[0]!.port, 8883);
  assert.deepEqual(f.options[0]!.tls, { caCerts: ["PEM"], serverName: "broker.test" });
  await c.disconnect();
});
