/**
 * The store against mosquitto, MQTT 5.0: a publisher whose acknowledgements
 * never arrive (a proxy swallows them) is abandoned; a new client on the
 * same `FileStore` file resends, with the original properties, and the
 * broker's side of QoS 2 stays exactly-once.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Message, MQTTClient } from "../../mod.ts";
import { FileStore } from "../../src/store/mod.ts";
import { mosquittoPath, startMosquitto } from "../../scripts/mosquitto.ts";
import { startProxy } from "../_proxy.ts";

const runtime = "Bun" in globalThis ? "bun" : "deno";

test(
  `FileStore, MQTT 5.0, mosquitto (${runtime}): a new client resends what an abandoned one never got acknowledged, properties included`,
  {
    skip: mosquittoPath() === null ? "mosquitto is not installed" : false,
    timeout: 60_000,
  },
  async () => {
    const broker = await startMosquitto({ captureLog: false });
    const proxy = await startProxy(() => broker.port);
    const dir = mkdtempSync(join(tmpdir(), "umqtt-store-v5-"));
    const path = join(dir, "pub.session");
    const got: Message[] = [];
    const sub = new MQTTClient(`sub-${runtime}`, "127.0.0.1", { port: broker.port, protocolVersion: 5 });
    try {
      await sub.connect();
      await sub.subscribe("store/v5/#", { qos: 2, handler: (m) => got.push(m) });
      const properties = {
        contentType: "application/json",
        correlationData: new Uint8Array([1, 2, 3]),
        userProperties: [["trace", "t-1"]] as [string, string][],
        messageExpiryInterval: 3600,
      };

      // First "process": its PUBACK and PUBREC never arrive; then it is gone without a word.
      const a = new MQTTClient(`pub-${runtime}`, "127.0.0.1", {
        port: proxy.port,
        protocolVersion: 5,
        store: new FileStore(path),
        onError: () => {},
      });
      await a.connect({ cleanSession: false });
      proxy.holdDown(true);
      const q1 = a.publish("store/v5/q1", '{"n":1}', { qos: 1, properties });
      const q2 = a.publish("store/v5/q2", '{"n":2}', { qos: 2, properties });
      q1.catch(() => {});
      q2.catch(() => {});
      const until = async (cond: () => boolean, what: string): Promise<void> => {
        const end = Date.now() + 10_000;
        while (!cond()) {
          if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      await until(() => got.length === 1, "the QoS 1 message at the subscriber");
      assert.equal(a.inflight, 2);
      a.abort();
      proxy.holdDown(false);

      // Second "process": the same file, straight to the broker.
      const store = new FileStore(path);
      const b = new MQTTClient(`pub-${runtime}`, "127.0.0.1", { port: broker.port, protocolVersion: 5, store });
      await b.connect({ cleanSession: false });
      await until(() => b.inflight + b.queued === 0 && got.length === 3, "the resent messages");
      await new Promise((r) => setTimeout(r, 300)); // a QoS 2 duplicate would arrive now
      const seen = got.map((m) => `${m.topic} ${m.text()}`).sort();
      // QoS 1: at least once (the broker delivered the first send and the resend); QoS 2: once.
      assert.deepEqual(seen, ['store/v5/q1 {"n":1}', 'store/v5/q1 {"n":1}', 'store/v5/q2 {"n":2}']);
      for (const m of got) {
        assert.equal(m.properties?.contentType, "application/json");
        assert.deepEqual([...m.properties!.correlationData!], [1, 2, 3]);
        assert.deepEqual(m.properties?.userProperties, [["trace", "t-1"]]);
        assert.ok((m.properties?.messageExpiryInterval ?? 0) > 3000);
      }
      await b.disconnect();
      store.close();
      const after = new FileStore(path);
      assert.deepEqual(after.load().outgoing, []);
      after.close();
    } finally {
      await sub.disconnect().catch(() => {});
      await proxy.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
