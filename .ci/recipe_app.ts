/**
 * The app the README's "Use it from a checkout today" recipes are tested
 * with (`.ci/clean_clone.sh`): it imports every export by its package name,
 * as a project using the checkout would, and round-trips a QoS 1 message
 * through the broker given as the first argument.
 *
 * @module
 */
import { MQTTClient } from "@umqtt/client";
import { MQTTClient as UmqttClient } from "@umqtt/client/umqtt";
import { MQTTClient as RobustClient } from "@umqtt/client/robust";
import { encodePacket } from "@umqtt/client/codec";
import { VERSION } from "@umqtt/client/cli";

const url = (globalThis as { Deno?: { args: string[] } }).Deno?.args[0] ??
  (globalThis as { process?: { argv: string[] } }).process?.argv[2];
if (!url) throw new Error("Usage: recipe_app.ts mqtt://127.0.0.1:PORT");
for (const [name, v] of Object.entries({ UmqttClient, RobustClient, encodePacket })) {
  if (typeof v !== "function") throw new Error(`${name} is not exported as a function`);
}
await using client = new MQTTClient(`recipe-${Date.now()}`, url);
await client.connect();
await client.subscribe("recipe/#", 1);
const messages = client.messages(); // before publishing: messages() sees what arrives from now on
await client.publish("recipe/hello", `from ${VERSION}`, { qos: 1 });
const msg = await messages.next();
if (msg.done || msg.value.text() !== `from ${VERSION}`) throw new Error(`Round trip failed: ${JSON.stringify(msg)}`);
console.log(`recipe ok: ${msg.value.topic} ${msg.value.text()}`);
