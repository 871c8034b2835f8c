/**
 * The umqtt.simple / OpenMV `mqtt` example, ported line for line with the
 * snake_case `./umqtt` API. The MicroPython original:
 *
 * ```python
 * from umqtt.simple import MQTTClient
 *
 * def callback(topic, msg):
 *     print(topic, msg)
 *
 * client = MQTTClient("openmv", "broker.example.com", 1883)
 * client.set_callback(callback)
 * client.connect()
 * client.subscribe(b"openmv/in")
 * client.publish(b"openmv/out", b"hello")
 * while True:
 *     client.check_msg()
 * ```
 *
 * Here the client subscribes to the topic it publishes to, so it hears its
 * own `hello`s, and stops after `--count` of them.
 *
 * ```sh
 * deno run -A examples/umqtt_port.ts --count 3
 * bun examples/umqtt_port.ts mqtt://127.0.0.1:1883 --count 3
 * ```
 *
 * @module
 */
import { MQTTClient } from "../src/umqtt.ts"; // jsr:@umqtt/client/umqtt
import { exampleConfig } from "./_config.ts";

const { url, count } = exampleConfig({ count: 3, interval: 0 });
const { hostname, port, username, password } = new URL(url.replace(/^mqtt:/, "http:"));

/** Python's `repr()` of a bytes object, so the output reads like MicroPython's. */
function repr(b: Uint8Array): string {
  let s = "b'";
  for (const x of b) {
    if (x === 0x27 || x === 0x5c) s += "\\" + String.fromCharCode(x);
    else if (x >= 0x20 && x < 0x7f) s += String.fromCharCode(x);
    else s += "\\x" + x.toString(16).padStart(2, "0");
  }
  return s + "'";
}

let received = 0;
function callback(topic: Uint8Array, msg: Uint8Array): void {
  console.log(repr(topic), repr(msg));
  received++;
}

const client = new MQTTClient(
  `umqtt-port-${Date.now() % 100000}`,
  hostname,
  Number(port) || 1883,
  username ? decodeURIComponent(username) : null,
  password ? decodeURIComponent(password) : null,
);
client.set_callback(callback);
await client.connect();
await client.subscribe("umqtt/demo/#");
for (let i = 0; i < count; i++) await client.publish("umqtt/demo/out", "hello");
while (received < count) {
  // check_msg() returns at once when nothing arrived; wait_msg() blocks.
  if ((await client.check_msg()) === null) await client.wait_msg();
}
await client.disconnect();
