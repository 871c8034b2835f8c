/**
 * A faithful mirror of MicroPython's `umqtt.simple` 1.8.0 API for porting
 * MicroPython code almost line for line. Every I/O method returns a
 * Promise; otherwise the semantics are umqtt.simple's: `ping()` only sends
 * PINGREQ (no automatic keepalive), messages reach the callback as
 * `(topic: Uint8Array, msg: Uint8Array)` during `wait_msg()`,
 * `check_msg()` and while `publish(qos=1)`/`subscribe()` wait for their
 * acknowledgement. It has no logic of its own: it forwards to
 * {@linkcode MQTTClient} of the main entry point.
 *
 * @example Porting a umqtt.simple program
 * ```ts ignore
 * import { MQTTClient } from "jsr:@umqtt/client/umqtt";
 * const c = new MQTTClient("umqtt_client", "127.0.0.1");
 * c.set_callback((topic, msg) => console.log(topic, msg));
 * await c.connect();
 * await c.subscribe("foo_topic");
 * await c.publish("foo_topic", "hello");
 * await c.wait_msg();
 * await c.disconnect();
 * ```
 *
 * @module
 */
import { MQTTClient as Client } from "./client.ts";
import type { Data } from "./client.ts";
import { MQTTException } from "./codec/errors.ts";
import type { Session } from "./session.ts";
import type { QoS } from "./codec/packets.ts";
import type { TlsOptions } from "./transport/types.ts";
import type { TransportFactory } from "./transport/types.ts";

export { MQTTException };

/**
 * MicroPython `ssl_params` keys this shim understands. The TLS keys apply
 * only when `ssl` is set; PEM text replaces MicroPython's DER bytes.
 *
 * @example Trusting a private CA
 * ```ts
 * import type { SslParams } from "./umqtt.ts";
 * const ssl_params: SslParams = {
 *   cadata: "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n",
 *   server_hostname: "broker.local",
 * };
 * console.log(ssl_params.server_hostname); // "broker.local"
 * ```
 */
export interface SslParams {
  /**
   * PEM CA certificate(s) to trust (MicroPython `cadata`). When absent,
   * the system's CAs are trusted.
   */
  cadata?: string | undefined;
  /**
   * Name to verify the certificate against and send as SNI (MicroPython
   * `server_hostname`). When absent, the `server` host is used.
   */
  server_hostname?: string | undefined;
  /** PEM client certificate, for mutual TLS (MicroPython `cert`). When absent, none is sent. */
  cert?: string | undefined;
  /** PEM private key of `cert` (MicroPython `key`). When absent, no key is sent. */
  key?: string | undefined;
  /**
   * Opens the connection instead of the built-in sockets (not in
   * MicroPython; for tests and tunnels). When absent, the runtime's own
   * socket is used.
   */
  transport?: TransportFactory | undefined;
}

/**
 * umqtt.simple's callback: topic and message as bytes (`Uint8Array`, where
 * MicroPython passes `bytes`).
 *
 * @example Decoding topic and message
 * ```ts
 * import type { UmqttCallback } from "./umqtt.ts";
 * const dec = new TextDecoder();
 * const sub_cb: UmqttCallback = (topic, msg) => console.log(dec.decode(topic), dec.decode(msg));
 * sub_cb(new TextEncoder().encode("foo_topic"), new TextEncoder().encode("hello")); // foo_topic hello
 * ```
 */
export type UmqttCallback = (topic: Uint8Array, msg: Uint8Array) => void;

/**
 * `umqtt.simple.MQTTClient`, Promise-returning. Unlike the main client it
 * sends no keepalive ping by itself (call `ping()`), and `subscribe()`
 * needs `set_callback()` first, as in umqtt.simple.
 *
 * @example Credentials, keepalive and a retained QoS 1 publish
 * ```ts ignore
 * import { MQTTClient } from "jsr:@umqtt/client/umqtt";
 * const c = new MQTTClient("sensor-1", "broker.local", 0, "user", "secret", 60);
 * await c.connect();
 * await c.publish("sensors/1", "21.5", true, 1);
 * await c.ping();
 * await c.disconnect();
 * ```
 */
export class MQTTClient {
  #c: Client;
  #cb: UmqttCallback | null = null;

  /**
   * Create a client, with umqtt.simple's positional arguments; nothing is
   * sent until `connect()`.
   *
   * @param client_id Client identifier.
   * @param server Host name or IP address (URLs such as `mqtts://host` work too).
   * @param port 0 means 1883, or 8883 with `ssl`.
   * @param user User name, or null; an empty user name sends no credentials, as in umqtt.simple.
   * @param password Password, or null.
   * @param keepalive Keepalive in seconds; 0 turns it off (you must call `ping()` yourself).
   * @param ssl `true` for TLS with the system's CAs, or TLS options.
   * @param ssl_params MicroPython-style TLS parameters (used when `ssl` is set), plus `transport`.
   */
  constructor(
    client_id: Data,
    server: string,
    port = 0,
    user: Data | null = null,
    password: Data | null = null,
    keepalive = 0,
    ssl: boolean | TlsOptions = false,
    ssl_params: SslParams = {},
  ) {
    const tls: TlsOptions | undefined = ssl
      ? {
        ...(ssl === true ? {} : ssl),
        ...(ssl_params.cadata ? { caCerts: [ssl_params.cadata] } : {}),
        ...(ssl_params.server_hostname ? { serverName: ssl_params.server_hostname } : {}),
        ...(ssl_params.cert ? { cert: ssl_params.cert } : {}),
        ...(ssl_params.key ? { key: ssl_params.key } : {}),
      }
      : undefined;
    this.#c = new Client(client_id, server, {
      port,
      // umqtt.simple sends no credentials for an empty user name.
      user: user === "" || (user instanceof Uint8Array && user.length === 0) ? null : user,
      password: user === "" ? null : password,
      keepalive,
      tls,
      autoKeepalive: false,
      transport: ssl_params.transport,
      callback: (m) => this.#cb?.(m.topicBytes, m.payload),
      // umqtt.simple sends the PUBACK only after the callback returned.
      ackOnCallbackError: false,
    });
    // umqtt.simple's pull model: packets are read only inside wait_msg(), check_msg() and acknowledgement waits.
    this.#c.usePullModel();
  }

  /** @internal The engine under this shim (used by `./robust`). */
  get _session(): Session {
    return this.#c.session;
  }

  /** Keepalive in seconds for the next `connect()` (umqtt's `keepalive` attribute). */
  get keepalive(): number {
    return this.#c.keepalive;
  }
  set keepalive(seconds: number) {
    this.#c.keepalive = seconds;
  }

  /** umqtt's `sock`: only `close()`, which drops the connection without DISCONNECT (the will is published). */
  get sock(): { close(): void } {
    return { close: () => this.#c.abort() };
  }

  /** The last packet id used (umqtt's `pid`); the next one is `pid + 1`, wrapping 65535 to 1. */
  get pid(): number {
    return this.#c.session.lastPacketId;
  }
  set pid(v: number) {
    this.#c.session.lastPacketId = v;
  }

  /**
   * Set the callback for received messages.
   *
   * @param f `f(topic, msg)`, both `Uint8Array`.
   */
  set_callback(f: UmqttCallback): void {
    this.#cb = f;
  }

  /**
   * Set the last will; call before `connect()`.
   *
   * @param topic Will topic.
   * @param msg Will message.
   * @param retain Retain flag.
   * @param qos Will QoS.
   */
  set_last_will(topic: Data, msg: Data, retain = false, qos: QoS = 0): void {
    this.#c.setLastWill(topic, msg, { retain, qos });
  }

  /**
   * Connect. Resolves to the session-present flag; rejects with
   * `MQTTException(code)` when the broker refuses.
   *
   * @param clean_session Start a clean session.
   * @param timeout Seconds to wait for the connection and CONNACK; null, 0 or absent: 30.
   * @returns Session present.
   */
  connect(clean_session = true, timeout?: number | null): Promise<boolean> {
    return this.#c.connect({ cleanSession: clean_session, timeout: timeout ? timeout * 1000 : undefined });
  }

  /** Send DISCONNECT and close. */
  disconnect(): Promise<void> {
    return this.#c.disconnect();
  }

  /** Send PINGREQ; the PINGRESP is consumed by `wait_msg()`. */
  ping(): Promise<void> {
    return this.#c.session.ping(false);
  }

  /**
   * Publish; QoS 1 waits for PUBACK, QoS 2 for PUBCOMP.
   *
   * @param topic Topic name (no wildcards).
   * @param msg Payload.
   * @param retain Retain flag.
   * @param qos QoS 0, 1 or 2.
   */
  publish(topic: Data, msg: Data, retain = false, qos: QoS = 0): Promise<void> {
    return this.#c.publish(topic, msg, { retain, qos });
  }

  /**
   * Subscribe; waits for SUBACK and rejects with `MQTTException(0x80)`
   * when refused. Throws a `TypeError` if `set_callback()` was not called.
   *
   * @param topic Topic filter.
   * @param qos Requested QoS.
   */
  async subscribe(topic: Data, qos: QoS = 0): Promise<void> {
    if (!this.#cb) throw new TypeError("Subscribe callback is not set: call set_callback() first");
    await this.#c.subscribe(topic, qos);
  }

  /**
   * Unsubscribe.
   *
   * @param topic Topic filter.
   */
  unsubscribe(topic: Data): Promise<void> {
    return this.#c.unsubscribe(topic);
  }

  /**
   * Wait for and process one packet; resolves to its first byte, or null
   * for PINGRESP.
   *
   * @returns First byte or null.
   */
  wait_msg(): Promise<number | null> {
    return this.#c.waitMsg();
  }

  /**
   * Process one packet if one has arrived; otherwise resolve null at once.
   *
   * @returns First byte or null.
   */
  check_msg(): Promise<number | null> {
    return this.#c.checkMsg();
  }
}
