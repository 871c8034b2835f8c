// Connect over WebSockets, subscribe to a topic, publish to it and show
// what comes back. `document.body.dataset.status` ends as "ok" or "error"
// and `dataset.received` holds the received text (the end-to-end test reads them).
import { MQTTClient } from "./umqtt.js";

const $ = (id) => document.getElementById(id);
const log = (line) => ($("log").textContent += line + "\n");

async function run(broker, topic, text) {
  document.body.dataset.status = "running";
  const received = [];
  const client = new MQTTClient(`browser-${Math.random().toString(16).slice(2, 10)}`, broker, {
    callback: (msg) => {
      received.push(msg);
      log(`received ${msg.topic}: ${msg.text()}`);
    },
  });
  try {
    log(`connecting to ${client}`);
    await client.connect({ timeout: 10_000 });
    log(`subscribed with QoS ${await client.subscribe(topic, 1)}`);
    await client.publish(topic, text, { qos: 1 });
    log(`published ${text}`);
    while (received.length === 0) await client.waitMsg();
    await client.disconnect();
    document.body.dataset.received = received[0].text();
    document.body.dataset.status = "ok";
  } catch (e) {
    log(`error: ${e}`);
    document.body.dataset.error = String(e);
    document.body.dataset.status = "error";
  }
}

const params = new URLSearchParams(location.search);
for (const k of ["broker", "topic", "message"]) if (params.has(k)) $(k).value = params.get(k);
$("form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  run($("broker").value, $("topic").value, $("message").value);
});
if (params.get("auto") === "1") run($("broker").value, $("topic").value, $("message").value);
