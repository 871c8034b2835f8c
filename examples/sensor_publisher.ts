/**
 * A sensor that publishes a temperature reading every `--interval` ms at
 * QoS 1, announces itself with a retained `online` status, and leaves a
 * last will so subscribers see `offline` if it vanishes.
 *
 * ```sh
 * deno run -A examples/sensor_publisher.ts --count 5 --interval 1000
 * bun examples/sensor_publisher.ts mqtt://127.0.0.1:1883 --count 5
 * MQTT_URL=mqtt://broker.local:1883 deno run -A examples/sensor_publisher.ts
 * ```
 *
 * @module
 */
import { MQTTClient } from "../mod.ts";
import { exampleConfig } from "./_config.ts";

const { url, count, interval } = exampleConfig({ count: 10, interval: 1000 });
const id = "sensor-1";
const status = `sensors/${id}/status`;

await using client = new MQTTClient(id, url, { keepalive: 30 });
// If the connection dies without DISCONNECT, the broker publishes this for us.
client.setLastWill(status, "offline", { qos: 1, retain: true });
await client.connect();
await client.publish(status, "online", { qos: 1, retain: true });
console.log(`connected to ${url} as ${id}`);

for (let i = 0; i < count; i++) {
  // A smooth, repeatable "reading" so the output is predictable.
  const celsius = (20 + 5 * Math.sin(i / 3)).toFixed(2);
  const topic = `sensors/${id}/temperature`;
  await client.publish(topic, JSON.stringify({ seq: i, celsius: Number(celsius) }), { qos: 1 });
  console.log(`published ${topic} seq=${i} celsius=${celsius}`);
  if (i < count - 1) await new Promise((r) => setTimeout(r, interval));
}

// A clean goodbye: the will is not sent, so we set the status ourselves.
await client.publish(status, "offline", { qos: 1, retain: true });
await client.disconnect();
console.log("done");
