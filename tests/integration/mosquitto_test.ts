/**
 * The client against a real mosquitto on 127.0.0.1 (shared scenarios plus
 * mosquitto-only ones: CONNACK code 2, TLS).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MQTTClient } from "../../src/client.ts";
import { MQTTException } from "../../src/codec/errors.ts";
import { MQTTClient as UmqttClient } from "../../src/umqtt.ts";
import { startMosquitto } from "../../scripts/mosquitto.ts";
import { makeTestPki } from "../_tls.ts";
import { runtime, startMosquittoBroker } from "./_brokers.ts";
import { brokerSuite, withBroker } from "./_suite.ts";

brokerSuite("mosquitto");

test("mosquitto: connect() with a zero-length client id is refused with MQTTException(2) when ids are required", async () => {
  await withBroker(
    "mosquitto",
    async (_b, client) => {
      const { c } = client({}, "");
      await assert.rejects(c.connect(), (e: unknown) => e instanceof MQTTException && e.code === 2);
      // Code 3 (server unavailable) has no configuration that produces it on mosquitto 2.0.
    },
    () => startMosquittoBroker({ firstListener: ["allow_zero_length_clientid false"] }),
  );
});

test("mosquitto: TLS with the CA supplied verifies the broker and carries MQTT", async () => {
  const pki = makeTestPki();
  const m = await startMosquitto({
    extraListeners: [{
      lines: [
        `cafile ${pki.files.ca}`,
        `certfile ${pki.files.serverCert}`,
        `keyfile ${pki.files.serverKey}`,
        "allow_anonymous true",
      ],
    }],
  });
  try {
    const got: string[] = [];
    const c = new MQTTClient(`tls-${runtime}`, "127.0.0.1", {
      port: m.extraPorts[0]!,
      tls: { caCerts: [pki.caPem] },
      callback: (msg) => got.push(msg.text()),
    });
    await c.connect({ timeout: 10_000 });
    await c.subscribe("tls/t", 1);
    await c.publish("tls/t", "secret", { qos: 1 });
    while (got.length === 0) await c.waitMsg({ signal: AbortSignal.timeout(5000) });
    assert.deepEqual(got, ["secret"]);
    await c.disconnect();

    // The umqtt shim: ssl=true with ssl_params.cadata.
    const u = new UmqttClient(`tls-shim-${runtime}`, "127.0.0.1", m.extraPorts[0]!, null, null, 0, true, {
      cadata: pki.caPem,
      server_hostname: "localhost",
    });
    assert.equal(await u.connect(), false);
    await u.ping();
    assert.equal(await u.wait_msg(), null);
    await u.disconnect();
  } finally {
    await m.stop();
    pki.cleanup();
  }
});

test("mosquitto: TLS refuses a broker certificate from an untrusted CA", async () => {
  const pki = makeTestPki();
  const m = await startMosquitto({
    extraListeners: [{
      lines: [
        `cafile ${pki.files.ca}`,
        `certfile ${pki.files.serverCert}`,
        `keyfile ${pki.files.serverKey}`,
        "allow_anonymous true",
      ],
    }],
  });
  try {
    const c = new MQTTClient(`tls-bad-${runtime}`, "127.0.0.1", {
      port: m.extraPorts[0]!,
      tls: { caCerts: [pki.otherCaPem] },
    });
    await assert.rejects(
      c.connect({ timeout: 10_000 }),
      (e: unknown) => e instanceof Error && !(e instanceof MQTTException),
    );
    assert.equal(c.connected, false);
    // Nothing reached MQTT: mosquitto never saw a CONNECT from this client.
    assert.equal(m.log.some((l) => l.includes(`tls-bad-${runtime}`)), false);
  } finally {
    await m.stop();
    pki.cleanup();
  }
});
