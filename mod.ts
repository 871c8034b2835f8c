/**
 * A small, dependency-free MQTT 3.1.1 client for Deno and Bun, with the API
 * of MicroPython's umqtt.simple in camelCase (and `./umqtt` for the
 * snake_case original).
 *
 * @example Publish and subscribe
 * ```ts ignore
 * import { MQTTClient } from "jsr:@umqtt/client";
 *
 * await using client = new MQTTClient("my-app", "127.0.0.1", {
 *   callback: (msg) => console.log(msg.topic, msg.text()),
 * });
 * await client.connect();
 * await client.subscribe("greetings/#", 1);
 * await client.publish("greetings/world", "hello", { qos: 1 });
 * await client.waitMsg(); // prints: greetings/world hello
 * ```
 *
 * @module
 */
export { MQTTClient } from "./src/client.ts";
export type {
  ClientOptions,
  ConnectOptions,
  Data,
  LossDecision,
  MessageCallback,
  MessageHandler,
  MessagesOptions,
  PublishOptions,
  ReconnectPolicy,
  ResolvedReconnectPolicy,
  SubscribeOptions,
} from "./src/client.ts";
export type { CallOptions } from "./src/session.ts";
export { Message } from "./src/message.ts";
export { ConnectionClosedError, MalformedPacketError, MQTTException, TimeoutError } from "./src/codec/errors.ts";
export type { QoS } from "./src/codec/packets.ts";
export { topicMatches } from "./src/codec/topic.ts";
export type { Clock } from "./src/clock.ts";
export type {
  TlsOptions,
  Transport,
  TransportConnectOptions,
  TransportFactory,
  WebSocketEndpoint,
} from "./src/transport/types.ts";
