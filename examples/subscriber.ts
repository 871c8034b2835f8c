/**
 * A dashboard: per-topic handlers for sensor readings and status, a
 * catch-all callback for anything else, and an exit after `--count`
 * readings.
 *
 * ```sh
 * deno run -A examples/subscriber.ts --count 5
 * bun examples/subscriber.ts mqtt://127.0.0.1:1883 --count 5
 * ```
 *
 * @module
 */
import { type Message, MQTTClient } from "../mod.ts";
import { exampleConfig } from "./_config.ts";

const { url, count } = exampleConfig({ count: 10 });
let readings = 0;
let finish: () => void = () => {};
const finished = new Promise<void>((resolve) => (finish = resolve));

await using client = new MQTTClient(`dashboard-${crypto.randomUUID().slice(0, 8)}`, url, {
  // Messages that no per-topic handler took.
  callback: (msg) => console.log(`other ${msg.topic} ${msg.text()}`),
});
await client.connect();

await client.subscribe("sensors/+/temperature", 1, (msg: Message) => {
  if (readings >= count) return;
  const { seq, celsius } = msg.json<{ seq: number; celsius: number }>();
  console.log(`reading ${msg.topic} seq=${seq} celsius=${celsius.toFixed(2)}`);
  if (++readings === count) finish();
});
await client.subscribe("sensors/+/status", 1, (msg) => {
  console.log(`status ${msg.topic} ${msg.text()}${msg.retain ? " (retained)" : ""}`);
});
console.log(`subscribed on ${url}`);

client.startLoop(); // handlers run as messages arrive
await finished;
client.stopLoop();
await client.disconnect();
console.log(`done after ${readings} readings`);
