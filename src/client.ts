/**
 * `MQTTClient`: the idiomatic, Promise-based client.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { show } from "./codec/_show.ts";
import { checkKeepalive, checkQos } from "./codec/encode.ts";
import { ConnectionClosedError, MalformedPacketError, MQTTException, TimeoutError } from "./codec/errors.ts";
import type { ConnectPacket, PublishPacket, QoS, Will } from "./codec/packets.ts";
import { topicMatches, validateTopicFilter, validateTopicName } from "./codec/topic.ts";
import { checkUtf8, encodeUtf8, toBytes, toText } from "./codec/utf8.ts";
import { Message } from "./message.ts";
import { type AuthResponder, type CallOptions, type Inbound, Session } from "./session.ts";
import type {
  ConnackProperties,
  ConnectProperties,
  PublishProperties,
  UserProperty,
  WillProperties,
} from "./codec/properties.ts";
import { connectNative } from "./transport/mod.ts";
import { type Endpoint, parseServer } from "./transport/endpoint.ts";
import type { SessionStore } from "./store/types.ts";
import type { TlsOptions, TransportFactory } from "./transport/types.ts";

/**
 * A topic or payload: strings are sent as UTF-8, bytes as they are.
 *
 * @example Text or bytes
 * ```ts
 * import type { Data } from "./client.ts";
 * const text: Data = "21.5";
 * const bytes: Data = new Uint8Array([0x32, 0x31]);
 * console.log(typeof text, bytes.length); // "string" 2
 * ```
 */
export type Data = string | Uint8Array;

/**
 * Receives every message that arrives and that no per-topic handler took,
 * as it arrives. An error it throws rejects the pending `waitMsg()`, or
 * goes to `onError` when nothing waits; the message is acknowledged all
 * the same unless `ackOnCallbackError` is `false`.
 *
 * @example Printing every message
 * ```ts
 * import type { MessageCallback } from "./client.ts";
 * const callback: MessageCallback = (msg) => console.log(msg.topic, msg.text());
 * ```
 */
export type MessageCallback = (message: Message) => void;

/**
 * Receives the messages matching one subscription's topic filter (see
 * {@linkcode MQTTClient.subscribe}).
 *
 * @example A handler for one filter
 * ```ts
 * import type { MessageHandler } from "./client.ts";
 * const onTemperature: MessageHandler = (msg) => console.log(`${msg.topic}: ${msg.json<number>()} °C`);
 * ```
 */
export type MessageHandler = (message: Message) => void;

/**
 * Where a client's connection is in its lifecycle (see
 * {@linkcode MQTTClient.state}): `"idle"` before the first `connect()`,
 * `"connecting"`, `"connected"`, `"reconnect-wait"` between automatic
 * attempts, `"disconnecting"`, and `"closed"` once disconnected, aborted,
 * refused or given up (a `connect()` may start again from there).
 *
 * @example Watching the state
 * ```ts
 * import { MQTTClient, type ConnectionState } from "./client.ts";
 * const client = new MQTTClient("sensor-1", "127.0.0.1");
 * const state: ConnectionState = client.state;
 * console.log(state); // "idle"
 * ```
 */
export type ConnectionState = "idle" | "connecting" | "connected" | "reconnect-wait" | "disconnecting" | "closed";

/**
 * What the `onConnectionLost` hook decides: `"recover"` to reconnect (as
 * when it returns nothing), or `"stop"` to give up for good.
 *
 * @example Stop on a refused login
 * ```ts
 * import type { LossDecision } from "./client.ts";
 * import { MQTTException } from "./codec/errors.ts";
 * const onConnectionLost = (error: Error): LossDecision => error instanceof MQTTException ? "stop" : "recover";
 * console.log(onConnectionLost(new MQTTException(5))); // "stop"
 * ```
 */
export type LossDecision = "recover" | "stop";

/**
 * Automatic reconnect with exponential backoff and jitter: the delay before
 * attempt `n` is `min(maxDelay, minDelay * factor ** (n - 1))`, reduced by
 * a random fraction up to `jitter` (see {@linkcode backoffDelay}). Pass it
 * as the client's `reconnect` option; `reconnect: true` uses every default.
 * Out-of-range values throw a `RangeError` from the constructor.
 *
 * @example Reconnect quickly, forever, and queue QoS 0 while offline
 * ```ts
 * import { MQTTClient, type ReconnectPolicy } from "./client.ts";
 * const reconnect: ReconnectPolicy = { minDelay: 500, maxDelay: 10_000, offlineQos0: "queue" };
 * const client = new MQTTClient("sensor-1", "127.0.0.1", { reconnect });
 * console.log(client.connected); // false until connect()
 * ```
 */
export interface ReconnectPolicy {
  /**
   * First delay, in ms; must be > 0.
   *
   * @default {1000}
   */
  minDelay?: number | undefined;
  /**
   * Largest delay, in ms; must be >= `minDelay`.
   *
   * @default {30000}
   */
  maxDelay?: number | undefined;
  /**
   * Growth factor per attempt; must be >= 1.
   *
   * @default {2}
   */
  factor?: number | undefined;
  /**
   * Random reduction of each delay, 0..1 (0 makes the delays exact).
   *
   * @default {0.5}
   */
  jitter?: number | undefined;
  /**
   * Give up after this many failed attempts in a row: pending and queued
   * calls are then rejected with a `ConnectionClosedError`.
   *
   * @default {Infinity}
   */
  maxAttempts?: number | undefined;
  /**
   * Most publishes queued while offline; beyond it `publish` rejects.
   *
   * @default {1000}
   */
  maxQueued?: number | undefined;
  /**
   * QoS 0 published while offline: `"reject"` the call, or `"queue"` it
   * like QoS 1/2.
   *
   * @default {"reject"}
   */
  offlineQos0?: "reject" | "queue" | undefined;
}

/**
 * Options for {@linkcode MQTTClient}. Every option is optional; invalid
 * values throw a `TypeError` or `RangeError` from the constructor.
 *
 * @example TLS, credentials and a persistent-session friendly setup
 * ```ts
 * import { MQTTClient, type ClientOptions } from "./client.ts";
 * const options: ClientOptions = {
 *   user: "sensor",
 *   password: "secret",
 *   tls: { serverName: "broker.example" },
 *   keepalive: 30,
 *   callback: (msg) => console.log(msg.topic, msg.text()),
 *   reconnect: true,
 * };
 * const client = new MQTTClient("sensor-1", "broker.example", options);
 * console.log(String(client)); // MQTTClient("sensor-1" @ mqtts://broker.example:8883)
 * ```
 */
export interface ClientOptions {
  /**
   * Broker port. 0 means the port of a `server` URL, else the default:
   * 1883, 8883 with TLS, 80 for `ws:`, 443 for `wss:`. A non-zero value
   * wins over the URL's port.
   *
   * @default {0}
   */
  port?: number | undefined;
  /**
   * User name. When absent (or `null`), the user name of a `server` URL
   * (`mqtt://user:pass@host`) is used, if any; otherwise none is sent.
   */
  user?: Data | null | undefined;
  /**
   * Password, at most 65535 bytes; it needs a user name
   * [MQTT-3.1.2-22]. When absent (or `null`), the password of a `server`
   * URL is used, if any. It never appears in `toString()`, `toJSON()` or
   * error messages.
   */
  password?: Data | null | undefined;
  /**
   * Keepalive in seconds sent in CONNECT, 0..65535; 0 turns it off. Also
   * settable later through {@linkcode MQTTClient.keepalive}.
   *
   * @default {60}
   */
  keepalive?: number | undefined;
  /**
   * Send PINGREQ automatically when nothing was sent for `keepalive`
   * seconds, and treat a PINGRESP missing after `pingTimeout` as a dead
   * link (the connection closes with a `TimeoutError`).
   *
   * @default {true}
   */
  autoKeepalive?: boolean | undefined;
  /**
   * How long to wait for the PINGRESP of an automatic keepalive ping, in
   * ms. When absent: the keepalive interval, at most 30 seconds.
   *
   * @default {Math.min(keepalive * 1000, 30000)}
   */
  pingTimeout?: number | undefined;
  /**
   * `true` for TLS with the system's CAs, or TLS settings. `mqtts:` and
   * `wss:` server URLs turn TLS on by themselves.
   *
   * @default {false}
   */
  tls?: boolean | TlsOptions | undefined;
  /**
   * Called for each received message that no per-topic handler took, as
   * it arrives (no pumping needed); can also be set later with
   * {@linkcode MQTTClient.setCallback}. When absent, such messages go to
   * the `messages()` iterators; a message nobody at all takes is kept
   * (up to 100) for the first consumer that appears.
   */
  callback?: MessageCallback | undefined;
  /**
   * Receives errors no caller awaits: thrown by the callback or a handler
   * while no `waitMsg()` waits, thrown by the `onConnect`, `onReconnect`
   * or `onConnectionLost` hooks, resubscriptions the broker refused after
   * a reconnect (`MQTTException` 0x80), an automatic reconnect that gave
   * up, and QoS 0 messages dropped because no consumer had room. When
   * absent they are logged with `console.error` (never thrown: an
   * exception in a callback does not end the process).
   *
   * @default {console.error}
   */
  onError?: ((error: unknown) => void) | undefined;
  /**
   * Whether a QoS 1/2 message whose callback or handler threw is
   * acknowledged anyway. `true`: it is acknowledged and the error goes to
   * `onError` (or the waiting `waitMsg()`), so one bad message cannot
   * fill the broker's in-flight window or come back at every start of a
   * persistent session. `false`: it is left unacknowledged, as
   * umqtt.simple does; the broker sends it again after a reconnect
   * (persistent session only), and each one left costs a slot of the
   * broker's in-flight window (20 on mosquitto) until then.
   *
   * @default {true}
   */
  ackOnCallbackError?: boolean | undefined;
  /**
   * Opens the connection instead of the built-in sockets (tests, tunnels,
   * custom links). When absent, the runtime's own TCP/TLS socket is used
   * (Deno, Bun or Node), or a WebSocket for `ws:`/`wss:` URLs.
   */
  transport?: TransportFactory | undefined;
  /**
   * Time source for every timer: connect deadline, keepalive, timeouts,
   * reconnect delays (tests pass a fake one). When absent, the real clock
   * (`performance.now()` and the global timers).
   */
  clock?: Clock | undefined;
  /**
   * Largest incoming packet accepted, in bytes; a bigger one closes the
   * connection with `MalformedPacketError` as soon as its header arrives.
   * Raise it (up to 268435460) to receive larger messages.
   * @default {16777216}
   */
  maxPacketSize?: number | undefined;
  /**
   * Most QoS 1/2 publishes awaiting acknowledgement at once. Keep it at or
   * below the broker's receive maximum (mosquitto's `max_inflight_messages`,
   * 20 by default): beyond it mosquitto acknowledges QoS 1 messages from
   * MQTT 3.1.1 clients without delivering them.
   * @default {20}
   */
  maxInflight?: number | undefined;
  /**
   * Deadline for each acknowledgement (PUBACK, PUBCOMP, SUBACK, UNSUBACK,
   * PINGRESP), in ms: the waiting call rejects with a `TimeoutError`.
   * 0 means no deadline.
   *
   * @default {0}
   */
  commandTimeout?: number | undefined;
  /**
   * Keep the session's state (unacknowledged and queued QoS 1/2 publishes,
   * received QoS 2 ids, the last packet id) in a store, so a process that
   * crashed or was restarted resumes it: the first `connect()` loads it,
   * resends what the broker never acknowledged and does not deliver a
   * QoS 2 message twice. Needs `cleanSession: false`. `FileStore` and
   * `MemoryStore` are in `@umqtt/client/store`. When absent, the state
   * lives in this client object only.
   */
  store?: SessionStore | undefined;
  /**
   * Reconnect automatically when the connection is lost: `true` for the
   * default {@linkcode ReconnectPolicy}, or a policy. With it, publishes
   * made while offline are queued and sent after the reconnect, and
   * subscriptions are renewed when the broker kept no session.
   *
   * @default {false}
   */
  reconnect?: boolean | ReconnectPolicy | undefined;
  /**
   * Called after every successful connect, first or automatic (Zerynth's
   * `aconnect_cb`). When absent, nothing is called.
   */
  onConnect?: ((info: { sessionPresent: boolean; reconnected: boolean }) => void) | undefined;
  /**
   * Called before each reconnect attempt, automatic or by
   * {@linkcode MQTTClient.reconnect} (Zerynth's `breconnect_cb`). When
   * absent, nothing is called.
   */
  onReconnect?: ((attempt: number, lastError: Error) => void) | undefined;
  /**
   * Called, with `reconnect` set, when the connection is lost unexpectedly
   * or an automatic reconnect attempt fails (Zerynth's `loop_failure`):
   * return `"stop"` to give up instead of reconnecting. When absent, the
   * client keeps reconnecting within the policy's `maxAttempts`.
   */
  onConnectionLost?: ((error: Error) => LossDecision | void) | undefined;
  /**
   * The protocol: 4 for MQTT 3.1.1, 5 for MQTT 5.0 (properties, reason
   * codes, flow control, topic aliases, request/response). The 5.0 codec
   * is loaded only when asked for.
   *
   * @default {4}
   */
  protocolVersion?: 4 | 5 | undefined;
  /**
   * MQTT 5.0: seconds the broker keeps the session after the connection
   * ends. When absent: 0 with `cleanSession: true`, and 0xFFFFFFFF (never
   * expires, as a 3.1.1 persistent session) with `cleanSession: false`.
   */
  sessionExpiryInterval?: number | undefined;
  /**
   * MQTT 5.0: largest topic alias the broker may use towards us; aliases
   * it sends are resolved per connection. 0 turns them off.
   *
   * @default {32}
   */
  topicAliasMaximum?: number | undefined;
  /**
   * MQTT 5.0: replace repeated topics by aliases on the way out, up to the
   * broker's Topic Alias Maximum (per connection; resends always carry the
   * topic).
   *
   * @default {false}
   */
  topicAliases?: boolean | undefined;
  /**
   * MQTT 5.0: more CONNECT properties (user properties, request
   * response/problem information). Receive Maximum, Maximum Packet Size,
   * Topic Alias Maximum and Session Expiry come from the options above.
   */
  connectProperties?:
    | Pick<
      ConnectProperties,
      "userProperties" | "requestResponseInformation" | "requestProblemInformation"
    >
    | undefined;
  /**
   * MQTT 5.0 enhanced authentication: the method (e.g. `"SCRAM-SHA-256"`),
   * the first data, and a function that answers each AUTH challenge of
   * the broker during connect.
   */
  auth?: { method: string; data?: Uint8Array | undefined; respond?: AuthResponder | undefined } | undefined;
}

/**
 * A {@linkcode ReconnectPolicy} with every default filled in, as
 * {@linkcode backoffDelay} takes it.
 *
 * @example The default policy
 * ```ts
 * import type { ResolvedReconnectPolicy } from "./client.ts";
 * const defaults: ResolvedReconnectPolicy = {
 *   minDelay: 1000,
 *   maxDelay: 30_000,
 *   factor: 2,
 *   jitter: 0.5,
 *   maxAttempts: Infinity,
 *   maxQueued: 1000,
 *   offlineQos0: "reject",
 * };
 * console.log(defaults.maxDelay); // 30000
 * ```
 */
export interface ResolvedReconnectPolicy {
  /** First delay, in ms. */
  minDelay: number;
  /** Largest delay, in ms. */
  maxDelay: number;
  /** Growth factor per attempt. */
  factor: number;
  /** Random reduction of each delay, 0..1. */
  jitter: number;
  /** Give up after this many failed attempts in a row. */
  maxAttempts: number;
  /** Most publishes queued while offline. */
  maxQueued: number;
  /** QoS 0 published while offline: rejected, or queued like QoS 1/2. */
  offlineQos0: "reject" | "queue";
}

/**
 * Options for {@linkcode MQTTClient.subscribe}.
 *
 * @example QoS 1 with a handler and a deadline
 * ```ts
 * import type { SubscribeOptions } from "./client.ts";
 * const options: SubscribeOptions = {
 *   qos: 1,
 *   handler: (msg) => console.log(msg.topic, msg.text()),
 *   signal: AbortSignal.timeout(5000),
 * };
 * console.log(options.qos); // 1
 * ```
 */
export interface SubscribeOptions extends CallOptions {
  /**
   * Requested QoS; the broker may grant less.
   *
   * @default {0}
   */
  qos?: QoS | undefined;
  /**
   * Handler for the messages matching this filter; they then skip the
   * client's callback. When absent, a handler set by an earlier
   * `subscribe` to the same filter is kept; with none, matching messages
   * go to the callback.
   */
  handler?: MessageHandler | undefined;
  /** MQTT 5.0: do not send this client's own publishes back to it. @default {false} */
  noLocal?: boolean | undefined;
  /** MQTT 5.0: keep the RETAIN flag as published on forwarded messages. @default {false} */
  retainAsPublished?: boolean | undefined;
  /**
   * MQTT 5.0: retained messages on subscribe: 0 always, 1 only for a new
   * subscription, 2 never.
   *
   * @default {0}
   */
  retainHandling?: 0 | 1 | 2 | undefined;
  /** MQTT 5.0: user properties sent with the SUBSCRIBE. */
  userProperties?: UserProperty[] | undefined;
}

/**
 * Options for {@linkcode MQTTClient.messages}.
 *
 * @example A small buffer for one subtree
 * ```ts
 * import type { MessagesOptions } from "./client.ts";
 * const options: MessagesOptions = { bufferSize: 10, filter: "sensors/+/temp" };
 * console.log(options.filter); // "sensors/+/temp"
 * ```
 */
export interface MessagesOptions {
  /**
   * Messages buffered, an integer >= 1; when that many wait unconsumed,
   * the client stops reading from the socket until the loop takes one.
   *
   * @default {100}
   */
  bufferSize?: number | undefined;
  /**
   * Only yield messages matching this topic filter (it subscribes to
   * nothing: call `subscribe` as well). When absent, every message is
   * yielded.
   */
  filter?: string | undefined;
}

/**
 * Options for {@linkcode MQTTClient.request} (MQTT 5.0).
 *
 * @example A QoS 1 request with a user property, answered within 2 seconds
 * ```ts
 * import type { RequestOptions } from "./client.ts";
 * const options: RequestOptions = { timeout: 2000, properties: { userProperties: [["unit", "C"]] } };
 * console.log(options.timeout); // 2000
 * ```
 */
export interface RequestOptions extends CallOptions {
  /**
   * How long to wait for the response, in ms.
   *
   * @default {30000}
   */
  timeout?: number | undefined;
  /**
   * QoS of the request.
   *
   * @default {1}
   */
  qos?: QoS | undefined;
  /** More publish properties (the Response Topic and Correlation Data are the client's). */
  properties?: Omit<PublishProperties, "responseTopic" | "correlationData"> | undefined;
}

/**
 * Options for {@linkcode MQTTClient.disconnect}.
 *
 * @example End an MQTT 5.0 session now, with a reason
 * ```ts
 * import type { DisconnectOptions } from "./client.ts";
 * const options: DisconnectOptions = { timeout: 1000, reasonCode: 0x04, sessionExpiryInterval: 0 };
 * console.log(options.reasonCode); // 4
 * ```
 */
export interface DisconnectOptions {
  /**
   * Most time to wait for the DISCONNECT to be written and the broker to
   * close the connection, in ms; the link is closed either way.
   *
   * @default {5000}
   */
  timeout?: number | undefined;
  /** MQTT 5.0: the reason code (0 normal, 4 "disconnect with will message"). @default {0} */
  reasonCode?: number | undefined;
  /** MQTT 5.0: a new session expiry interval, in seconds. */
  sessionExpiryInterval?: number | undefined;
  /** MQTT 5.0: user properties of the DISCONNECT. */
  userProperties?: UserProperty[] | undefined;
}

/**
 * Options for {@linkcode MQTTClient.connect}.
 *
 * @example Resume a stored session, giving up after 5 seconds
 * ```ts
 * import type { ConnectOptions } from "./client.ts";
 * const options: ConnectOptions = { cleanSession: false, timeout: 5000 };
 * console.log(options.timeout); // 5000
 * ```
 */
export interface ConnectOptions {
  /**
   * Start a fresh session (and make the broker discard any stored one).
   * `false` resumes the stored session, which needs a non-empty client id.
   *
   * @default {true}
   */
  cleanSession?: boolean | undefined;
  /**
   * One deadline, in ms, for opening the connection (TCP, TLS or
   * WebSocket) and receiving CONNACK; it rejects with a `TimeoutError`.
   *
   * @default {30000}
   */
  timeout?: number | undefined;
  /**
   * Aborts the attempt: `connect()` rejects with the signal's reason.
   * When absent, only `timeout` ends it.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Options for {@linkcode MQTTClient.publish} and
 * {@linkcode MQTTClient.setLastWill} (which ignores `signal`).
 *
 * @example A retained QoS 1 status message
 * ```ts
 * import type { PublishOptions } from "./client.ts";
 * const options: PublishOptions = { qos: 1, retain: true };
 * console.log(options); // { qos: 1, retain: true }
 * ```
 */
export interface PublishOptions extends CallOptions {
  /**
   * MQTT 5.0 publish properties: `userProperties`, `contentType`,
   * `payloadFormatIndicator` (1: the payload is checked to be UTF-8),
   * `messageExpiryInterval`, `responseTopic`, `correlationData`. For
   * `setLastWill`, the will properties (`willDelayInterval` too).
   */
  properties?: (PublishProperties & WillProperties) | undefined;
  /**
   * Ask the broker to retain the message for future subscribers.
   *
   * @default {false}
   */
  retain?: boolean | undefined;
  /**
   * Quality of service: 0 at most once, 1 at least once, 2 exactly once.
   *
   * @default {0}
   */
  qos?: QoS | undefined;
}

/**
 * An MQTT 3.1.1 and 5.0 client with umqtt.simple's API in camelCase, Promise-based,
 * plus QoS 2, automatic keepalive, persistent sessions, reconnect, async
 * iteration and per-topic handlers.
 *
 * Receiving: the client reads by itself while connected, and every
 * message goes, as it arrives, to each `messages()` iterator whose filter
 * matches, to each matching per-topic handler, and to the callback when
 * no handler matched. A message nobody wants yet is kept (up to 100) for
 * the first consumer. QoS 1/2 messages are acknowledged once every
 * consumer that took them let go (a callback returned, an iterator's loop
 * took it), in arrival order. `waitMsg()` waits for the next packet to be
 * processed; `checkMsg()` yields to the event loop.
 *
 * @example Publish and receive against a local broker
 * ```ts ignore
 * import { MQTTClient } from "./client.ts";
 * await using client = new MQTTClient("demo", "127.0.0.1");
 * await client.connect();
 * await client.subscribe("demo/#", 1);
 * await client.publish("demo/hello", "world", { qos: 1 });
 * for await (const msg of client.messages()) {
 *   console.log(msg.topic, msg.text()); // demo/hello world
 *   break;
 * }
 * ```
 */
export class MQTTClient {
  #clientId: string;
  #endpoint: Endpoint;
  #user: string | undefined;
  #password: Uint8Array | undefined;
  #keepalive: number;
  #callback: MessageCallback | undefined;
  #will: Will | undefined;
  #transport: TransportFactory;
  #session: Session;
  #opts: ClientOptions;
  #policy: ResolvedReconnectPolicy | null;
  #subs = new Map<string, Sub>();
  /** Filters the broker granted, as last granted: what a failed subscribe() restores. */
  #granted = new Map<string, Sub>();
  #subToken = 0;
  /** MQTT 5.0 subscription identifiers: filter to id, and back. */
  #subIds = new Map<string, number>();
  #subById = new Map<number, string>();
  #lastSubId = 0;
  #handlers = 0;
  #consumers = new Set<Consumer>();
  #last: { cleanSession: boolean; timeout: number } | null = null;
  /** The lifecycle state; only #begin() and the run that owns it change it. */
  #state: ConnectionState = "idle";
  /** The connect, reconnect or disconnect run that owns the state; a newer one aborts it. */
  #run: Run | null = null;
  /** Attempts since the last successful connection (backoff, `maxAttempts`, `onReconnect`). */
  #attempt = 0;
  #lastMalformed: string | null = null;
  #pull = false;
  #looping = false;
  /** Messages that arrived while nobody was there to take them, for the first consumer. */
  #held: Delivery[] = [];
  #heldPaused = false;
  #lastTopic: string | undefined;
  #lastTopicBytes: Uint8Array | undefined;
  #storeLoaded = false;

  /**
   * Create a client; nothing is sent until {@linkcode MQTTClient.connect}.
   * Invalid arguments throw a `TypeError` or `RangeError` here.
   *
   * @param clientId Client identifier; `""` asks the broker to assign one (clean session only).
   * @param server Host name, IP address, or URL (`mqtt://host:1883`,
   * `mqtts://host`, `ws://host/mqtt`, `wss://host/mqtt`; `user:password@`
   * in a URL supplies the credentials).
   * @param options Connection and behaviour settings.
   */
  constructor(clientId: Data, server: string, options: ClientOptions = {}) {
    this.#opts = options;
    this.#clientId = toText(clientId, "client id");
    checkUtf8(this.#clientId, "client id");
    this.#endpoint = parseServer(server, options.port, options.tls);
    const user = options.user ?? this.#endpoint.user;
    const password = options.password ?? this.#endpoint.password;
    if (user !== undefined && user !== null) {
      this.#user = toText(user, "user name");
      encodeUtf8(this.#user, "user name");
    }
    if (password !== undefined && password !== null) {
      if (this.#user === undefined) {
        throw new TypeError("A password needs a user name: set `user` as well [MQTT-3.1.2-22]");
      }
      this.#password = toBytes(password, "password");
      if (this.#password.length > 65_535) throw new RangeError("Invalid password: more than 65535 bytes");
    }
    this.#keepalive = checkKeepalive(options.keepalive ?? 60);
    if (options.callback !== undefined && typeof options.callback !== "function") {
      throw new TypeError("callback must be a function");
    }
    this.#callback = options.callback;
    this.#transport = options.transport ?? connectNative;
    this.#policy = normalizePolicy(options.reconnect);
    this.#session = new Session({
      onMessage: (p, rec) => this.#deliver(p, rec),
      onError: (e) => this.#report(e),
      onClose: (e) => this.#onClose(e),
      clock: options.clock,
      maxPacketSize: options.maxPacketSize,
      maxInflight: options.maxInflight,
      autoKeepalive: options.autoKeepalive ?? true,
      pingTimeout: options.pingTimeout,
      commandTimeout: options.commandTimeout,
      topicAliasMaximum: options.protocolVersion === 5 ? options.topicAliasMaximum ?? 32 : 0,
    });
    if (options.protocolVersion !== undefined && options.protocolVersion !== 4 && options.protocolVersion !== 5) {
      throw new RangeError(`protocolVersion must be 4 or 5, got ${show(options.protocolVersion)}`);
    }
    if (options.protocolVersion !== 5) {
      for (
        const k of ["sessionExpiryInterval", "topicAliasMaximum", "topicAliases", "connectProperties", "auth"] as const
      ) {
        if (options[k] !== undefined) this.#v5Only(`The ${k} option`);
      }
    }
    this.#session.topicAliases = options.topicAliases ?? false;
    if (options.auth) {
      if (typeof options.auth.method !== "string") throw new TypeError("auth.method must be a string");
      this.#session.authResponder = options.auth.respond ?? null;
    }
    // The client reads by itself while connected: handlers, the callback and messages() need no pumping.
    this.#session.demand(1);
    if (options.store !== undefined) {
      const st = options.store as Partial<SessionStore> | null;
      if (typeof st?.load !== "function" || typeof st.commit !== "function") {
        throw new TypeError(`store must have load() and commit() (a SessionStore), got ${show(options.store)}`);
      }
    }
  }

  /** Keepalive in seconds (0..65535) sent with the next CONNECT. */
  get keepalive(): number {
    return this.#keepalive;
  }
  set keepalive(seconds: number) {
    this.#keepalive = checkKeepalive(seconds);
  }

  /** Whether the client is connected. */
  get connected(): boolean {
    return this.#session.connected;
  }

  /**
   * Where the connection is in its lifecycle: `"idle"` (never connected),
   * `"connecting"`, `"connected"`, `"reconnect-wait"` (waiting for the
   * next attempt), `"disconnecting"` or `"closed"` (disconnected, aborted,
   * or given up; `connect()` may start again).
   */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * MQTT 5.0: what the broker said about itself in its CONNACK (Receive
   * Maximum, Maximum Packet Size, Maximum QoS, Retain Available, Topic
   * Alias Maximum, the availability flags, Assigned Client Identifier,
   * Server Keep Alive, Response Information…); `{}` on MQTT 3.1.1.
   */
  get server(): ConnackProperties {
    return this.#session.server;
  }

  /** The client identifier (the one the broker assigned, after connecting with `""` on MQTT 5.0). */
  get clientId(): string {
    return this.#clientId;
  }

  /** QoS 1/2 messages sent and not yet acknowledged. */
  get inflight(): number {
    return this.#session.inflight;
  }

  /** Messages published while offline, waiting for the reconnect. */
  get queued(): number {
    return this.#session.queued;
  }

  /** @internal The session engine (shared with the compat shims). */
  get session(): Session {
    return this.#session;
  }

  /**
   * @internal Switch to umqtt.simple's pull model (used by `./umqtt`):
   * packets are read only while `waitMsg()`, `checkMsg()`, an
   * acknowledgement or `startLoop()` asks for them.
   */
  usePullModel(): void {
    if (this.#pull) return;
    this.#pull = true;
    this.#session.demand(-1);
  }

  /**
   * Set the function called for each received message that no per-topic
   * handler takes. Messages that arrived while there was no consumer at
   * all are handed to it at once.
   *
   * @param callback The callback.
   */
  setCallback(callback: MessageCallback): void {
    if (typeof callback !== "function") throw new TypeError("callback must be a function");
    this.#callback = callback;
    this.#drainHeld();
  }

  /**
   * Set the last will: the broker publishes it if the connection ends
   * without DISCONNECT. Call before `connect()`.
   *
   * @param topic Topic name (no wildcards).
   * @param msg Payload, at most 65535 bytes.
   * @param options Retain and QoS.
   *
   * @example A retained "offline" status
   * ```ts
   * import { MQTTClient } from "./client.ts";
   * const client = new MQTTClient("sensor-1", "127.0.0.1");
   * client.setLastWill("status/sensor-1", "offline", { qos: 1, retain: true });
   * ```
   */
  setLastWill(topic: Data, msg: Data, options: PublishOptions = {}): void {
    const t = toText(topic, "will topic");
    validateTopicName(t);
    encodeUtf8(t, "will topic");
    const payload = toBytes(msg, "will message");
    if (payload.length > 65_535) {
      throw new RangeError(`Invalid will message: ${payload.length} bytes, the maximum is 65535`);
    }
    if (options.properties) this.#v5Only("will properties");
    const will: Will & { properties?: WillProperties } = {
      topic: t,
      payload,
      qos: checkQos(options.qos ?? 0),
      retain: options.retain ?? false,
    };
    if (options.properties) will.properties = options.properties;
    this.#will = will;
  }

  /**
   * Connect to the broker. Resolves to the session-present flag.
   *
   * Without `reconnect`, one attempt: it rejects with
   * {@linkcode MQTTException} (`code` 1..5) if the broker refuses, a
   * `TimeoutError` or a `ConnectionClosedError` otherwise. With
   * `reconnect`, network failures, CONNACK timeouts and "server
   * unavailable" (code 3) are retried with the policy's backoff until it
   * connects, `maxAttempts` runs out or `signal` aborts; a refusal that
   * retrying cannot fix (codes 1, 2, 4, 5) rejects at once. Once it has
   * rejected, nothing retries in the background.
   *
   * Connecting again closes the current connection first (no DISCONNECT);
   * a `disconnect()`, `abort()` or newer `connect()` cancels this one.
   *
   * @param options Clean session, timeout, abort signal.
   * @returns Whether the broker resumed a stored session.
   *
   * @example Resume a persistent session
   * ```ts ignore
   * const client = new MQTTClient("sensor-1", "127.0.0.1");
   * const resumed = await client.connect({ cleanSession: false, timeout: 5000 });
   * if (!resumed) await client.subscribe("commands/sensor-1", 1);
   * ```
   */
  async connect(options: ConnectOptions = {}): Promise<boolean> {
    const cleanSession = options.cleanSession ?? true;
    const timeout = options.timeout ?? 30_000;
    if (typeof timeout !== "number" || !(timeout > 0)) {
      throw new RangeError(`timeout must be a positive number of milliseconds, got ${show(timeout)}`);
    }
    if (this.#clientId === "" && !cleanSession) {
      throw new RangeError("A zero-length client id needs cleanSession: true [MQTT-3.1.3-7]");
    }
    const store = this.#opts.store;
    if (store) {
      if (cleanSession) {
        throw new RangeError(
          "The store option needs connect({ cleanSession: false }): a clean session discards the state it keeps",
        );
      }
      if (!this.#storeLoaded) {
        const stored = await store.load();
        // A second connect() may have loaded it while this one waited.
        if (!this.#storeLoaded) {
          this.#storeLoaded = true;
          this.#session.useStore(store, stored);
        }
      }
    }
    this.#last = { cleanSession, timeout };
    this.#attempt = 0;
    const run = this.#begin("connecting");
    return await this.#establish(run, options.signal, false, false);
  }

  /**
   * Reconnect now with the settings of the last `connect()` (clean session
   * and timeout), resubscribing when the broker has no session. Resolves
   * to the session-present flag; with `reconnect`, failed attempts are
   * retried as by `connect()`.
   *
   * @returns Whether the broker resumed the session.
   */
  async reconnect(): Promise<boolean> {
    if (!this.#last) throw new ConnectionClosedError("Cannot reconnect: call connect() first");
    const run = this.#begin("connecting");
    this.#onReconnectHook(++this.#attempt, this.#session.closedReason ?? new Error("manual reconnect"));
    return await this.#establish(run, undefined, true, false);
  }

  /** Take over the lifecycle: a new run owns the state, and the previous run is cancelled. */
  #begin(state: ConnectionState): Run {
    const prev = this.#run;
    const run = new Run();
    this.#run = run;
    this.#state = state;
    // One shared reason: an Error per connect/disconnect cycle (its stack trace) costs more than the rest of it on Node.
    prev?.cancel(CANCELLED_ERROR ??= new ConnectionClosedError(CANCELLED));
    return run;
  }

  /**
   * Connect within `run`, retrying per the reconnect policy. Every await
   * is followed by a check that `run` still owns the lifecycle, so a
   * cancelled attempt never touches a newer connection or schedules
   * anything.
   */
  async #establish(
    run: Run,
    signal: AbortSignal | undefined,
    reconnected: boolean,
    waitFirst: boolean,
  ): Promise<boolean> {
    let lastError: Error = this.#session.closedReason ?? new Error("manual reconnect");
    let wait = waitFirst;
    for (;;) {
      try {
        if (wait) {
          const p = this.#policy!;
          if (this.#attempt >= p.maxAttempts) {
            throw new GiveUp(
              new ConnectionClosedError(
                `Gave up ${
                  reconnected ? "reconnecting" : "connecting"
                } after ${this.#attempt} attempts: ${lastError.message}`,
                { cause: lastError },
              ),
            );
          }
          this.#state = "reconnect-wait";
          await this.#sleep(run, backoffDelay(p, this.#attempt + 1, Math.random()), signal);
          this.#state = "connecting";
          this.#onReconnectHook(++this.#attempt, lastError);
        }
        const present = await this.#open(run, signal);
        if (!present && reconnected) await this.#resubscribe();
        if (this.#run !== run) throw new ConnectionClosedError(CANCELLED);
        if (!this.#session.connected) {
          throw this.#session.closedReason ?? new ConnectionClosedError("Connection lost right after CONNACK");
        }
        this.#state = "connected";
        this.#attempt = 0;
        const assigned = this.#session.server.assignedClientIdentifier;
        if (assigned !== undefined && this.#clientId === "") this.#clientId = assigned;
        if (this.#policy) {
          this.#session.offline = { maxQueued: this.#policy.maxQueued, qos0: this.#policy.offlineQos0 };
        }
        try {
          this.#opts.onConnect?.({ sessionPresent: present, reconnected });
        } catch (e) {
          this.#report(e);
        }
        return present;
      } catch (e) {
        if (this.#run !== run) {
          throw e instanceof ConnectionClosedError && e.message === CANCELLED
            ? e
            : new ConnectionClosedError(CANCELLED, { cause: e });
        }
        const err = e instanceof GiveUp ? e.error : e instanceof Error ? e : new Error(String(e));
        lastError = err;
        const fatal = e instanceof GiveUp ? err : this.#fatal(err);
        if (fatal || !this.#policy || signal?.aborted || this.#lossDecision(err) === "stop") {
          this.#finish(fatal ?? err);
          throw fatal ?? err;
        }
        wait = true;
      }
    }
  }

  /** Sleep on the injected clock; a cancelled run or an aborted signal ends it with a rejection. */
  #sleep(run: Run, ms: number, signal: AbortSignal | undefined): Promise<void> {
    const clock = this.#opts.clock ?? systemClock;
    return new Promise<void>((resolve, reject) => {
      const runSignal = run.signal;
      const done = (): void => {
        runSignal.removeEventListener("abort", onAbort);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        clock.clearTimeout(timer);
        done();
        reject(runSignal.aborted ? runSignal.reason : signal!.reason);
      };
      const timer = clock.setTimeout(() => {
        done();
        resolve();
      }, ms);
      if (runSignal.aborted || signal?.aborted) return onAbort();
      runSignal.addEventListener("abort", onAbort, { once: true });
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * An error that retrying cannot fix, or `null`: a refusal with CONNACK
   * code 1, 2, 4 or 5, or the same malformed packet twice in a row (a
   * persistent session would bring it back at every reconnect).
   */
  #fatal(err: Error): Error | null {
    if (err instanceof MQTTException) return FATAL_CODES.has(err.code) ? err : null;
    const cause = err instanceof ConnectionClosedError && err.cause instanceof MQTTException ? err.cause : null;
    if (cause) return FATAL_CODES.has(cause.code) ? cause : null;
    if (!(err instanceof MalformedPacketError)) {
      this.#lastMalformed = null;
      return null;
    }
    const again = this.#lastMalformed === err.message;
    this.#lastMalformed = err.message;
    if (!again) return null;
    this.#lastMalformed = null;
    return new MalformedPacketError(
      `Stopped reconnecting: the same bad packet from the broker ended two connections in a row (${err.message}); ` +
        `with a persistent session the broker sends it again at every reconnect` +
        (/exceeds maxPacketSize/.test(err.message) ? ": raise maxPacketSize to receive it" : ""),
    );
  }

  #lossDecision(err: Error): LossDecision | void {
    try {
      return this.#opts.onConnectionLost?.(err);
    } catch (e) {
      this.#report(e);
      return "recover";
    }
  }

  #onReconnectHook(attempt: number, lastError: Error): void {
    try {
      this.#opts.onReconnect?.(attempt, lastError);
    } catch (e) {
      this.#report(e);
    }
  }

  /** The connection is over for good (refused, given up, or lost without `reconnect`). */
  #finish(error: Error): void {
    this.#state = "closed";
    this.#session.offline = null;
    this.#session.abort(error);
    this.#session.rejectQueued(error);
    this.#session.rejectInflight(error);
    this.#dropHeld();
    this.#endConsumers(error);
  }

  async #open(run: Run, userSignal: AbortSignal | undefined): Promise<boolean> {
    const { cleanSession, timeout } = this.#last!;
    const packet: ConnectPacket = {
      type: "connect",
      clientId: this.#clientId,
      cleanSession,
      keepalive: this.#keepalive,
      will: this.#will,
      username: this.#user,
      password: this.#password,
    };
    if (this.#opts.protocolVersion === 5) {
      if (this.#session.wire.version !== 5) this.#session.wire = (await import("./_v5.ts")).WIRE_V5;
      const o = this.#opts;
      const properties: ConnectProperties = {
        ...o.connectProperties,
        sessionExpiryInterval: o.sessionExpiryInterval ?? (cleanSession ? 0 : 0xffffffff),
        receiveMaximum: 65535,
        maximumPacketSize: o.maxPacketSize ?? 16 * 1024 * 1024,
        topicAliasMaximum: o.topicAliasMaximum ?? 32,
      };
      if (o.auth) {
        properties.authenticationMethod = o.auth.method;
        if (o.auth.data) properties.authenticationData = o.auth.data;
      }
      (packet as { properties?: ConnectProperties }).properties = properties;
    }
    this.#session.keepInflightOnDrop = this.#policy !== null && !cleanSession;
    const { user: _user, password: _password, ...where } = this.#endpoint;
    const { host, port } = where;
    // One deadline, on the injected clock, for the TCP/TLS/WebSocket connection and the CONNACK.
    const clock = this.#opts.clock ?? systemClock;
    const started = clock.now();
    // The transport's signal aborts with the run, the deadline or the user's signal: the attempt's own controller,
    // which cancelling the run aborts directly (AbortSignal.any, and a controller per run, cost microseconds:
    // weak references on Deno, EventTarget dispatch on Node), joined with the user's signal only if there is one.
    const attempt = new AbortController();
    const timer = clock.setTimeout(
      () => attempt.abort(new TimeoutError(`Cannot connect to ${host}:${port}: timed out after ${timeout} ms`)),
      timeout,
    );
    if (run.reason) attempt.abort(run.reason);
    else run.attempt = attempt;
    const signal = userSignal ? AbortSignal.any([attempt.signal, userSignal]) : attempt.signal;
    let transport;
    try {
      const opening = this.#transport({ ...where, signal });
      transport = await new Promise<Awaited<typeof opening>>((resolve, reject) => {
        const onAbort = (): void => {
          // A factory that ignores the signal: close what it opens late.
          opening.then((t) => t.close(), () => {});
          reject(signal.reason);
        };
        if (signal.aborted) return onAbort();
        signal.addEventListener("abort", onAbort, { once: true });
        opening.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
      });
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ConnectionClosedError(`Cannot connect to ${host}:${port}: ${msg}`, { cause: e });
    } finally {
      clock.clearTimeout(timer);
    }
    if (this.#run !== run) {
      transport.close();
      throw new ConnectionClosedError(CANCELLED);
    }
    const remaining = Math.max(1, timeout - (clock.now() - started));
    // The deadline is now the session's CONNACK timer (the attempt's timer is cleared): the same signal aborts only
    // with the run or the user's signal.
    const present = await this.#session.open(transport, packet, remaining, signal, timeout);
    // The attempt is over: a later disconnect() has nothing of it to abort (an abort dispatches an event: µs on Node).
    if (run.attempt === attempt) run.attempt = null;
    return present;
  }

  async #resubscribe(): Promise<void> {
    const subs = [...this.#subs];
    if (subs.length === 0) return;
    const refused = (t: string, c: number): void => {
      if (c < 0x80) return;
      const why = this.#session.wire.version === 5 ? this.#session.wire.describe(c) : `SUBACK 0x${c.toString(16)}`;
      this.#report(new MQTTException(c, `Resubscribe to ${JSON.stringify(t)} refused by the broker (${why})`));
    };
    if (this.#session.wire.version === 4) {
      const codes = await this.#session.subscribe(subs.map(([, s]) => s.entry));
      codes.forEach((c, i) => refused(subs[i]![0], c));
      return;
    }
    // MQTT 5.0: one SUBSCRIBE per filter, each with its own subscription identifier and user properties.
    const codes = await Promise.all(subs.map(([, s]) => this.#session.subscribe([s.entry], undefined, s.extra)));
    codes.forEach((c, i) => refused(subs[i]![0], c[0] ?? 0x80));
  }

  /** The session lost its connection. Only the loss of an established connection is ours to handle here. */
  #onClose(error: Error): void {
    if (this.#state !== "connected") return; // attempts, replacements and disconnects are settled by their runs
    const fatal = this.#fatal(error);
    if (!this.#policy || fatal) {
      this.#begin("closed");
      if (fatal) {
        this.#finish(fatal);
        this.#report(fatal);
      } else {
        this.#state = "closed";
        this.#endConsumers(error);
      }
      return;
    }
    if (this.#lossDecision(error) === "stop") {
      this.#begin("closed");
      return this.#finish(error);
    }
    const run = this.#begin("reconnect-wait");
    this.#establish(run, undefined, true, true).catch((e: unknown) => {
      // Given up (not cancelled): tell the user; pending calls and iterators already have the error.
      if (this.#run === run) this.#report(e);
    });
  }

  /**
   * Send DISCONNECT and close the connection. Pending and queued calls
   * are rejected at once and `messages()` iterators end; nothing is
   * written after the DISCONNECT; a reconnect in progress is cancelled.
   * Resolves when the broker has closed the connection after reading the
   * DISCONNECT, so everything sent before it (the last acknowledgements)
   * has reached the broker and a client connecting with the same id next
   * cannot overtake it; or after `timeout` ms if the broker stops reading
   * (the link is closed either way). A `connect()` may also follow at
   * once, without awaiting this.
   *
   * @param options `timeout`: the most time to wait for the DISCONNECT write and the broker's close, in ms (default 5000).
   */
  async disconnect(options: DisconnectOptions = {}): Promise<void> {
    const timeout = options.timeout ?? 5000;
    if (typeof timeout !== "number" || !(timeout >= 0)) {
      throw new RangeError(`timeout must be a number of milliseconds >= 0, got ${show(timeout)}`);
    }
    let packet: { reasonCode?: number; properties?: object } | undefined;
    if (options.reasonCode !== undefined || options.sessionExpiryInterval !== undefined || options.userProperties) {
      this.#v5Only("disconnect() reason codes and properties");
      packet = { reasonCode: options.reasonCode ?? 0, properties: {} };
      if (options.sessionExpiryInterval !== undefined) {
        (packet.properties as ConnectProperties).sessionExpiryInterval = options.sessionExpiryInterval;
      }
      if (options.userProperties) (packet.properties as ConnectProperties).userProperties = options.userProperties;
    }
    const run = this.#begin("disconnecting");
    this.#session.offline = null;
    this.#dropHeld();
    this.#endConsumers(null);
    // Settles every call synchronously, then waits for the write.
    const closing = this.#session.disconnect(timeout, packet);
    // Publishes kept for a reconnect that will not come (this connection only: a connect() may follow at once).
    // With none in flight there is nobody to tell: skip making the error (a stack trace costs microseconds).
    if (this.#session.inflight > 0) {
      this.#session.rejectInflight(new ConnectionClosedError("Disconnected by the client"));
    }
    await closing;
    if (this.#run === run) this.#state = "closed";
  }

  /**
   * Close the connection at once, without DISCONNECT, so the broker
   * publishes the last will (what umqtt programs do with `sock.close()`).
   * Pending calls are rejected; no reconnect follows.
   */
  abort(): void {
    const err = new ConnectionClosedError("Connection aborted by the client");
    this.#begin("closed");
    this.#session.offline = null;
    this.#session.abort(err);
    this.#session.rejectQueued(err);
    this.#session.rejectInflight(err); // kept for a reconnect that will not come
    this.#dropHeld();
    this.#endConsumers(null);
  }

  /**
   * Send PINGREQ and wait for PINGRESP.
   *
   * @param options Abort signal.
   */
  async ping(options?: CallOptions): Promise<void> {
    await this.#session.ping(true, options);
  }

  /**
   * Publish a message. QoS 0 resolves once written, QoS 1 on PUBACK,
   * QoS 2 on PUBCOMP. With `reconnect`, publishes made while offline are
   * queued (bounded) and sent after the reconnect. A `signal` or
   * `commandTimeout` ends the wait only: a QoS 1/2 message already sent
   * still completes its flow with the broker. A `Uint8Array` payload is
   * not copied (large ones go to the socket as they are, QoS 1/2 ones are
   * kept for resends): do not change it until the call settles.
   *
   * @param topic Topic name (no wildcards).
   * @param msg Payload.
   * @param options Retain, QoS, abort signal.
   *
   * @example QoS 1, giving up after 5 seconds
   * ```ts ignore
   * await client.publish("sensors/1/temp", JSON.stringify(21.5), { qos: 1, signal: AbortSignal.timeout(5000) });
   * ```
   */
  publish(topic: Data, msg: Data, options: PublishOptions = {}): Promise<void> {
    try {
      const t = toText(topic, "topic");
      // Applications publish to the same topic again and again: validate and encode it once.
      let topicBytes = this.#lastTopicBytes;
      if (t !== this.#lastTopic || topicBytes === undefined) {
        validateTopicName(t);
        topicBytes = encodeUtf8(t, "topic");
        this.#lastTopic = t;
        this.#lastTopicBytes = topicBytes;
      }
      const packet: PublishPacket = {
        type: "publish",
        topic: t,
        payload: toBytes(msg, "payload"),
        qos: checkQos(options.qos ?? 0),
        retain: options.retain ?? false,
        dup: false,
      };
      if (this.#opts.protocolVersion === 5) this.#checkPublishV5(packet, options.properties);
      else if (options.properties) this.#v5Only("publish properties");
      return this.#session.publish(packet, topicBytes, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** MQTT 5.0 checks before a PUBLISH leaves: the broker's limits and the properties' own rules. */
  #checkPublishV5(packet: PublishPacket, properties: PublishProperties | undefined): void {
    const server = this.#session.server;
    const where = `Cannot publish to ${JSON.stringify(packet.topic)}`;
    if (packet.retain && server.retainAvailable === false) {
      throw new RangeError(
        `${where}: the broker does not support retained messages (Retain Available 0) [MQTT-3.3.1-14]`,
      );
    }
    if (server.maximumQos !== undefined && packet.qos > server.maximumQos) {
      throw new RangeError(
        `${where} with qos ${packet.qos}: the broker's Maximum QoS is ${server.maximumQos} [MQTT-3.3.1-12]`,
      );
    }
    if (!properties) return;
    if (properties.topicAlias !== undefined) {
      throw new TypeError(`${where}: topicAlias is managed by the client (set the topicAliases option)`);
    }
    if (properties.subscriptionIdentifiers !== undefined) {
      throw new TypeError(`${where}: subscriptionIdentifiers are only sent by the broker [MQTT-3.3.4-6]`);
    }
    if (properties.payloadFormatIndicator === 1) {
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(packet.payload);
      } catch {
        throw new TypeError(`${where}: payloadFormatIndicator is 1 but the payload is not valid UTF-8 [MQTT-3.3.2-4]`);
      }
    }
    (packet as { properties?: PublishProperties }).properties = properties;
  }

  #v5Only(what: string): void {
    if (this.#opts.protocolVersion !== 5) throw new TypeError(`${what}: requires protocolVersion: 5 (MQTT 5.0)`);
  }

  /**
   * Subscribe to a topic filter. Resolves to the QoS the broker granted;
   * rejects with {@linkcode MQTTException} (`code` 0x80) if it refused.
   * With a handler (`subscribe(filter, handler)` or `{ handler }`), the
   * messages matching the filter go to it instead of the callback, as
   * they arrive.
   *
   * @param topic Topic filter (`+` and `#` allowed).
   * @param qos Requested QoS, a handler, or options.
   * @param handler Handler for matching messages.
   * @returns Granted QoS.
   *
   * @example A handler per filter
   * ```ts ignore
   * const granted = await client.subscribe("sensors/+/temp", 1, (msg) => console.log(msg.topic, msg.json()));
   * ```
   */
  async subscribe(
    topic: Data,
    qos: QoS | MessageHandler | SubscribeOptions = 0,
    handler?: MessageHandler,
  ): Promise<QoS> {
    const t = toText(topic, "topic filter");
    validateTopicFilter(t);
    encodeUtf8(t, "topic filter");
    let opts: SubscribeOptions;
    if (typeof qos === "function") opts = { handler: qos };
    else if (typeof qos === "object" && qos !== null) opts = qos;
    else opts = { qos, handler };
    const q = checkQos(opts.qos ?? 0);
    const h = opts.handler;
    if (h !== undefined && typeof h !== "function") throw new TypeError("handler must be a function");
    const v5 = this.#opts.protocolVersion === 5;
    const entry: SubscriptionEntry = { topic: t, qos: q };
    let extra: { properties?: { subscriptionIdentifiers?: number[]; userProperties?: UserProperty[] } } | undefined;
    let subId: number | undefined;
    if (v5) {
      this.#checkSubscribeV5(t);
      if (opts.noLocal) entry.noLocal = true;
      if (opts.retainAsPublished) entry.retainAsPublished = true;
      if (opts.retainHandling) entry.retainHandling = opts.retainHandling;
      extra = { properties: {} };
      if (this.#session.server.subscriptionIdentifiersAvailable !== false) {
        subId = this.#subIds.get(t) ?? ++this.#lastSubId;
        extra.properties!.subscriptionIdentifiers = [subId];
      }
      if (opts.userProperties) extra.properties!.userProperties = opts.userProperties;
    } else if (opts.noLocal || opts.retainAsPublished || opts.retainHandling || opts.userProperties) {
      this.#v5Only("subscription options");
    }
    // Registered before SUBSCRIBE goes out: retained messages may follow the SUBACK at once.
    const sub: Sub = { qos: q, handler: h ?? this.#subs.get(t)?.handler, token: ++this.#subToken, entry, extra };
    this.#setSub(t, sub);
    if (subId !== undefined) {
      this.#subIds.set(t, subId);
      this.#subById.set(subId, t);
    }
    if (sub.handler) this.#drainHeld();
    let code: number | undefined;
    try {
      [code] = await this.#session.subscribe([entry], opts, extra);
    } catch (e) {
      this.#subFailed(t, sub);
      throw e;
    }
    if (code === undefined || code >= 0x80) {
      this.#subFailed(t, sub);
      if (!v5 || code === undefined || code === 0x80) {
        throw new MQTTException(0x80, `Subscription to ${JSON.stringify(t)} refused by the broker (SUBACK 0x80)`);
      }
      throw new MQTTException(
        code,
        `Subscription to ${JSON.stringify(t)} refused by the broker: ${this.#session.wire.describe(code)}`,
      );
    }
    this.#granted.set(t, sub);
    return code as QoS;
  }

  /** MQTT 5.0: refuse filters the broker said it does not support. */
  #checkSubscribeV5(t: string): void {
    const server = this.#session.server;
    const shared = t.startsWith("$share/");
    if (shared && server.sharedSubscriptionAvailable === false) {
      throw new RangeError(
        `Cannot subscribe to ${JSON.stringify(t)}: the broker does not support shared subscriptions ` +
          `(Shared Subscription Available 0)`,
      );
    }
    if (/[+#]/.test(t) && server.wildcardSubscriptionAvailable === false) {
      throw new RangeError(
        `Cannot subscribe to ${
          JSON.stringify(t)
        }: the broker does not support wildcards (Wildcard Subscription Available 0)`,
      );
    }
  }

  #setSub(t: string, s: Sub | undefined): void {
    if (this.#subs.get(t)?.handler) this.#handlers--;
    if (!s) {
      this.#subs.delete(t);
      return;
    }
    if (s.handler) this.#handlers++;
    this.#subs.set(t, s);
  }

  /** A subscribe failed: restore what the broker last granted, unless a newer call to the same filter owns it now. */
  #subFailed(t: string, sub: Sub): void {
    if (this.#subs.get(t) !== sub) return;
    this.#setSub(t, this.#granted.get(t));
  }

  /**
   * Unsubscribe from a topic filter (and drop its handler); resolves on
   * UNSUBACK.
   *
   * @param topic Topic filter, as subscribed.
   * @param options Abort signal.
   */
  async unsubscribe(topic: Data, options?: CallOptions): Promise<void> {
    const t = toText(topic, "topic filter");
    validateTopicFilter(t);
    encodeUtf8(t, "topic filter");
    await this.#session.unsubscribe([t], options);
    const id = this.#subIds.get(t);
    if (id !== undefined) {
      this.#subIds.delete(t);
      this.#subById.delete(id);
    }
    this.#granted.delete(t);
    this.#setSub(t, undefined);
  }

  /**
   * MQTT 5.0 request/response: publish `payload` to `topic` with a Response
   * Topic (this client's own, subscribed once) and fresh Correlation Data,
   * and resolve with the first message published back with that
   * correlation data. Rejects with a `TimeoutError` after `timeout` ms.
   *
   * @param topic Where the responder listens.
   * @param payload The request.
   * @param options Deadline, QoS, more publish properties, abort signal.
   * @returns The response.
   *
   * @example Ask a service and wait two seconds at most
   * ```ts ignore
   * const reply = await client.request("services/time", "now?", { timeout: 2000 });
   * console.log(reply.text());
   * ```
   */
  async request(topic: Data, payload: Data, options: RequestOptions = {}): Promise<Message> {
    this.#v5Only("request()");
    const timeout = options.timeout ?? 30_000;
    if (typeof timeout !== "number" || !(timeout > 0)) {
      throw new RangeError(`timeout must be a positive number of milliseconds, got ${show(timeout)}`);
    }
    options.signal?.throwIfAborted();
    const replyTopic = await this.#replyTopic();
    const correlationData = crypto.getRandomValues(new Uint8Array(16));
    const key = hexOf(correlationData);
    const clock = this.#opts.clock ?? systemClock;
    const t = toText(topic, "topic");
    const reply = new Promise<Message>((resolve, reject) => {
      const done = (): void => {
        this.#requests.delete(key);
        clock.clearTimeout(timer);
        options.signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = (): void => {
        done();
        reject(options.signal!.reason);
      };
      const timer = clock.setTimeout(() => {
        done();
        reject(new TimeoutError(`No response to the request on ${JSON.stringify(t)} within ${timeout} ms`));
      }, timeout);
      options.signal?.addEventListener("abort", onAbort, { once: true });
      this.#requests.set(key, (m) => {
        done();
        resolve(m);
      });
    });
    try {
      await this.publish(t, payload, {
        qos: options.qos ?? 1,
        signal: options.signal,
        properties: { ...options.properties, responseTopic: replyTopic, correlationData },
      });
    } catch (e) {
      this.#requests.get(key)?.(undefined as unknown as Message); // settle and forget the waiter
      throw e;
    }
    return await reply;
  }

  #requests = new Map<string, (m: Message) => void>();
  #reply: Promise<string> | null = null;

  /** This client's response topic, subscribed on first use. */
  #replyTopic(): Promise<string> {
    if (this.#reply) return this.#reply;
    const base = this.#session.server.responseInformation ?? "umqtt/reply";
    const topic = `${base}/${this.#clientId || "client"}/${hexOf(crypto.getRandomValues(new Uint8Array(6)))}`;
    this.#reply = this.subscribe(topic, {
      qos: 1,
      handler: (m) => {
        const cd = m.properties?.correlationData;
        if (cd) this.#requests.get(hexOf(cd))?.(m);
      },
    }).then(() => topic, (e) => {
      this.#reply = null;
      throw e;
    });
    return this.#reply;
  }

  /**
   * Wait for the next packet from the broker to be processed (messages go
   * to the handlers and callback as always). Resolves to the packet's
   * first byte (`0x30`–`0x3D` for PUBLISH), or `null` for PINGRESP. A
   * message that arrived before the call (during a `publish`, say) does
   * not count: to take messages one by one, iterate `messages()`.
   *
   * @param options Abort signal.
   * @returns First byte, or null.
   */
  waitMsg(options?: CallOptions): Promise<number | null> {
    return this.#session.waitPacket(options);
  }

  /**
   * Yield to the event loop once (so `while (true) await checkMsg()`
   * cannot starve the socket), then process one packet if one is waiting
   * unprocessed; resolves to its first byte, or `null`. The client reads
   * by itself, so this is mostly `null`: messages reach the handlers,
   * the callback and `messages()` without it.
   *
   * @returns First byte, or null.
   */
  checkMsg(): Promise<number | null> {
    return this.#session.checkPacket();
  }

  /**
   * Kept for compatibility (Zerynth's `loop()`): the client already
   * processes packets as they arrive, so this changes nothing (under
   * `./umqtt`'s pull model it starts background reading).
   */
  startLoop(): void {
    if (this.#looping) return;
    this.#looping = true;
    this.#session.demand(1);
  }

  /** Undo {@linkcode startLoop}. */
  stopLoop(): void {
    if (!this.#looping) return;
    this.#looping = false;
    this.#session.demand(-1);
  }

  /**
   * Iterate over received messages (matching `filter`, when given: it
   * filters locally and subscribes to nothing, so call `subscribe` too).
   * A QoS 1/2 message is acknowledged when the loop takes it, not when it
   * is buffered. The iterator keeps at most `bufferSize` messages; when
   * they are not consumed, the client stops reading from the socket (TCP
   * backpressure). If the client must read on to get an acknowledgement it
   * waits for itself (a `publish` inside the loop), QoS 1/2 messages go
   * past the buffer (the broker sends no more than its in-flight window)
   * and QoS 0 messages that find the buffer full are dropped and reported
   * to `onError`. Ending the loop (`break`) hands the messages it had not
   * taken back to the client, for the next consumer. The iterator ends
   * when the client disconnects, and throws if the connection is lost for
   * good. Messages that arrived before any consumer existed (right behind
   * the CONNACK, say) are handed to the first one.
   *
   * @example Consume one subtree
   * ```ts ignore
   * await client.subscribe("sensors/#", 1);
   * for await (const msg of client.messages({ filter: "sensors/#" })) {
   *   console.log(msg.topic, msg.text());
   * }
   * ```
   *
   * @param options Buffer size and topic filter.
   * @returns An async iterator of messages.
   */
  messages(options: MessagesOptions = {}): AsyncIterableIterator<Message> {
    const size = options.bufferSize ?? 100;
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`bufferSize must be an integer >= 1, got ${show(size)}`);
    }
    if (options.filter !== undefined) validateTopicFilter(options.filter);
    const c = new Consumer(this.#session, size, options.filter, {
      done: () => this.#consumers.delete(c),
      room: () => this.#drainHeld(),
      giveBack: (d) => this.#giveBack(d),
      report: (e) => this.#report(e),
    });
    this.#consumers.add(c);
    this.#drainHeld();
    return c;
  }

  #endConsumers(error: Error | null): void {
    for (const c of [...this.#consumers]) c.end(error);
  }

  /** Disconnect unless already closed (for `await using`); cancels a reconnect in progress. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stopLoop();
    if (this.#state !== "idle" && this.#state !== "closed") await this.disconnect();
  }

  /**
   * A short description with the client id and endpoint, never the
   * credentials (e.g. `MQTTClient("demo" @ mqtt://127.0.0.1:1883)`).
   *
   * @returns The description.
   */
  toString(): string {
    const { host, port, tls, websocket } = this.#endpoint;
    const where = websocket ? websocket.url : `${tls ? "mqtts" : "mqtt"}://${host}:${port}`;
    return `MQTTClient(${JSON.stringify(this.#clientId)} @ ${where})`;
  }

  /**
   * A JSON view for logs: client id, host, port, whether TLS and
   * WebSockets are used, and whether it is connected; never the
   * credentials.
   *
   * @returns A plain object.
   */
  toJSON(): Record<string, unknown> {
    const { host, port, tls, websocket } = this.#endpoint;
    return {
      clientId: this.#clientId,
      host,
      port,
      tls: tls !== undefined,
      websocket: websocket !== undefined,
      connected: this.connected,
    };
  }

  #report(e: unknown): void {
    (this.#opts.onError ?? defaultOnError)(e);
  }

  #deliver(p: PublishPacket, rec: Inbound | null): void {
    const msg = new Message(p);
    const ids = msg.properties?.subscriptionIdentifiers;
    if (ids) {
      const filters: string[] = [];
      for (const id of ids) {
        const f = this.#subById.get(id);
        if (f !== undefined) filters.push(f);
      }
      msg.subscriptions = filters;
    }
    const d: Delivery = { msg, rec, taken: false, holders: 0, held: false };
    if (this.#held.length > 0 && !this.#pull) {
      // Older messages are still waiting for room: this one queues behind them.
      this.#hold(d);
      return this.#drainHeld();
    }
    if (!this.#route(d, true) && !this.#pull) this.#hold(d);
  }

  /**
   * Hand a message to every consumer that wants it: each `messages()`
   * iterator whose filter matches, each matching handler, else the
   * callback. Returns whether anyone took or buffered it. An error thrown
   * by a handler or the callback is rethrown after everyone had the
   * message (it then rejects a waiting `waitMsg()` or goes to `onError`).
   */
  #route(d: Delivery, live: boolean): boolean {
    let wanted = false;
    for (const c of this.#consumers) if (c.offer(d, live)) wanted = true;
    const msg = d.msg;
    let matched = false;
    let firstError: unknown = undefined;
    if (this.#handlers > 0) {
      for (const [filter, s] of this.#subs) {
        if (s.handler && topicMatches(sharedFilter(filter), msg.topic)) {
          matched = true;
          try {
            s.handler(msg);
          } catch (e) {
            firstError ??= e;
          }
        }
      }
    }
    if (!matched && this.#callback) {
      matched = true;
      try {
        this.#callback(msg);
      } catch (e) {
        firstError ??= e;
      }
    }
    if (matched) d.taken = true;
    if (firstError !== undefined) {
      if (d.rec && this.#opts.ackOnCallbackError === false) d.rec.skip = true;
      throw firstError;
    }
    return wanted || matched;
  }

  /** Nobody wants the message yet: keep it (bounded) for the first consumer. */
  #hold(d: Delivery): void {
    if (!d.rec && this.#held.length >= HELD_MAX) {
      this.#report(
        new Error(
          `No consumer for ${HELD_MAX} messages: QoS 0 message on ${JSON.stringify(d.msg.topic)} dropped ` +
            `(set a callback or handler, or iterate messages())`,
        ),
      );
      return;
    }
    if (d.rec) this.#session.hold(d.rec);
    this.#keep(d);
  }

  /** Put a message (whose claim the caller hands over) in the held queue. */
  #keep(d: Delivery): void {
    d.held = true;
    this.#held.push(d);
    if (this.#held.length >= HELD_MAX && !this.#heldPaused) {
      this.#heldPaused = true;
      this.#session.pause(1);
    }
  }

  /** A consumer appeared: hand it the messages nobody took. */
  #drainHeld(): void {
    if (this.#held.length === 0) return;
    const held = this.#held;
    this.#held = [];
    for (const d of held) {
      d.held = false;
      let taken: boolean;
      try {
        taken = this.#route(d, false);
      } catch (e) {
        taken = true;
        this.#report(e);
      }
      if (!taken) {
        d.held = true;
        this.#held.push(d);
      } else if (d.rec) this.#session.release(d.rec);
    }
    this.#unpauseHeld();
  }

  /** An iterator ended without taking `d`: keep it for the next consumer, unless someone else has it. */
  #giveBack(d: Delivery): void {
    if (d.taken || d.holders > 0 || d.held || this.#pull) {
      if (d.rec) this.#session.release(d.rec);
      return;
    }
    this.#keep(d);
  }

  #dropHeld(): void {
    const held = this.#held;
    this.#held = [];
    for (const d of held) if (d.rec) this.#session.release(d.rec, false);
    this.#unpauseHeld();
  }

  #unpauseHeld(): void {
    if (this.#heldPaused && this.#held.length < HELD_MAX) {
      this.#heldPaused = false;
      this.#session.pause(-1);
    }
  }
}

/** Ends `connect()`/`reconnect()` runs that a newer run replaced. */
const CANCELLED = "connect() cancelled by disconnect(), abort() or a newer connect()";
let CANCELLED_ERROR: ConnectionClosedError | undefined;
/**
 * CONNACK refusals that retrying cannot fix: protocol version, identifier,
 * credentials, authorization (3.1.1 codes 1, 2, 4, 5), and their MQTT 5.0
 * counterparts: every code >= 0x80 but "unspecified", "implementation
 * specific", "server unavailable", "server busy", "quota exceeded" and
 * "connection rate exceeded", which may pass.
 */
const FATAL_CODES: ReadonlySet<number> = new Set([
  1,
  2,
  4,
  5,
  0x81,
  0x82,
  0x84,
  0x85,
  0x86,
  0x87,
  0x8a,
  0x8c,
  0x90,
  0x95,
  0x9a,
  0x9b,
  0x9c,
  0x9d,
]);
/** Messages kept for the first consumer before the client stops reading. */
const HELD_MAX = 100;

/** One connect, reconnect or disconnect run: a newer run aborts it. */
class Run {
  /** Why the run was cancelled (`null` while it owns the state). */
  reason: Error | null = null;
  /** The latest attempt's controller (its signal went to the transport), which cancelling the run aborts. */
  attempt: AbortController | null = null;
  #ac: AbortController | null = null;

  /** A signal that aborts when the run is cancelled (made on first use: most runs never need one). */
  get signal(): AbortSignal {
    if (!this.#ac) {
      this.#ac = new AbortController();
      if (this.reason) this.#ac.abort(this.reason);
    }
    return this.#ac.signal;
  }

  cancel(reason: Error): void {
    this.reason = reason;
    this.#ac?.abort(reason);
    this.attempt?.abort(reason);
  }
}

/** A subscription as the client keeps it (for handlers and resubscription). */
interface Sub {
  qos: QoS;
  handler: MessageHandler | undefined;
  /** Which subscribe() call wrote it. */
  token: number;
  /** The SUBSCRIBE entry (filter, QoS and MQTT 5.0 options), for resubscription. */
  entry: SubscriptionEntry;
  /** MQTT 5.0 SUBSCRIBE properties (subscription identifier, user properties), for resubscription. */
  extra: { properties?: { subscriptionIdentifiers?: number[]; userProperties?: UserProperty[] } } | undefined;
}

/** One filter of a SUBSCRIBE, with MQTT 5.0's subscription options. */
interface SubscriptionEntry {
  topic: string;
  qos: QoS;
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

function hexOf(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += x.toString(16).padStart(2, "0");
  return s;
}

/** The filter a shared subscription (`$share/group/filter`) matches topics with. */
function sharedFilter(filter: string): string {
  if (!filter.startsWith("$share/")) return filter;
  const i = filter.indexOf("/", 7);
  return i < 0 ? filter : filter.slice(i + 1);
}

/** A received message on its way to consumers, with its acknowledgement. */
interface Delivery {
  msg: Message;
  rec: Inbound | null;
  /** A handler, the callback or an iterator's loop has had it. */
  taken: boolean;
  /** Iterators holding it in their buffer. */
  holders: number;
  /** In the client's held queue. */
  held: boolean;
}

/** Wraps an error that ends the retry loop as it is. */
class GiveUp {
  constructor(readonly error: Error) {}
}

interface ConsumerHooks {
  done(): void;
  /** The loop took a message: held messages may fit now. */
  room(): void;
  giveBack(d: Delivery): void;
  report(e: unknown): void;
}

/** A `messages()` iterator: a bounded buffer that pauses the session when full. */
class Consumer implements AsyncIterableIterator<Message> {
  #session: Session;
  #size: number;
  #filter: string | undefined;
  #buf: Delivery[] = [];
  /** Pending `next()` calls, oldest first (a caller may ask for several at once). */
  #waiters: { resolve(r: IteratorResult<Message>): void; reject(e: Error): void }[] = [];
  #paused = false;
  #done = false;
  #error: Error | null = null;
  #hooks: ConsumerHooks;

  constructor(session: Session, size: number, filter: string | undefined, hooks: ConsumerHooks) {
    this.#session = session;
    this.#size = size;
    this.#filter = filter;
    this.#hooks = hooks;
    session.demand(1);
  }

  /**
   * Take or buffer `d` if it matches; false when it is not for this
   * iterator, or (`live` false: from the held queue) when it is full.
   */
  offer(d: Delivery, live: boolean): boolean {
    if (this.#done) return false;
    if (this.#filter !== undefined && !topicMatches(this.#filter, d.msg.topic)) return false;
    const w = this.#waiters.shift();
    if (w) {
      d.taken = true;
      w.resolve({ value: d.msg, done: false });
      return true;
    }
    if (this.#buf.length >= this.#size && !live) return false;
    if (this.#buf.length >= this.#size && !d.rec) {
      // Only while the client reads on for an acknowledgement of its own: QoS 0 has no window to bound it.
      this.#hooks.report(
        new Error(
          `messages() buffer full (bufferSize ${this.#size}): QoS 0 message on ${JSON.stringify(d.msg.topic)} dropped`,
        ),
      );
      return true;
    }
    d.holders++;
    if (d.rec) this.#session.hold(d.rec);
    this.#buf.push(d);
    if (this.#buf.length >= this.#size && !this.#paused) {
      this.#paused = true;
      this.#session.pause(1);
    }
    return true;
  }

  next(): Promise<IteratorResult<Message>> {
    const d = this.#buf.shift();
    if (d) {
      d.holders--;
      d.taken = true;
      if (d.rec) this.#session.release(d.rec);
      if (this.#paused && this.#buf.length < this.#size) {
        this.#paused = false;
        this.#session.pause(-1);
      }
      this.#hooks.room();
      return Promise.resolve({ value: d.msg, done: false });
    }
    if (this.#error) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  end(error: Error | null): void {
    if (this.#done) return;
    this.#finish();
    this.#error = error;
    // Waiters exist only while the buffer is empty.
    for (const w of this.#waiters.splice(0)) {
      if (error) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  #finish(): void {
    this.#done = true;
    if (this.#paused) {
      this.#paused = false;
      this.#session.pause(-1);
    }
    this.#session.demand(-1);
    this.#hooks.done();
  }

  return(): Promise<IteratorResult<Message>> {
    if (!this.#done) this.#finish();
    // Messages the loop never took go back to the client, for the next consumer.
    for (const d of this.#buf.splice(0)) {
      d.holders--;
      this.#hooks.giveBack(d);
    }
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Message> {
    return this;
  }
}

function normalizePolicy(r: boolean | ReconnectPolicy | undefined): ResolvedReconnectPolicy | null {
  if (!r) return null;
  const p = r === true ? {} : r;
  const out: ResolvedReconnectPolicy = {
    minDelay: p.minDelay ?? 1000,
    maxDelay: p.maxDelay ?? 30_000,
    factor: p.factor ?? 2,
    jitter: p.jitter ?? 0.5,
    maxAttempts: p.maxAttempts ?? Infinity,
    maxQueued: p.maxQueued ?? 1000,
    offlineQos0: p.offlineQos0 ?? "reject",
  };
  if (!(out.minDelay > 0)) throw new RangeError(`reconnect.minDelay must be > 0 ms, got ${show(out.minDelay)}`);
  if (!(out.maxDelay >= out.minDelay)) {
    throw new RangeError(`reconnect.maxDelay must be >= minDelay, got ${show(out.maxDelay)}`);
  }
  if (!(out.factor >= 1)) throw new RangeError(`reconnect.factor must be >= 1, got ${show(out.factor)}`);
  if (!(out.jitter >= 0 && out.jitter <= 1)) {
    throw new RangeError(`reconnect.jitter must be in 0..1, got ${show(out.jitter)}`);
  }
  if (!(out.maxAttempts >= 1)) {
    throw new RangeError(`reconnect.maxAttempts must be >= 1, got ${show(out.maxAttempts)}`);
  }
  if (!(Number.isInteger(out.maxQueued) && out.maxQueued >= 0)) {
    throw new RangeError(`reconnect.maxQueued must be an integer >= 0, got ${show(out.maxQueued)}`);
  }
  if (out.offlineQos0 !== "reject" && out.offlineQos0 !== "queue") {
    throw new RangeError(`reconnect.offlineQos0 must be "reject" or "queue", got ${show(out.offlineQos0)}`);
  }
  return out;
}

/**
 * The delay before reconnect attempt `attempt` (1-based) under `policy`,
 * given a random number in [0, 1).
 *
 * @param policy A complete policy.
 * @param attempt Attempt number, from 1.
 * @param random A random number in [0, 1).
 * @returns Milliseconds.
 * @example The default policy without jitter
 * ```ts
 * import { backoffDelay } from "./client.ts";
 * const p = { minDelay: 1000, maxDelay: 30000, factor: 2, jitter: 0, maxAttempts: Infinity, maxQueued: 1000, offlineQos0: "reject" as const };
 * console.log(backoffDelay(p, 1, 0.5), backoffDelay(p, 3, 0.5), backoffDelay(p, 10, 0.5)); // 1000 4000 30000
 * ```
 */
export function backoffDelay(policy: ResolvedReconnectPolicy, attempt: number, random: number): number {
  const base = Math.min(policy.maxDelay, policy.minDelay * policy.factor ** (attempt - 1));
  return base * (1 - policy.jitter * random);
}

function defaultOnError(error: unknown): void {
  console.error(error);
}
