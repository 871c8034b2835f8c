/**
 * A small, dependency-free MQTT 3.1.1 and 5.0 client for Deno and Bun,
 * with the API of MicroPython's umqtt.simple in camelCase, plus QoS 2,
 * automatic keepalive, persistent sessions, reconnect with backoff,
 * `for await` with backpressure, per-topic handlers and WebSockets.
 *
 * Entry points:
 * - `@umqtt/client`: {@linkcode MQTTClient}, {@linkcode Message}, the
 *   errors, {@linkcode topicMatches} and the types for options, clocks
 *   and transports.
 * - `@umqtt/client/umqtt`: umqtt.simple's snake_case API
 *   (`set_callback`, `wait_msg`, `check_msg`, positional arguments), to
 *   port MicroPython code line for line.
 * - `@umqtt/client/robust`: umqtt.robust's client, which reconnects and
 *   retries `publish`, `wait_msg` and `check_msg`.
 * - `@umqtt/client/codec`: the sans-I/O packet encoders, the push
 *   `PacketDecoder` and the topic rules, for brokers, proxies and tests.
 * - `@umqtt/client/store`: `FileStore` and `MemoryStore` for the `store`
 *   option (a session that survives a crash or restart).
 * - `@umqtt/client/cli`: the `umqtt pub`/`umqtt sub` command line tool
 *   (mosquitto_pub/mosquitto_sub options) and its `main(args)`.
 *
 * @example Publish and subscribe
 * ```ts ignore
 * import { MQTTClient } from "jsr:@umqtt/client";
 *
 * await using client = new MQTTClient("my-app", "mqtt://127.0.0.1:1883");
 * await client.connect();
 * await client.subscribe("greetings/#", 1);
 * await client.publish("greetings/world", "hello", { qos: 1 });
 * for await (const msg of client.messages()) {
 *   console.log(msg.topic, msg.text()); // greetings/world hello
 *   break;
 * }
 * ```
 *
 * @module
 */
export { MQTTClient } from "./src/client.ts";
export type {
  ClientOptions,
  ConnectionState,
  ConnectOptions,
  Data,
  DisconnectOptions,
  LossDecision,
  MessageCallback,
  MessageHandler,
  MessagesOptions,
  PublishOptions,
  ReconnectPolicy,
  RequestOptions,
  ResolvedReconnectPolicy,
  SubscribeOptions,
} from "./src/client.ts";
export type { AuthResponder, CallOptions } from "./src/session.ts";
export type {
  ConnackProperties,
  ConnectProperties,
  PublishProperties,
  UserProperty,
  WillProperties,
} from "./src/codec/properties.ts";
export { Message } from "./src/message.ts";
export { ConnectionClosedError, MalformedPacketError, MQTTException, TimeoutError } from "./src/codec/errors.ts";
export type { QoS } from "./src/codec/packets.ts";
export { topicMatches } from "./src/codec/topic.ts";
export type { Clock } from "./src/clock.ts";
export type { SessionStore, StoreChange, StoredPublish, StoredQueued, StoredSession } from "./src/store/types.ts";
export type {
  TlsOptions,
  Transport,
  TransportConnectOptions,
  TransportFactory,
  WebSocketEndpoint,
} from "./src/transport/types.ts";
