/**
 * Delivery rules against a real mosquitto: throwing handlers, messages
 * behind the CONNACK of a persistent session, and consumers that appear
 * after the messages did.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../src/client.ts";
import type { Message } from "../../src/message.ts";
import { runtime, startMosquittoBroker, until } from "./_brokers.ts";
import { within } from "./_suite.ts";

test("mosquitto: handlers that throw on 30 QoS 1 messages do not stall delivery (acknowledged, reported to onError)", async () => {
  const b = await startMosquittoBroker();
  const id = `throw-${runtime}-${Date.now()}`;
  const sub = new MQTTClient(id, "127.0.0.1", { port: b.port, keepalive: 30, onError: (e) => errors.push(e) });
  const pub = new MQTTClient(`${id}-pub`, "127.0.0.1", { port: b.port, keepalive: 30 });
  const errors: unknown[] = [];
  const good: string[] = [];
  try {
    await sub.connect({ cleanSession: false });
    await sub.subscribe("bad/#", 1, () => {
      throw new Error("handler bug");
    });
    await sub.subscribe("good/#", 1, (m) => good.push(m.text()));
    await pub.connect();
    // More than mosquitto's in-flight window (20): unacknowledged, they would block everything behind them.
    for (let i = 0; i < 30; i++) await pub.publish(`bad/${i}`, "x", { qos: 1 });
    await pub.publish("good/1", "after", { qos: 1 });
    await until(() => good.length === 1, "the message behind 30 failing ones", 10_000);
    assert.equal(errors.length, 30);
    // Nothing is redelivered on the next start of the persistent session.
    await sub.disconnect();
    const again: Message[] = [];
    const resumed = new MQTTClient(id, "127.0.0.1", { port: b.port, keepalive: 30, callback: (m) => again.push(m) });
    assert.equal(await resumed.connect({ cleanSession: false }), true);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(again.map((m) => m.topic), []);
    await resumed.disconnect();
  } finally {
    await pub.disconnect().catch(() => {});
    await b.stop();
  }
});

test("mosquitto: QoS 1 and 2 messages queued for a persistent session reach a messages() loop started after connect()", async () => {
  const b = await startMosquittoBroker();
  const id = `late-${runtime}-${Date.now()}`;
  try {
    const first = new MQTTClient(id, "127.0.0.1", { port: b.port, keepalive: 30 });
    await first.connect({ cleanSession: false });
    await first.subscribe("late/#", 2);
    await first.disconnect();
    const pub = new MQTTClient(`${id}-pub`, "127.0.0.1", { port: b.port, keepalive: 30 });
    await pub.connect();
    await pub.publish("late/1", "one", { qos: 1 });
    await pub.publish("late/2", "two", { qos: 2 });
    await pub.disconnect();
    // mosquitto sends them right behind the CONNACK, before any consumer exists.
    const c = new MQTTClient(id, "127.0.0.1", { port: b.port, keepalive: 30 });
    assert.equal(await c.connect({ cleanSession: false }), true);
    await new Promise((r) => setTimeout(r, 200));
    const got: string[] = [];
    await within(
      (async () => {
        for await (const m of c.messages()) {
          got.push(m.text());
          if (got.length === 2) break;
        }
      })(),
      5000,
      "the queued messages",
    );
    assert.deepEqual(got, ["one", "two"]);
    await c.disconnect();
    // Acknowledged when taken: the next start of the session has nothing left.
    const again: string[] = [];
    const c2 = new MQTTClient(id, "127.0.0.1", { port: b.port, keepalive: 30, callback: (m) => again.push(m.text()) });
    await c2.connect({ cleanSession: false });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(again, []);
    await c2.disconnect();
  } finally {
    await b.stop();
  }
});
