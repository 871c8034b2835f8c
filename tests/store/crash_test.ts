/**
 * The crash soak, short: a publisher and a subscriber with `FileStore`s,
 * each killed with SIGKILL at random moments while QoS 1 and QoS 2
 * messages stream through mosquitto, and restarted with the same store.
 * The long run is `deno task crash-soak`.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { crashSoak } from "./_crash.ts";
import { mosquittoPath } from "../../scripts/mosquitto.ts";

const runtime = "Bun" in globalThis ? "bun" : "deno";

test(`SIGKILLed publisher and subscriber with FileStores (${runtime}): no QoS 1 lost, no QoS 2 lost or doubled`, {
  skip: mosquittoPath() === null ? "mosquitto is not installed" : false,
  timeout: 240_000,
}, async () => {
  const lines: string[] = [];
  const r = await crashSoak({ messages: 3000, kills: 12, sync: true, pause: [100, 400], log: (l) => lines.push(l) });
  const summary = JSON.stringify(r);
  console.log(`crash soak: ${summary}`);
  assert.equal(r.publisherKills + r.subscriberKills, 12, `${summary}\n${lines.join("\n")}`);
  assert.equal(r.lostQos1, 0, `${summary}\n${lines.join("\n")}`);
  assert.equal(r.lostQos2, 0, `${summary}\n${lines.join("\n")}`);
  assert.equal(r.duplicateQos2, 0, `${summary}\n${lines.join("\n")}`);
});
