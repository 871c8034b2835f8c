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

/** MicroPython `ssl_params` keys this shim understands. */
export interface SslParams {
  /** PEM CA certificate(s) to trust (MicroPython `cadata`). */
  cadata?: string | undefined;
  /** Name to verify and send as SNI (MicroPython `server_hostname`). */
  server_hostname?: string | undefined;
  /** PEM client certificate (MicroPython `cert`). */
  cert?: string | undefined;
  /** PEM client key (MicroPython `key`). */
  key?: string | undefined;
  /** Replace the built-in sockets (not in MicroPython; for tests and tunnels). */
  transport?: TransportFactory | undefined;
}

/** umqtt.simple's callback: topic and message as bytes. */
export type UmqttCallback = (topic: Uint8Array, msg: Uint8Array) => void;

/**
 * `umqtt.simple.MQTTClient`, Promise-returning.
 *
 * @example
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
   * @param client_id Client identifier.
   * @param server Host name or IP address.
   * @param port 0 means 1883, or 8883 with `ssl`.
   * @param user User name, or null.
   * @param password Password, or null.
   * @param keepalive Keepalive in seconds (you must call `ping()` yourself).
   * @param ssl `true`, or TLS options.
   * @param ssl_params MicroPython-style TLS parameters.
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
    });
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
   * @param timeout Seconds to wait for the connection and CONNACK.
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
   * @param topic Topic name.
   * @param msg Payload.
   * @param retain Retain flag.
   * @param qos QoS.
   */
  publish(topic: Data, msg: Data, retain = false, qos: QoS = 0): Promise<void> {
    return this.#c.publish(topic, msg, { retain, qos });
  }

  /**
   * Subscribe; rejects with `MQTTException(0x80)` when refused.
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
