/**
 * Shared pieces of the transport tests: broker listener configs and a
 * publish/subscribe round trip through the real client.
 *
 * @module
 */
import assert from "node:assert/strict";
import { MQTTClient } from "../../src/client.ts";
import type { ClientOptions } from "../../src/client.ts";
import type { Message } from "../../src/message.ts";
import type { TestPki } from "../_tls.ts";
import { type Mosquitto, type MosquittoOptions, startMosquitto } from "../../scripts/mosquitto.ts";

/**
 * `startMosquitto`, tried up to three times: a free port found by
 * `freePort()` can be taken by another process before mosquitto binds it.
 */
export async function startBroker(options: MosquittoOptions = {}): Promise<Mosquitto> {
  for (let attempt = 1;; attempt++) {
    try {
      return await startMosquitto(options);
    } catch (e) {
      if (attempt >= 3 || !/did not start on port/.test(String(e))) throw e;
    }
  }
}

/** Name of the runtime running the test. */
export const runtime: "bun" | "deno" | "node" = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

/** mosquitto lines for a TLS listener with the test PKI; `mtls` requires a client certificate. */
export function tlsListener(pki: TestPki, mtls = false): string[] {
  return [
    `cafile ${pki.files.ca}`,
    `certfile ${pki.files.serverCert}`,
    `keyfile ${pki.files.serverKey}`,
    "allow_anonymous true",
    ...(mtls ? ["require_certificate true", "use_identity_as_username true"] : []),
  ];
}

/** mosquitto lines for a WebSocket listener (Debian's 2.0.11 needs `socket_domain ipv4`), TLS with `pki`. */
export function wsListener(pki?: TestPki): string[] {
  return ["protocol websockets", "socket_domain ipv4", "allow_anonymous true", ...(pki ? tlsListener(pki) : [])];
}

let seq = 0;

/**
 * Connect, subscribe, publish a binary payload at QoS 1 to our own
 * subscription, wait for it to come back, disconnect. Asserts the payload
 * bytes, the topic and the QoS.
 *
 * @returns The client's `connect()` result and the received message.
 */
export async function roundTrip(
  server: string,
  options: ClientOptions = {},
  payload: Uint8Array = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x10, 0x20]),
): Promise<Message> {
  const topic = `umqtt/transport/${runtime}/${Date.now()}/${++seq}`;
  const got: Message[] = [];
  const client = new MQTTClient(`t-${runtime}-${seq}`, server, { ...options, callback: (m) => got.push(m) });
  await client.connect({ timeout: 10_000 });
  try {
    assert.equal(await client.subscribe(topic, 1), 1);
    await client.publish(topic, payload, { qos: 1 });
    while (got.length === 0) await client.waitMsg();
  } finally {
    await client.disconnect();
  }
  const m = got[0]!;
  assert.equal(m.topic, topic);
  assert.equal(m.qos, 1);
  assert.deepEqual(Array.from(m.payload), Array.from(payload));
  return m;
}
