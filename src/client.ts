/**
 * `MQTTClient`: the idiomatic, Promise-based client.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { systemClock } from "./clock.ts";
import { show } from "./codec/_show.ts";
import { MAX_KEEPALIVE } from "./codec/constants.ts";
import { checkQos } from "./codec/encode.ts";
import { ConnectionClosedError, MQTTException, TimeoutError } from "./codec/errors.ts";
import type { ConnectPacket, PublishPacket, QoS, Will } from "./codec/packets.ts";
import { topicMatches, validateTopicFilter, validateTopicName } from "./codec/topic.ts";
import { encodeUtf8, toBytes, toText } from "./codec/utf8.ts";
import { Message } from "./message.ts";
import { type CallOptions, Session } from "./session.ts";
import { connectNative } from "./transport/mod.ts";
import { type Endpoint, parseServer } from "./transport/endpoint.ts";
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
 * Receives every message that arrives and that no per-topic handler took.
 * An error it throws rejects the pending `waitMsg()`, or goes to
 * `onError` when nothing waits; a QoS 1/2 message whose callback (or
 * handler) throws is not acknowledged, so the broker delivers it again
 * after a reconnect (as in umqtt.simple).
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
   * Called for each received message that no per-topic handler took; can
   * also be set later with {@linkcode MQTTClient.setCallback}. When absent,
   * such messages are dropped (after any `messages()` iterator saw them).
   */
  callback?: MessageCallback | undefined;
  /**
   * Receives errors no caller awaits: thrown by the callback or a handler
   * while no `waitMsg()` waits, thrown by the `onConnect`, `onReconnect`
   * or `onConnectionLost` hooks, and resubscriptions the broker refused
   * after a reconnect (`MQTTException` 0x80). When absent they go to
   * `globalThis.reportError` (or `console.error` where it is missing).
   *
   * @default {reportError}
   */
  onError?: ((error: unknown) => void) | undefined;
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
 * An MQTT 3.1.1 client with umqtt.simple's API in camelCase, Promise-based,
 * plus QoS 2, automatic keepalive, persistent sessions, reconnect, async
 * iteration and per-topic handlers.
 *
 * Receiving, all on one dispatch path:
 * - pull, as in umqtt: packets are processed while a call waits for the
 *   network (`waitMsg()`, or an acknowledgement inside `publish`/`subscribe`);
 *   `checkMsg()` processes one already received packet or returns `null`;
 * - `startLoop()`: process every packet as it arrives, without pumping;
 * - `for await (const msg of client.messages())`, with a bounded buffer:
 *   when it is full the client stops reading the socket;
 * - `subscribe(filter, { handler })`: every message goes to each matching
 *   handler; messages no handler matched go to the callback.
 *
 * @example Publish and receive against a local broker
 * ```ts ignore
 * import { MQTTClient } from "./client.ts";
 * await using client = new MQTTClient("demo", "127.0.0.1", {
 *   callback: (msg) => console.log(msg.topic, msg.text()),
 * });
 * await client.connect();
 * await client.subscribe("demo/#", 1);
 * await client.publish("demo/hello", "world", { qos: 1 });
 * await client.waitMsg();
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
  #subs = new Map<string, { qos: QoS; handler: MessageHandler | undefined }>();
  #handlers = 0;
  #consumers = new Set<Consumer>();
  #last: { cleanSession: boolean; timeout: number } | null = null;
  #userClosed = false;
  #reconnectTimer: unknown = null;
  #attempt = 0;
  #looping = false;
  #connecting: Promise<boolean> | null = null;
  #replacing = false;
  #epoch = 0;
  #lastTopic: string | undefined;
  #lastTopicBytes: Uint8Array | undefined;

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
    encodeUtf8(this.#clientId, "client id");
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
    this.#callback = options.callback;
    this.#transport = options.transport ?? connectNative;
    this.#policy = normalizePolicy(options.reconnect);
    this.#session = new Session({
      onMessage: (p) => this.#deliver(p),
      onError: options.onError ?? defaultOnError,
      onClose: (e) => this.#onClose(e),
      clock: options.clock,
      maxPacketSize: options.maxPacketSize,
      maxInflight: options.maxInflight,
      autoKeepalive: options.autoKeepalive ?? true,
      pingTimeout: options.pingTimeout,
      commandTimeout: options.commandTimeout,
    });
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

  /** The client identifier. */
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
   * Set the function called for each received message.
   *
   * @param callback The callback.
   */
  setCallback(callback: MessageCallback): void {
    if (typeof callback !== "function") throw new TypeError("callback must be a function");
    this.#callback = callback;
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
    this.#will = { topic: t, payload, qos: checkQos(options.qos ?? 0), retain: options.retain ?? false };
  }

  /**
   * Connect to the broker. Resolves to the session-present flag; rejects
   * with {@linkcode MQTTException} (`code` 1..5) if the broker refuses.
   * Connecting again closes the current connection first (no DISCONNECT).
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
    this.#cancelReconnect();
    this.#userClosed = false;
    this.#epoch++; // an automatic reconnect still opening gives way to this connect()
    this.#last = { cleanSession, timeout };
    const present = await this.#open(cleanSession, timeout, options.signal);
    this.#onConnected(present, false);
    return present;
  }

  async #open(cleanSession: boolean, timeout: number, userSignal: AbortSignal | undefined): Promise<boolean> {
    const packet: ConnectPacket = {
      type: "connect",
      clientId: this.#clientId,
      cleanSession,
      keepalive: this.#keepalive,
      will: this.#will,
      username: this.#user,
      password: this.#password,
    };
    const epoch = this.#epoch;
    if (this.#session.connected) {
      // Our own replacement is not a lost connection: no hooks, no automatic reconnect.
      this.#replacing = true;
      try {
        this.#session.abort(new ConnectionClosedError("Connection replaced by a new connect()"));
      } finally {
        this.#replacing = false;
      }
    }
    this.#session.keepInflightOnDrop = this.#policy !== null && !cleanSession;
    const { user: _user, password: _password, ...where } = this.#endpoint;
    const { host, port } = where;
    // One deadline, on the injected clock, for the TCP/TLS/WebSocket connection and the CONNACK.
    const clock = this.#opts.clock ?? systemClock;
    const started = clock.now();
    const deadline = new AbortController();
    const timer = clock.setTimeout(
      () => deadline.abort(new TimeoutError(`Cannot connect to ${host}:${port}: timed out after ${timeout} ms`)),
      timeout,
    );
    const signal = userSignal ? AbortSignal.any([userSignal, deadline.signal]) : deadline.signal;
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
      if (userSignal?.aborted) throw userSignal.reason;
      if (deadline.signal.aborted) throw deadline.signal.reason;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ConnectionClosedError(`Cannot connect to ${host}:${port}: ${msg}`, { cause: e });
    } finally {
      clock.clearTimeout(timer);
    }
    if (epoch !== this.#epoch) {
      // disconnect(), abort() or another connect() came while this one was opening.
      transport.close();
      throw new ConnectionClosedError("connect() cancelled by disconnect(), abort() or a newer connect()");
    }
    const remaining = Math.max(1, timeout - (clock.now() - started));
    this.#replacing = true;
    let opened: Promise<boolean>;
    try {
      opened = this.#session.open(transport, packet, remaining, userSignal, timeout);
    } finally {
      this.#replacing = false;
    }
    return await opened;
  }

  #onConnected(sessionPresent: boolean, reconnected: boolean): void {
    this.#attempt = 0;
    if (this.#policy) {
      this.#session.offline = { maxQueued: this.#policy.maxQueued, qos0: this.#policy.offlineQos0 };
    }
    try {
      this.#opts.onConnect?.({ sessionPresent, reconnected });
    } catch (e) {
      (this.#opts.onError ?? defaultOnError)(e);
    }
  }

  /**
   * Reconnect now with the settings of the last `connect()` (clean session
   * and timeout), resubscribing when the broker has no session. Resolves
   * to the session-present flag.
   *
   * @returns Whether the broker resumed the session.
   */
  async reconnect(): Promise<boolean> {
    if (!this.#last) throw new ConnectionClosedError("Cannot reconnect: call connect() first");
    this.#cancelReconnect();
    this.#userClosed = false;
    const attempt = ++this.#attempt; // not inside the optional call: it must count without a hook too
    try {
      this.#opts.onReconnect?.(attempt, this.#session.closedReason ?? new Error("manual reconnect"));
    } catch (e) {
      (this.#opts.onError ?? defaultOnError)(e);
    }
    const present = await this.#open(this.#last.cleanSession, this.#last.timeout, undefined);
    if (!present) await this.#resubscribe();
    this.#onConnected(present, true);
    return present;
  }

  async #resubscribe(): Promise<void> {
    const subs = [...this.#subs];
    if (subs.length === 0) return;
    const codes = await this.#session.subscribe(subs.map(([topic, s]) => ({ topic, qos: s.qos })));
    codes.forEach((c, i) => {
      if (c === 0x80) {
        (this.#opts.onError ?? defaultOnError)(
          new MQTTException(0x80, `Resubscribe to ${JSON.stringify(subs[i]![0])} refused by the broker (SUBACK 0x80)`),
        );
      }
    });
  }

  #onClose(error: Error): void {
    if (this.#replacing) return;
    if (this.#userClosed || !this.#last) return this.#endConsumers(null);
    if (!this.#policy || this.#connecting) {
      if (!this.#policy) this.#endConsumers(error);
      return;
    }
    let decision: LossDecision | void = "recover";
    try {
      decision = this.#opts.onConnectionLost?.(error);
    } catch (e) {
      (this.#opts.onError ?? defaultOnError)(e);
    }
    if (decision === "stop") return this.#giveUp(error);
    this.#scheduleReconnect(error);
  }

  #scheduleReconnect(lastError: Error): void {
    const p = this.#policy!;
    if (this.#attempt >= p.maxAttempts) {
      return this.#giveUp(
        new ConnectionClosedError(`Gave up reconnecting after ${this.#attempt} attempts: ${lastError.message}`, {
          cause: lastError,
        }),
      );
    }
    const delay = backoffDelay(p, this.#attempt + 1, Math.random());
    const clock = this.#opts.clock ?? systemClock;
    this.#reconnectTimer = clock.setTimeout(() => {
      this.#reconnectTimer = null;
      // Marked as connecting before reconnect() runs, so its own teardown is not taken for a loss.
      this.#connecting = Promise.resolve().then(() => this.reconnect());
      this.#connecting.then(
        () => {
          this.#connecting = null;
        },
        (e: unknown) => {
          this.#connecting = null;
          // Disconnected meanwhile, or a connect() of the user's own won the race: nothing to retry.
          if (this.#userClosed || this.#session.connected) return;
          const err = e instanceof Error ? e : new Error(String(e));
          let decision: LossDecision | void = "recover";
          try {
            decision = this.#opts.onConnectionLost?.(err);
          } catch (he) {
            (this.#opts.onError ?? defaultOnError)(he);
          }
          if (decision === "stop") this.#giveUp(err);
          else this.#scheduleReconnect(err);
        },
      );
    }, delay);
  }

  #cancelReconnect(): void {
    if (this.#reconnectTimer !== null) (this.#opts.clock ?? systemClock).clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = null;
  }

  #giveUp(error: Error): void {
    this.#cancelReconnect();
    this.#session.offline = null;
    this.#session.rejectQueued(error);
    this.#session.rejectInflight(error);
    this.#endConsumers(error);
  }

  /** Send DISCONNECT and close the connection. Pending and queued calls are rejected; no reconnect follows. */
  async disconnect(): Promise<void> {
    this.#userClosed = true;
    this.#epoch++;
    this.#cancelReconnect();
    this.#session.offline = null;
    await this.#session.disconnect();
    this.#session.rejectInflight(new ConnectionClosedError("Disconnected by the client"));
    this.#endConsumers(null);
  }

  /**
   * Close the connection at once, without DISCONNECT, so the broker
   * publishes the last will (what umqtt programs do with `sock.close()`).
   * Pending calls are rejected; no reconnect follows.
   */
  abort(): void {
    const err = new ConnectionClosedError("Connection aborted by the client");
    this.#userClosed = true;
    this.#epoch++;
    this.#cancelReconnect();
    this.#session.offline = null;
    this.#session.abort(err);
    this.#session.rejectQueued(err);
    this.#session.rejectInflight(err); // kept for a reconnect that will not come
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
   * queued (bounded) and sent after the reconnect.
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
      return this.#session.publish(packet, topicBytes, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Subscribe to a topic filter. Resolves to the QoS the broker granted;
   * rejects with {@linkcode MQTTException} (`code` 0x80) if it refused.
   * With a handler (`subscribe(filter, handler)` or `{ handler }`), the
   * messages matching the filter go to it instead of the callback.
   *
   * @param topic Topic filter (`+` and `#` allowed).
   * @param qos Requested QoS, a handler, or options.
   * @param handler Handler for matching messages.
   * @returns Granted QoS.
   *
   * @example A handler per filter
   * ```ts ignore
   * const granted = await client.subscribe("sensors/+/temp", 1, (msg) => console.log(msg.topic, msg.json()));
   * client.startLoop(); // the handler now runs as messages arrive
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
    // Registered before SUBSCRIBE goes out: retained messages may follow the SUBACK at once.
    const before = this.#subs.get(t);
    this.#setSub(t, { qos: q, handler: h ?? before?.handler });
    let code: number | undefined;
    try {
      [code] = await this.#session.subscribe([{ topic: t, qos: q }], opts);
    } catch (e) {
      this.#restoreSub(t, before);
      throw e;
    }
    if (code === 0x80 || code === undefined) {
      this.#restoreSub(t, before);
      throw new MQTTException(0x80, `Subscription to ${JSON.stringify(t)} refused by the broker (SUBACK 0x80)`);
    }
    return code as QoS;
  }

  #setSub(t: string, s: { qos: QoS; handler: MessageHandler | undefined }): void {
    const old = this.#subs.get(t);
    if (old?.handler) this.#handlers--;
    if (s.handler) this.#handlers++;
    this.#subs.set(t, s);
  }

  #restoreSub(t: string, before: { qos: QoS; handler: MessageHandler | undefined } | undefined): void {
    if (before) this.#setSub(t, before);
    else {
      if (this.#subs.get(t)?.handler) this.#handlers--;
      this.#subs.delete(t);
    }
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
    this.#restoreSub(t, undefined);
  }

  /**
   * Wait for one packet from the broker and process it (messages go to
   * the handlers and callback). Resolves to the packet's first byte
   * (`0x30`–`0x3D` for PUBLISH), or `null` for PINGRESP.
   *
   * @param options Abort signal.
   * @returns First byte, or null.
   */
  waitMsg(options?: CallOptions): Promise<number | null> {
    return this.#session.waitPacket(options);
  }

  /**
   * Process one packet if one has already arrived; otherwise resolve
   * `null` at once.
   *
   * @returns First byte, or null.
   */
  checkMsg(): Promise<number | null> {
    return this.#session.checkPacket();
  }

  /**
   * Process packets as they arrive, without `waitMsg()` (Zerynth's
   * `loop()`). Messages go to the handlers and the callback; a running
   * `waitMsg()` still resolves on the next packet. Survives reconnects.
   *
   * @example Handlers without a receive loop
   * ```ts ignore
   * await client.subscribe("alerts/#", (msg) => console.log("alert", msg.text()));
   * client.startLoop();
   * // ... later
   * client.stopLoop();
   * ```
   */
  startLoop(): void {
    if (this.#looping) return;
    this.#looping = true;
    this.#session.demand(1);
  }

  /** Stop the background processing started by {@linkcode startLoop}. */
  stopLoop(): void {
    if (!this.#looping) return;
    this.#looping = false;
    this.#session.demand(-1);
  }

  /**
   * Iterate over received messages. The iterator keeps at most
   * `bufferSize` messages; when they are not consumed, the client stops
   * reading from the socket (TCP backpressure) instead of growing memory.
   * It ends when the client disconnects, and throws if the connection is
   * lost for good.
   *
   * @example Consume one subtree
   * ```ts ignore
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
    const c = new Consumer(this.#session, size, options.filter, () => this.#consumers.delete(c));
    this.#consumers.add(c);
    return c;
  }

  #endConsumers(error: Error | null): void {
    for (const c of [...this.#consumers]) c.end(error);
  }

  /** Disconnect if connected (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.stopLoop();
    if (this.#session.closedReason === null || this.#reconnectTimer !== null) await this.disconnect();
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

  #deliver(p: PublishPacket): void {
    const msg = new Message(p);
    for (const c of this.#consumers) c.offer(msg);
    let matched = false;
    let firstError: unknown = undefined;
    if (this.#handlers > 0) {
      for (const [filter, s] of this.#subs) {
        if (s.handler && topicMatches(filter, msg.topic)) {
          matched = true;
          try {
            s.handler(msg);
          } catch (e) {
            firstError ??= e;
          }
        }
      }
    }
    if (!matched) this.#callback?.(msg);
    if (firstError !== undefined) throw firstError;
  }
}

/** A `messages()` iterator: a bounded buffer that pauses the session when full. */
class Consumer implements AsyncIterableIterator<Message> {
  #session: Session;
  #size: number;
  #filter: string | undefined;
  #buf: Message[] = [];
  /** Pending `next()` calls, oldest first (a caller may ask for several at once). */
  #waiters: { resolve(r: IteratorResult<Message>): void; reject(e: Error): void }[] = [];
  #paused = false;
  #done = false;
  #error: Error | null = null;
  #onDone: () => void;

  constructor(session: Session, size: number, filter: string | undefined, onDone: () => void) {
    this.#session = session;
    this.#size = size;
    this.#filter = filter;
    this.#onDone = onDone;
    session.demand(1);
  }

  offer(msg: Message): void {
    if (this.#done) return;
    if (this.#filter !== undefined && !topicMatches(this.#filter, msg.topic)) return;
    const w = this.#waiters.shift();
    if (w) {
      w.resolve({ value: msg, done: false });
      return;
    }
    this.#buf.push(msg);
    if (this.#buf.length >= this.#size && !this.#paused) {
      this.#paused = true;
      this.#session.pause(1);
    }
  }

  next(): Promise<IteratorResult<Message>> {
    const m = this.#buf.shift();
    if (m) {
      if (this.#paused && this.#buf.length < this.#size) {
        this.#paused = false;
        this.#session.pause(-1);
      }
      return Promise.resolve({ value: m, done: false });
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
    this.#onDone();
  }

  return(): Promise<IteratorResult<Message>> {
    if (!this.#done) this.#finish();
    this.#buf = [];
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

function checkKeepalive(ka: unknown): number {
  if (typeof ka !== "number" || !Number.isInteger(ka) || ka < 0 || ka > MAX_KEEPALIVE) {
    throw new RangeError(`keepalive must be an integer number of seconds in 0..65535, got ${show(ka)}`);
  }
  return ka;
}

function defaultOnError(error: unknown): void {
  const g = globalThis as { reportError?: (e: unknown) => void };
  if (g.reportError) g.reportError(error);
  else console.error(error);
}
