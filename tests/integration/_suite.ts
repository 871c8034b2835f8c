/**
 * The integration scenarios shared by every broker: each registers flat
 * `test()` calls named after the broker, starts its own broker and stops it
 * in `finally`.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ClientOptions, MQTTClient } from "../../src/client.ts";
import { ConnectionClosedError, MQTTException } from "../../src/codec/errors.ts";
import type { Message } from "../../src/message.ts";
import { MQTTClient as UmqttClient } from "../../src/umqtt.ts";
import { type Broker, runtime, startBroker } from "./_brokers.ts";

/** A client that records the messages it receives. */
export interface Probe {
  c: MQTTClient;
  got: Message[];
}

let seq = 0;

/** Run `body` with a fresh broker and a client factory; stops clients and broker afterwards. */
export async function withBroker(
  name: "mosquitto" | "aedes",
  body: (b: Broker, client: (opts?: ClientOptions, id?: string) => Probe) => Promise<void>,
  start: () => Promise<Broker> = () => startBroker(name),
): Promise<void> {
  const b = await start();
  const made: MQTTClient[] = [];
  try {
    await body(b, (opts = {}, id = `it-${runtime}-${++seq}`) => {
      const got: Message[] = [];
      const c = new MQTTClient(id, "127.0.0.1", { port: b.port, keepalive: 30, callback: (m) => got.push(m), ...opts });
      made.push(c);
      return { c, got };
    });
  } finally {
    for (const c of made) if (c.connected) await c.disconnect().catch(() => {});
    await b.stop();
  }
}

/** The next message a probe receives (pumping `waitMsg`), within `ms`. */
export async function next(p: Probe, ms = 5000): Promise<Message> {
  const signal = AbortSignal.timeout(ms);
  while (p.got.length === 0) await p.c.waitMsg({ signal });
  return p.got.shift()!;
}

/** Reject after `ms` unless `p` settles first. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Register the shared scenarios for one broker. */
export function brokerSuite(name: "mosquitto" | "aedes"): void {
  test(`${name}: connect() resolves session present false and disconnect() closes`, async () => {
    await withBroker(name, async (_b, client) => {
      const { c } = client();
      assert.equal(await c.connect(), false);
      assert.equal(c.connected, true);
      await c.disconnect();
      assert.equal(c.connected, false);
    });
  });

  test(`${name}: connect() with user and password succeeds`, async () => {
    await withBroker(name, async (b, client) => {
      const { c } = client({ port: b.authPort, user: "u", password: "p" });
      assert.equal(await c.connect(), false);
      await c.ping();
    });
  });

  test(`${name}: connect() with a wrong password rejects with MQTTException(${name === "mosquitto" ? 5 : 4})`, async () => {
    await withBroker(name, async (b, client) => {
      const { c } = client({ port: b.authPort, user: "u", password: "wrong" });
      await assert.rejects(c.connect(), (e: unknown) => e instanceof MQTTException && e.code === b.badPasswordCode);
      assert.equal(c.connected, false);
      const anon = client({ port: b.authPort });
      await assert.rejects(
        anon.c.connect(),
        (e: unknown) => e instanceof MQTTException && e.code === b.badPasswordCode,
      );
      // Code 1 (unacceptable protocol version) cannot be produced: the client only speaks level 4.
    });
  });

  test(`${name}: connect() with a zero-length client id is accepted`, async () => {
    await withBroker(name, async (_b, client) => {
      const { c, got } = client({}, "");
      await c.connect();
      await c.subscribe("zero/id", 1);
      await c.publish("zero/id", "x", { qos: 1 });
      assert.equal((await next({ c, got })).text(), "x");
    });
  });

  test(`${name}: the will is published on an abrupt close and not after disconnect()`, async () => {
    await withBroker(name, async (_b, client) => {
      const watcher = client();
      await watcher.c.connect();
      await watcher.c.subscribe("will/#", 1);

      const graceful = client();
      graceful.c.setLastWill("will/graceful", "gone", { qos: 1 });
      await graceful.c.connect();
      await graceful.c.disconnect();
      const marker = client();
      await marker.c.connect();
      await marker.c.publish("will/marker", "after-graceful", { qos: 1 });
      const first = await next(watcher);
      assert.equal(first.topic, "will/marker", "no will after a graceful disconnect");

      const abrupt = client();
      abrupt.c.setLastWill("will/abrupt", "offline", { qos: 1, retain: false });
      await abrupt.c.connect();
      abrupt.c.session.abort();
      const will = await next(watcher);
      assert.deepEqual([will.topic, will.text(), will.qos], ["will/abrupt", "offline", 1]);
    });
  });

  test(`${name}: a retained message reaches a later subscriber with retain set, and an empty one clears it`, async () => {
    await withBroker(name, async (_b, client) => {
      const pub = client();
      await pub.c.connect();
      await pub.c.publish("ret/t", "kept", { qos: 1, retain: true });
      const sub = client();
      await sub.c.connect();
      await sub.c.subscribe("ret/t", 1);
      const m = await next(sub);
      assert.deepEqual([m.text(), m.retain, m.qos], ["kept", true, 1]);
      await pub.c.publish("ret/t", "", { qos: 1, retain: true });
      const live = await next(sub);
      assert.equal(live.payload.length, 0);
      const late = client();
      await late.c.connect();
      await late.c.subscribe("ret/#", 0);
      await pub.c.publish("ret/marker", "m");
      assert.equal((await next(late)).topic, "ret/marker", "the cleared retained message is gone");
    });
  });

  test(`${name}: QoS 0, 1 and 2 work both ways and deliver at min(publish, subscription) QoS`, async () => {
    await withBroker(name, async (_b, client) => {
      const sub = client();
      await sub.c.connect();
      assert.equal(await sub.c.subscribe("q/2", 2), 2);
      assert.equal(await sub.c.subscribe("q/1", 1), 1);
      const pub = client();
      await pub.c.connect();
      for (const qos of [0, 1, 2] as const) {
        await pub.c.publish("q/2", `to2-${qos}`, { qos });
        const m = await next(sub);
        assert.deepEqual([m.topic, m.text(), m.qos], ["q/2", `to2-${qos}`, qos]);
      }
      await pub.c.publish("q/1", "to1-2", { qos: 2 });
      const m = await next(sub);
      assert.deepEqual([m.text(), m.qos], ["to1-2", 1]);
      assert.equal(pub.c.inflight, 0);
      assert.equal(sub.c.connected, true);
    });
  });

  test(`${name}: unsubscribe() stops delivery`, async () => {
    await withBroker(name, async (_b, client) => {
      const p = client();
      await p.c.connect();
      await p.c.subscribe("u/a", 1);
      await p.c.subscribe("u/b", 1);
      await p.c.publish("u/a", "one", { qos: 1 });
      assert.equal((await next(p)).text(), "one");
      await p.c.unsubscribe("u/a");
      await p.c.publish("u/a", "two", { qos: 1 });
      await p.c.publish("u/b", "marker", { qos: 1 });
      const m = await next(p);
      assert.deepEqual([m.topic, m.text()], ["u/b", "marker"]);
      await p.c.unsubscribe("u/never-subscribed");
    });
  });

  test(`${name}: ping() resolves and checkMsg()/waitMsg() return first bytes`, async () => {
    await withBroker(name, async (_b, client) => {
      const p = client();
      await p.c.connect();
      await p.c.ping();
      assert.equal(await p.c.checkMsg(), null);
      await p.c.subscribe("w/t", 1);
      await p.c.publish("w/t", "a");
      assert.equal(await p.c.waitMsg(), 0x30);
      await p.c.publish("w/t", "b", { qos: 1 });
      // mosquitto sends the echo before the PUBACK (delivered inside publish()), aedes after it.
      if (p.got.length < 2) assert.equal(await p.c.waitMsg({ signal: AbortSignal.timeout(5000) }), 0x32);
      assert.equal(p.got.length, 2);
      // The client reads by itself: a message from another client reaches the callback while checkMsg()
      // polls (each call yields to the event loop) and finds nothing left to process.
      const other = client();
      await other.c.connect();
      await other.c.publish("w/t", "c", { qos: 1 });
      const deadline = Date.now() + 5000;
      while (p.got.length < 3 && Date.now() < deadline) assert.equal(await p.c.checkMsg(), null);
      assert.deepEqual(p.got.map((m) => m.text()), ["a", "b", "c"]);
    });
  });

  test(`${name}: '#' does not match $SYS topics`, async () => {
    await withBroker(name, async (_b, client) => {
      const p = client();
      await p.c.connect();
      await p.c.subscribe("#", 0);
      const pub = client();
      await pub.c.connect();
      await pub.c.publish("plain/marker", "m", { qos: 1 });
      const m = await next(p);
      assert.equal(m.topic, "plain/marker");
      if (name === "mosquitto") {
        // mosquitto keeps retained $SYS topics: an explicit $SYS subscription gets them.
        const sys = client();
        await sys.c.connect();
        await sys.c.subscribe("$SYS/broker/version", 0);
        const v = await next(sys);
        assert.equal(v.topic, "$SYS/broker/version");
        assert.match(v.text(), /mosquitto/);
      }
    });
  });

  test(`${name}: subscribe() refused rejects with MQTTException(128) and the connection stays usable`, async () => {
    await withBroker(name, async (b, client) => {
      const p = client({ port: b.denyPort });
      await p.c.connect();
      assert.equal(await p.c.subscribe("allowed/x", 1), 1);
      await assert.rejects(
        p.c.subscribe("forbidden/x", 1),
        (e: unknown) => e instanceof MQTTException && e.code === 128,
      );
      await p.c.ping();
      await p.c.publish("allowed/x", "still-up", { qos: 1 });
      assert.equal((await next(p)).text(), "still-up");
    });
  });

  test(`${name}: a subscriber with keepalive 1 and autoKeepalive stays connected past 3 s`, {
    timeout: 20_000,
  }, async () => {
    await withBroker(name, async (_b, client) => {
      const p = client({ keepalive: 1, autoKeepalive: true });
      await p.c.connect();
      await p.c.subscribe("ka/t", 1);
      const t0 = Date.now();
      // The broker drops a silent client after 1.5 x keepalive; watch the link for 3.5 s.
      while (Date.now() - t0 < 3500 && p.c.connected) await new Promise((r) => setTimeout(r, 100));
      assert.equal(p.c.connected, true, "dropped although PINGREQs were due");
      await p.c.publish("ka/t", "alive", { qos: 1 });
      assert.equal((await next(p)).text(), "alive");
    });
  });

  // mosquitto 2.0.11 checks keepalive coarsely (3.5-5 s for keepalive 1): allow more than Bun's 5 s default.
  test(`${name}: the umqtt shim with keepalive 1 sends no PINGREQ and is dropped by the broker`, {
    timeout: 20_000,
  }, async () => {
    await withBroker(name, async (b) => {
      const c = new UmqttClient(`shim-${runtime}-${++seq}`, "127.0.0.1", b.port, null, null, 1);
      await c.connect();
      try {
        await assert.rejects(within(c.wait_msg(), 10_000, "the broker to drop the idle client"), ConnectionClosedError);
      } finally {
        await c.disconnect();
      }
    });
  });
}
