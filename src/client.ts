/**
 * `MQTTClient`: the idiomatic, Promise-based client.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import { MAX_KEEPALIVE } from "./codec/constants.ts";
import { checkQos } from "./codec/encode.ts";
import { ConnectionClosedError, MQTTException } from "./codec/errors.ts";
import type { ConnectPacket, PublishPacket, QoS, Will } from "./codec/packets.ts";
import { validateTopicFilter, validateTopicName } from "./codec/topic.ts";
import { encodeUtf8, toBytes, toText } from "./codec/utf8.ts";
import { Message } from "./message.ts";
import { Session } from "./session.ts";
import { connectNative } from "./transport/mod.ts";
import { type Endpoint, parseServer } from "./transport/endpoint.ts";
import type { TlsOptions, TransportFactory } from "./transport/types.ts";

/** A topic or payload: strings are sent as UTF-8. */
export type Data = string | Uint8Array;

/** Receives every message that arrives. */
export type MessageCallback = (message: Message) => void;

/** Options for {@linkcode MQTTClient}. */
export interface ClientOptions {
  /** Broker port; 0 or absent means 1883, or 8883 with TLS. @default {0} */
  port?: number | undefined;
  /** User name. */
  user?: Data | null | undefined;
  /** Password (requires `user` [MQTT-3.1.2-22]). */
  password?: Data | null | undefined;
  /** Keepalive in seconds, 0..65535; 0 turns it off. @default {60} */
  keepalive?: number | undefined;
  /**
   * Send PINGREQ automatically when nothing was sent for `keepalive`
   * seconds, and treat a missing PINGRESP as a dead link. @default {true}
   */
  autoKeepalive?: boolean | undefined;
  /** How long to wait for PINGRESP, in ms. @default {min(keepalive, 30 s)} */
  pingTimeout?: number | undefined;
  /** `true` for TLS with the system's CAs, or TLS settings. @default {false} */
  tls?: boolean | TlsOptions | undefined;
  /** Called for each received message. */
  callback?: MessageCallback | undefined;
  /** Called with errors thrown by `callback` when no `waitMsg()` is waiting. @default {reportError} */
  onError?: ((error: unknown) => void) | undefined;
  /** Replace the built-in sockets (tests, tunnels, custom links). */
  transport?: TransportFactory | undefined;
  /** Time source for timers (tests use a fake one). */
  clock?: Clock | undefined;
  /** Largest incoming packet accepted, in bytes. @default {268435460} */
  maxPacketSize?: number | undefined;
  /** Most QoS 1/2 publishes awaiting acknowledgement at once. @default {64} */
  maxInflight?: number | undefined;
}

/** Options for {@linkcode MQTTClient.connect}. */
export interface ConnectOptions {
  /** Start a fresh session (and discard any stored one). @default {true} */
  cleanSession?: boolean | undefined;
  /** Deadline for the TCP/TLS connection and CONNACK, in ms. @default {30000} */
  timeout?: number | undefined;
  /** Aborts the attempt. */
  signal?: AbortSignal | undefined;
}

/** Options for {@linkcode MQTTClient.publish} and {@linkcode MQTTClient.setLastWill}. */
export interface PublishOptions {
  /** Ask the broker to retain the message. @default {false} */
  retain?: boolean | undefined;
  /** Quality of service. @default {0} */
  qos?: QoS | undefined;
}

/**
 * An MQTT 3.1.1 client with umqtt.simple's API in camelCase, Promise-based.
 *
 * Receiving: messages are processed while a call waits for the network
 * (`waitMsg()`, or an acknowledgement inside `publish`/`subscribe`), and
 * handed to the callback; `checkMsg()` processes one already received
 * message or returns `null` at once.
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

  /**
   * @param clientId Client identifier; `""` asks the broker to assign one (clean session only).
   * @param server Host name, IP address, or URL (`mqtt://host:1883`, `mqtts://host`).
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
    const ka = options.keepalive ?? 60;
    if (typeof ka !== "number" || !Number.isInteger(ka) || ka < 0 || ka > MAX_KEEPALIVE) {
      throw new RangeError(`keepalive must be an integer number of seconds in 0..65535, got ${String(ka)}`);
    }
    this.#keepalive = ka;
    this.#callback = options.callback;
    this.#transport = options.transport ?? connectNative;
    this.#session = new Session({
      onMessage: (p) => this.#deliver(p),
      onError: options.onError ?? defaultOnError,
      clock: options.clock,
      maxPacketSize: options.maxPacketSize,
      maxInflight: options.maxInflight,
      autoKeepalive: options.autoKeepalive ?? true,
      pingTimeout: options.pingTimeout,
    });
  }

  /** Whether the client is connected. */
  get connected(): boolean {
    return this.#session.connected;
  }

  /** The client identifier. */
  get clientId(): string {
    return this.#clientId;
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
   * @param msg Payload.
   * @param options Retain and QoS.
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
   */
  async connect(options: ConnectOptions = {}): Promise<boolean> {
    const cleanSession = options.cleanSession ?? true;
    const timeout = options.timeout ?? 30_000;
    if (typeof timeout !== "number" || !(timeout > 0)) {
      throw new RangeError(`timeout must be a positive number of milliseconds, got ${String(timeout)}`);
    }
    if (this.#clientId === "" && !cleanSession) {
      throw new RangeError("A zero-length client id needs cleanSession: true [MQTT-3.1.3-7]");
    }
    const packet: ConnectPacket = {
      type: "connect",
      clientId: this.#clientId,
      cleanSession,
      keepalive: this.#keepalive,
      will: this.#will,
      username: this.#user,
      password: this.#password,
    };
    if (this.#session.connected) {
      this.#session.abort(new ConnectionClosedError("Connection replaced by a new connect()"));
    }
    const deadline = AbortSignal.timeout(timeout);
    const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
    const { user: _user, password: _password, ...where } = this.#endpoint;
    const { host, port } = where;
    let transport;
    try {
      transport = await this.#transport({ ...where, signal });
    } catch (e) {
      if (deadline.aborted) {
        throw new ConnectionClosedError(`Cannot connect to ${host}:${port}: timed out after ${timeout} ms`);
      }
      if (options.signal?.aborted) throw options.signal.reason;
      const msg = e instanceof Error ? e.message : String(e);
      throw new ConnectionClosedError(`Cannot connect to ${host}:${port}: ${msg}`, { cause: e });
    }
    return await this.#session.open(transport, packet, timeout, options.signal);
  }

  /** Send DISCONNECT and close the connection. Pending calls are rejected. */
  async disconnect(): Promise<void> {
    await this.#session.disconnect();
  }

  /** Send PINGREQ and wait for PINGRESP. */
  async ping(): Promise<void> {
    await this.#session.ping(true);
  }

  /**
   * Publish a message. QoS 0 resolves once written, QoS 1 on PUBACK,
   * QoS 2 on PUBCOMP.
   *
   * @param topic Topic name (no wildcards).
   * @param msg Payload.
   * @param options Retain and QoS.
   */
  async publish(topic: Data, msg: Data, options: PublishOptions = {}): Promise<void> {
    const t = toText(topic, "topic");
    validateTopicName(t);
    const topicBytes = encodeUtf8(t, "topic");
    const packet: PublishPacket = {
      type: "publish",
      topic: t,
      payload: toBytes(msg, "payload"),
      qos: checkQos(options.qos ?? 0),
      retain: options.retain ?? false,
      dup: false,
    };
    await this.#session.publish(packet, topicBytes);
  }

  /**
   * Subscribe to a topic filter. Resolves to the QoS the broker granted;
   * rejects with {@linkcode MQTTException} (`code` 0x80) if it refused.
   *
   * @param topic Topic filter (`+` and `#` allowed).
   * @param qos Requested QoS.
   * @returns Granted QoS.
   */
  async subscribe(topic: Data, qos: QoS = 0): Promise<QoS> {
    const t = toText(topic, "topic filter");
    validateTopicFilter(t);
    encodeUtf8(t, "topic filter");
    const [code] = await this.#session.subscribe([{ topic: t, qos: checkQos(qos) }]);
    if (code === 0x80 || code === undefined) throw new MQTTException(0x80);
    return code as QoS;
  }

  /**
   * Unsubscribe from a topic filter; resolves on UNSUBACK.
   *
   * @param topic Topic filter, as subscribed.
   */
  async unsubscribe(topic: Data): Promise<void> {
    const t = toText(topic, "topic filter");
    validateTopicFilter(t);
    encodeUtf8(t, "topic filter");
    await this.#session.unsubscribe([t]);
  }

  /**
   * Wait for one packet from the broker and process it (messages go to
   * the callback). Resolves to the packet's first byte (`0x30`–`0x3D` for
   * PUBLISH), or `null` for PINGRESP.
   *
   * @returns First byte, or null.
   */
  waitMsg(): Promise<number | null> {
    return this.#session.waitPacket();
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

  /** Disconnect if connected (for `await using`). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#session.connected) await this.disconnect();
  }

  /** @returns A description without credentials. */
  toString(): string {
    const { host, port, tls } = this.#endpoint;
    return `MQTTClient(${JSON.stringify(this.#clientId)} @ ${tls ? "mqtts" : "mqtt"}://${host}:${port})`;
  }

  /** @returns A JSON view without credentials. */
  toJSON(): Record<string, unknown> {
    const { host, port, tls } = this.#endpoint;
    return { clientId: this.#clientId, host, port, tls: tls !== undefined, connected: this.connected };
  }

  #deliver(p: PublishPacket): void {
    const cb = this.#callback;
    if (cb) cb(new Message(p));
  }
}

function defaultOnError(error: unknown): void {
  const g = globalThis as { reportError?: (e: unknown) => void };
  if (g.reportError) g.reportError(error);
  else console.error(error);
}
