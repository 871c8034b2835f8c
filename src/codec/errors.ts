/**
 * Error classes callers may want to catch.
 *
 * @module
 */
import { CONNACK_REASONS } from "./constants.ts";

/**
 * Bytes that are not a valid MQTT 3.1.1 or 5.0 packet. The client closes the
 * connection when it receives one and rejects every pending call with it.
 *
 * @example Catching malformed input
 * ```ts
 * import { MalformedPacketError, PacketDecoder } from "./mod.ts";
 * const decoder = new PacketDecoder();
 * decoder.feed(new Uint8Array([0x00, 0x00]));
 * try {
 *   decoder.next();
 * } catch (e) {
 *   console.log(e instanceof MalformedPacketError); // true
 * }
 * ```
 */
export class MalformedPacketError extends Error {
  /**
   * Create the error.
   *
   * @param message What is wrong, citing the spec clause where there is one.
   */
  constructor(message: string) {
    super(message);
    this.name = "MalformedPacketError";
  }
}

/**
 * The broker refused something: a CONNECT (CONNACK return code 1..5) or a
 * subscription (SUBACK return code 0x80). `code` is the broker's number,
 * as in umqtt.simple's `MQTTException(code)`.
 *
 * @example Reading the broker's code
 * ```ts
 * import { MQTTException } from "./mod.ts";
 * const e = new MQTTException(5);
 * console.log(e.code, e.message); // 5 "Connection refused: not authorized (CONNACK return code 5)"
 * ```
 */
export class MQTTException extends Error {
  /** The broker's numeric return code. */
  readonly code: number;
  /**
   * Create the error from the broker's code.
   *
   * @param code The broker's return code.
   * @param message Optional description; a default is derived from `code`.
   */
  constructor(code: number, message?: string) {
    super(message ?? describeCode(code));
    this.name = "MQTTException";
    this.code = code;
  }
}

function describeCode(code: number): string {
  if (code === 0x80) return "Subscription refused by the broker (SUBACK return code 0x80)";
  const reason = CONNACK_REASONS[code];
  return reason ? `Connection refused: ${reason} (CONNACK return code ${code})` : `Broker returned code ${code}`;
}

/**
 * The connection is gone (closed by either side, reset, or timed out).
 * Every call pending at that moment is rejected with the same instance;
 * `cause` holds the underlying error when there is one.
 *
 * @example Handling a lost connection
 * ```ts
 * import { ConnectionClosedError } from "./mod.ts";
 * const e = new ConnectionClosedError("Connection closed by the broker");
 * console.log(e.name); // "ConnectionClosedError"
 * ```
 */
export class ConnectionClosedError extends Error {
  /**
   * Create the error.
   *
   * @param message What happened.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionClosedError";
  }
}

/**
 * A deadline passed: connect timeout, acknowledgement timeout, or no
 * PINGRESP within the keepalive grace period.
 *
 * @example Telling a timeout apart
 * ```ts
 * import { TimeoutError } from "./mod.ts";
 * console.log(new TimeoutError("No CONNACK within 5000 ms").name); // "TimeoutError"
 * ```
 */
export class TimeoutError extends Error {
  /**
   * Create the error.
   *
   * @param message What timed out.
   */
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}
