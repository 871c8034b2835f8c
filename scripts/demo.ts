/**
 * Demo: a sensor publishes readings, a dashboard subscribes to them, both
 * with @umqtt/client. With no argument the demo starts an embedded broker
 * (aedes, dev-only) on 127.0.0.1; give a URL (`mqtt://host:port`) to use a
 * real broker instead.
 *
 * Run: `npm run demo` or `deno run -A scripts/demo.ts [mqtt://host:port]`
 *
 * @module
 */
import { createServer } from "node:net";
import type { AddressInfo, Server } from "node:net";
import { MQTTClient } from "../mod.ts";
import type { Message } from "../mod.ts";

async function embeddedBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const { Aedes } = await import("aedes");
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}

const arg = Deno.args[0];
const broker = arg ? null : await embeddedBroker();
const url = arg ?? broker!.url;
console.log(broker ? `embedded broker (aedes) listening on ${url}` : `using broker ${url}`);

const received: Message[] = [];
const dashboard = new MQTTClient("umqtt-demo-dashboard", url, {
  callback: (msg) => {
    received.push(msg);
    console.log(`  dashboard <- ${msg.topic} = ${msg.text()} (qos ${msg.qos}${msg.retain ? ", retained" : ""})`);
  },
});
const sensor = new MQTTClient("umqtt-demo-sensor", url, { keepalive: 30 });
sensor.setLastWill("demo/sensor/status", "offline", { retain: true, qos: 1 });

try {
  await sensor.connect();
  await sensor.publish("demo/sensor/status", "online", { retain: true, qos: 1 });
  console.log("sensor connected; status 'online' retained");

  console.log("dashboard connected, session present:", await dashboard.connect());
  console.log("dashboard granted QoS", await dashboard.subscribe("demo/#", 1));
  await dashboard.waitMsg(); // the retained status

  for (let i = 1; i <= 3; i++) {
    const reading = JSON.stringify({ n: i, celsius: +(20 + Math.random() * 5).toFixed(2) });
    await sensor.publish("demo/sensor/temperature", reading, { qos: 1 });
    console.log(`sensor -> demo/sensor/temperature ${reading} (acknowledged)`);
    await dashboard.waitMsg();
  }
  await dashboard.ping();
  console.log("ping: broker answered");
  await dashboard.unsubscribe("demo/#");
  console.log(`dashboard received ${received.length} messages; disconnecting`);
} finally {
  await sensor.disconnect().catch(() => {});
  await dashboard.disconnect().catch(() => {});
  await broker?.close();
}
