/**
 * The three clients under test behind one small interface: `ours`
 * (`mod.ts`), `mqttjs` (npm `mqtt`) and `raw` (pre-encoded packets written
 * straight to the socket). Each adapter uses its library the way its README
 * shows; modules are loaded lazily so a worker only pays for the one it runs.
 *
 * @module
 */
import { RawClient } from "./raw.ts";

/** Which client a worker runs. */
export type ClientKind = "ours" | "mqttjs" | "raw";

/** All client kinds, in report order. */
export const CLIENT_KINDS: readonly ClientKind[] = ["ours", "mqttjs", "raw"];

/** What the scenarios need from a client. */
export interface BenchClient {
  /** Publish; QoS 0 settles once written, QoS 1/2 once acknowledged. */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): Promise<void> | void;
  /** Subscribe with QoS 0 and wait for SUBACK. */
  subscribe(topic: string): Promise<void>;
  /** Resolves when the next message (not yet consumed) has arrived. */
  nextMessage(): Promise<void>;
  /** Disconnect cleanly. */
  close(): Promise<void>;
}

/** Connect a client of `kind` to 127.0.0.1:`port`. */
export async function connectClient(kind: ClientKind, port: number, clientId: string): Promise<BenchClient> {
  switch (kind) {
    case "ours":
      return await connectOurs(port, clientId);
    case "mqttjs":
      return await connectMqttJs(port, clientId);
    case "raw":
      return await connectRaw(port, clientId);
  }
}

/** Counts arrivals and hands them to whoever waits, so none is missed. */
class Arrivals {
  #unclaimed = 0;
  #waiter: (() => void) | null = null;

  arrived(): void {
    const w = this.#waiter;
    if (w) {
      this.#waiter = null;
      w();
    } else {
      this.#unclaimed++;
    }
  }

  next(): Promise<void> {
    if (this.#unclaimed > 0) {
      this.#unclaimed--;
      return Promise.resolve();
    }
    return new Promise<void>((r) => (this.#waiter = r));
  }
}

// Each module is imported once per worker (the first connection pays for it), not once per connection.
let ours: Promise<typeof import("../mod.ts")> | undefined;
let mqttjs: Promise<[typeof import("mqtt"), typeof import("node:buffer")]> | undefined;

async function connectOurs(port: number, clientId: string): Promise<BenchClient> {
  const { MQTTClient } = await (ours ??= import("../mod.ts"));
  const arrivals = new Arrivals();
  // maxInflight 64: the benchmark broker has no inflight limit, and the raw client keeps 64 in flight too.
  const c = new MQTTClient(clientId, "127.0.0.1", { port, maxInflight: 64, callback: () => arrivals.arrived() });
  await c.connect();
  return {
    publish: (topic, payload, qos) => c.publish(topic, payload, { qos }),
    subscribe: async (topic) => {
      await c.subscribe(topic, 0);
    },
    // Our client reads on demand: wait for packets until a message came in.
    nextMessage: async () => {
      const got = arrivals.next();
      let done = false;
      void got.then(() => (done = true));
      while (!done) {
        await c.waitMsg();
        await Promise.resolve();
      }
      await got;
    },
    close: () => c.disconnect(),
  };
}

async function connectMqttJs(port: number, clientId: string): Promise<BenchClient> {
  const [mqtt, { Buffer }] = await (mqttjs ??= Promise.all([import("mqtt"), import("node:buffer")]));
  const arrivals = new Arrivals();
  const c = await mqtt.connectAsync({
    host: "127.0.0.1",
    port,
    clientId,
    clean: true,
    keepalive: 60,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  c.on("message", () => arrivals.arrived());
  // MQTT.js takes Buffers; convert each distinct payload once, outside the loop.
  let last: Uint8Array | null = null;
  let lastBuf: InstanceType<typeof Buffer> | null = null;
  return {
    publish: async (topic, payload, qos) => {
      if (payload !== last) {
        last = payload;
        lastBuf = Buffer.from(payload);
      }
      await c.publishAsync(topic, lastBuf!, { qos });
    },
    subscribe: async (topic) => {
      await c.subscribeAsync(topic, { qos: 0 });
    },
    nextMessage: () => arrivals.next(),
    close: () => c.endAsync(),
  };
}

async function connectRaw(port: number, clientId: string): Promise<BenchClient> {
  const arrivals = new Arrivals();
  const c = new RawClient();
  c.onMessage = () => arrivals.arrived();
  await c.connect("127.0.0.1", port, clientId);
  return {
    publish: (topic, payload, qos) => c.publish(topic, payload, qos),
    subscribe: (topic) => c.subscribe(topic),
    nextMessage: () => arrivals.next(),
    close: () => c.disconnect(),
  };
}
