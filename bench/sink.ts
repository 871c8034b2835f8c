/**
 * Broker-side helpers shared by every client under test, built on the raw
 * client so they cost the same for all: a counting subscriber that records
 * when messages arrive, and an echo that answers each ping with a pong.
 *
 * @module
 */
import { epochMs } from "./scenarios.ts";
import { RawClient, rawPublishPacket } from "./raw.ts";

/**
 * mosquitto settings for benchmarking: quiet (logging every packet would make
 * the broker the benchmark), no queue or in-flight limits (with the default
 * `max_inflight_messages 20`, mosquitto 2.0 acknowledges but drops incoming
 * QoS 2 publishes beyond 20 in flight), and TCP_NODELAY so acknowledgements
 * are not held back by Nagle's algorithm.
 */
export const BENCH_BROKER_GLOBAL: string[] = [
  "log_type none",
  "max_queued_messages 0",
  "max_inflight_messages 0",
  "set_tcp_nodelay true",
];

/** A subscriber that counts arrivals on the topic it is armed with. */
export class CountingSink {
  #client = new RawClient();
  #topic = "";
  #topicBytes = new Uint8Array();
  #count = 0;
  #first = 0;
  #last = 0;
  #bytes = 0;
  #target = 0;
  #onTarget: (() => void) | null = null;

  /** Connect to 127.0.0.1:`port`. */
  async connect(port: number, clientId: string): Promise<void> {
    await this.#client.connect("127.0.0.1", port, clientId);
    this.#client.onMessage = (topic, payload) => {
      if (!sameBytes(topic, this.#topicBytes)) return;
      const now = epochMs();
      if (this.#count === 0) this.#first = now;
      this.#last = now;
      this.#count++;
      this.#bytes += payload.length;
      if (this.#count === this.#target) this.#onTarget?.();
    };
  }

  /** Subscribe to a fresh topic and reset the counters; call before the publisher starts. */
  async arm(topic: string): Promise<void> {
    this.#topic = topic;
    this.#topicBytes = new TextEncoder().encode(topic);
    this.#count = 0;
    this.#bytes = 0;
    this.#first = 0;
    this.#last = 0;
    this.#target = 0;
    await this.#client.subscribe(topic);
  }

  /**
   * Wait until `n` messages arrived, or until none arrived for `idleMs`.
   * Returns the count, payload bytes, and first/last arrival times (epoch ms).
   */
  async collect(n: number, idleMs = 1000): Promise<{ count: number; bytes: number; first: number; last: number }> {
    if (this.#count < n) {
      await new Promise<void>((resolve) => {
        this.#target = n;
        let seen = this.#count;
        const timer = setInterval(() => {
          if (this.#count === seen) done();
          seen = this.#count;
        }, idleMs);
        const done = (): void => {
          clearInterval(timer);
          this.#onTarget = null;
          resolve();
        };
        this.#onTarget = done;
      });
    }
    return { count: this.#count, bytes: this.#bytes, first: this.#first, last: this.#last };
  }

  /** The armed topic. */
  get topic(): string {
    return this.#topic;
  }

  /** Disconnect. */
  async close(): Promise<void> {
    await this.#client.disconnect();
  }
}

/** Answers every message on `pingTopic` with a pre-encoded one on `pongTopic`. */
export class Echo {
  #client = new RawClient();

  /** Connect, subscribe to `pingTopic`, and start answering. */
  async start(
    port: number,
    clientId: string,
    pingTopic: string,
    pongTopic: string,
    payload: Uint8Array,
  ): Promise<void> {
    const pong = rawPublishPacket(pongTopic, payload, 0);
    await this.#client.connect("127.0.0.1", port, clientId);
    this.#client.onMessage = () => {
      const r = this.#client.write(pong);
      if (r) r.catch(() => {});
    };
    await this.#client.subscribe(pingTopic);
  }

  /** Disconnect. */
  async close(): Promise<void> {
    await this.#client.disconnect();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}
