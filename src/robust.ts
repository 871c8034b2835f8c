/**
 * A mirror of MicroPython's `umqtt.robust` 1.0.3 for porters: the
 * `./umqtt` client plus `reconnect()`, `delay(i)`, `log(in_reconnect, e)`
 * and `publish`/`wait_msg`/`check_msg` that reconnect (with
 * `connect(clean_session=false)`) and retry when the connection fails.
 *
 * Unlike umqtt.robust, a QoS 1/2 publish interrupted by a dropped
 * connection is not lost and does not hang: the message stays in flight,
 * is resent with DUP after the reconnect (same packet id), and the call
 * resolves when the broker acknowledges it.
 *
 * @example Porting a umqtt.robust program
 * ```ts ignore
 * import { MQTTClient } from "jsr:@umqtt/client/robust";
 * const c = new MQTTClient("robust-1", "127.0.0.1");
 * c.DEBUG = true;
 * await c.connect(false);
 * await c.publish("status", "up", false, 1); // survives a broker restart
 * ```
 *
 * @module
 */
import { ConnectionClosedError, MalformedPacketError, MQTTException, TimeoutError } from "./codec/errors.ts";
import type { QoS } from "./codec/packets.ts";
import type { Data } from "./client.ts";
import { MQTTClient as SimpleClient } from "./umqtt.ts";
import type { SslParams, UmqttCallback } from "./umqtt.ts";
import type { TlsOptions } from "./transport/types.ts";

export { MQTTException };
export type { SslParams, UmqttCallback };

/** Errors umqtt.robust retries on (MicroPython's `OSError`): network failures, not refusals or bad arguments. */
function isNetworkError(e: unknown): e is Error {
  // Not refusals, bad arguments, or whatever the user's callback threw.
  return e instanceof ConnectionClosedError || e instanceof TimeoutError || e instanceof MalformedPacketError;
}

/**
 * `umqtt.robust.MQTTClient`, Promise-returning: the `./umqtt` client whose
 * `publish`, `wait_msg` and `check_msg` reconnect and retry on network
 * errors. Refusals (`MQTTException`) and bad arguments (`TypeError`,
 * `RangeError`) are not retried. Override `delay()` or `log()` to change
 * the policy, as in MicroPython.
 *
 * @example A subscriber loop that survives broker restarts
 * ```ts ignore
 * import { MQTTClient } from "jsr:@umqtt/client/robust";
 * const c = new MQTTClient("sensor", "broker.local");
 * c.DELAY = 5; // seconds between reconnect attempts
 * await c.connect(false);
 * for (;;) await c.wait_msg(); // reconnects on its own
 * ```
 */
export class MQTTClient extends SimpleClient {
  /**
   * Seconds `delay()` waits between reconnect attempts.
   *
   * @default {2}
   */
  DELAY = 2;
  /**
   * Print `log()` lines with `console.log`.
   *
   * @default {false}
   */
  DEBUG = false;

  /**
   * Create a client with the same arguments as `./umqtt`'s client;
   * nothing is sent until `connect()`.
   *
   * @param client_id Client identifier.
   * @param server Host name or IP address.
   * @param port 0 means 1883, or 8883 with `ssl`.
   * @param user User name, or null.
   * @param password Password, or null.
   * @param keepalive Keepalive in seconds.
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
    super(client_id, server, port, user, password, keepalive, ssl, ssl_params);
    this._session.alwaysKeepInflight = true;
  }

  /**
   * Wait before reconnect attempt `i` (1-based): `DELAY` seconds, on the
   * real timers. Override it for another policy, e.g. backoff.
   *
   * @param _i Attempt number.
   * @returns A promise that resolves after the delay.
   */
  delay(_i: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.DELAY * 1000));
  }

  /**
   * Report an error when `DEBUG` is set.
   *
   * @param in_reconnect Whether it happened while reconnecting.
   * @param e The error.
   */
  log(in_reconnect: boolean, e: unknown): void {
    if (this.DEBUG) console.log(in_reconnect ? `mqtt reconnect: ${String(e)}` : `mqtt: ${String(e)}`);
  }

  /**
   * Connect with `clean_session = false` until it works, calling
   * `log(true, e)` and `delay(i)` after each network failure; a refusal
   * (`MQTTException`) is thrown at once.
   *
   * @returns Session present.
   */
  async reconnect(): Promise<boolean> {
    let i = 0;
    for (;;) {
      try {
        return await super.connect(false);
      } catch (e) {
        if (!isNetworkError(e)) throw e;
        this.log(true, e);
        i++;
        await this.delay(i);
      }
    }
  }

  /**
   * Publish, reconnecting and retrying on network errors. A QoS 1/2
   * message already sent is resent by the session after the reconnect,
   * never published twice under two ids.
   *
   * @param topic Topic name.
   * @param msg Payload.
   * @param retain Retain flag.
   * @param qos QoS 0, 1 or 2.
   */
  override async publish(topic: Data, msg: Data, retain = false, qos: QoS = 0): Promise<void> {
    let sending: Promise<void> | null = null;
    let outcome: { ok: true } | { failed: unknown } | null = null;
    for (;;) {
      if (!sending) {
        outcome = null;
        sending = super.publish(topic, msg, retain, qos);
        sending.then(() => {
          outcome = { ok: true };
        }, (e: unknown) => {
          outcome = { failed: e };
        });
      }
      const stop = new AbortController();
      await Promise.race([sending.catch(() => {}), this._session.whenClosed(stop.signal)]);
      stop.abort(); // drop the close waiter: one per call would pile up on a long-lived client
      const o = outcome as { ok: true } | { failed: unknown } | null;
      if (o && "ok" in o) return;
      if (o) {
        if (!isNetworkError(o.failed)) throw o.failed;
        this.log(false, o.failed);
        sending = null; // never registered: publish it again after the reconnect
      } else {
        // Still in flight: the session resends it after the reconnect.
        this.log(false, this._session.closedReason);
      }
      await this.reconnect();
    }
  }

  /**
   * `wait_msg()`, reconnecting and retrying on network errors.
   *
   * @returns First byte of the processed packet, or null for PINGRESP.
   */
  override async wait_msg(): Promise<number | null> {
    for (;;) {
      try {
        return await super.wait_msg();
      } catch (e) {
        if (!isNetworkError(e)) throw e;
        this.log(false, e);
      }
      await this.reconnect();
    }
  }

  /**
   * `check_msg()`, reconnecting and retrying up to `attempts` times.
   *
   * @param attempts How many times to try; after that it resolves null.
   * @returns First byte of the processed packet, or null.
   */
  override async check_msg(attempts = 2): Promise<number | null> {
    while (attempts) {
      try {
        return await super.check_msg();
      } catch (e) {
        if (!isNetworkError(e)) throw e;
        this.log(false, e);
      }
      await this.reconnect();
      attempts--;
    }
    return null;
  }
}
