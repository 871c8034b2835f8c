/**
 * A publisher that survives broker restarts and dropped links: automatic
 * reconnect with backoff, a persistent session, and QoS 1 messages that are
 * queued while offline and resent after the reconnect, so none is lost.
 * (For umqtt.robust-style code, see `jsr:@umqtt/client/robust`.)
 *
 * ```sh
 * deno run -A examples/robust_reconnect.ts --count 50 --interval 200
 * # restart your broker while it runs: it reconnects and finishes
 * ```
 *
 * @module
 */
import { MQTTClient } from "../mod.ts";
import { exampleConfig } from "./_config.ts";

const { url, count, interval } = exampleConfig({ count: 20, interval: 500 });

await using client = new MQTTClient("robust-publisher", url, {
  keepalive: 10,
  reconnect: { minDelay: 100, maxDelay: 2_000 },
  onConnectionLost: (e) => console.log(`connection lost: ${e.message}`),
  onReconnect: (attempt) => console.log(`reconnecting (attempt ${attempt})`),
  onConnect: ({ sessionPresent, reconnected }) => {
    if (reconnected) console.log(`reconnected (session present: ${sessionPresent})`);
  },
});
await client.connect({ cleanSession: false });
console.log(`connected to ${url}`);

const acked: Promise<void>[] = [];
for (let i = 0; i < count; i++) {
  // Not awaited one by one: while the broker is away they wait in the offline queue.
  acked.push(client.publish("robust/readings", String(i), { qos: 1 }).then(() => console.log(`acknowledged ${i}`)));
  await new Promise((r) => setTimeout(r, interval));
}
await Promise.all(acked);
console.log(`done: ${count} acknowledged`);
