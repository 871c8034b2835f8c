/**
 * The raw baseline: a few hand-written MQTT 3.1.1 frames, a frame splitter,
 * and a socket that writes bytes straight to the runtime's native TCP API
 * (`Deno.connect`, `Bun.connect`, or `node:net` on Node). Nothing here shares code with `src/`, so
 * the raw client measures what the runtime and the broker allow, and the
 * benchmark's own counting subscriber does not depend on the code under test.
 *
 * @module
 */

const enc = new TextEncoder();

/** Encode an MQTT remaining length (1 to 4 bytes). */
function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function frame(first: number, body: Uint8Array): Uint8Array {
  const rl = remainingLength(body.length);
  const out = new Uint8Array(1 + rl.length + body.length);
  out[0] = first;
  out.set(rl, 1);
  out.set(body, 1 + rl.length);
  return out;
}

function str(s: string): Uint8Array {
  const b = enc.encode(s);
  const out = new Uint8Array(2 + b.length);
  out[0] = b.length >> 8;
  out[1] = b.length & 0xff;
  out.set(b, 2);
  return out;
}

function cat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** CONNECT with a clean session, no credentials and no will. */
export function rawConnectPacket(clientId: string, keepalive = 60): Uint8Array {
  const header = new Uint8Array([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x02, keepalive >> 8, keepalive & 0xff]);
  return frame(0x10, cat([header, str(clientId)]));
}

/** PUBLISH; `packetId` is required for QoS 1 and 2. */
export function rawPublishPacket(topic: string, payload: Uint8Array, qos: 0 | 1 | 2, packetId = 0): Uint8Array {
  const parts = [str(topic)];
  if (qos > 0) parts.push(new Uint8Array([packetId >> 8, packetId & 0xff]));
  parts.push(payload);
  return frame(0x30 | (qos << 1), cat(parts));
}

/** SUBSCRIBE to one filter. */
export function rawSubscribePacket(packetId: number, topic: string, qos: 0 | 1 | 2): Uint8Array {
  return frame(0x82, cat([new Uint8Array([packetId >> 8, packetId & 0xff]), str(topic), new Uint8Array([qos])]));
}

/** A two-byte-body acknowledgement (PUBACK 0x40, PUBREC 0x50, PUBREL 0x62, PUBCOMP 0x70). */
export function rawAckPacket(first: number, packetId: number): Uint8Array {
  return new Uint8Array([first, 2, packetId >> 8, packetId & 0xff]);
}

/** DISCONNECT. */
export const RAW_DISCONNECT: Uint8Array = new Uint8Array([0xe0, 0]);

/**
 * Splits a byte stream into MQTT frames and hands each one (first byte and
 * body view) to a callback. The body view is valid only during the call.
 */
export class FrameSplitter {
  #rest: Uint8Array | null = null;
  #onFrame: (first: number, body: Uint8Array) => void;

  constructor(onFrame: (first: number, body: Uint8Array) => void) {
    this.#onFrame = onFrame;
  }

  feed(chunk: Uint8Array): void {
    let buf = chunk;
    if (this.#rest) {
      buf = cat([this.#rest, chunk]);
      this.#rest = null;
    }
    let off = 0;
    const n = buf.length;
    for (;;) {
      if (n - off < 2) break;
      let i = off + 1;
      let len = 0;
      let mult = 1;
      let b: number;
      let complete = true;
      do {
        if (i >= n) {
          complete = false;
          break;
        }
        b = buf[i++]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
      } while (b & 0x80);
      if (!complete || i + len > n) break;
      this.#onFrame(buf[off]!, buf.subarray(i, i + len));
      off = i + len;
    }
    if (off < n) this.#rest = buf.slice(off);
  }
}

/** A connected native socket. */
export interface RawSocket {
  /** Write bytes; resolves (or returns) once they are handed to the kernel. */
  write(bytes: Uint8Array): Promise<void> | void;
  /** Close the socket. */
  close(): void;
  /** Resolves when the peer or we closed the socket. */
  readonly closed: Promise<void>;
}

interface DenoConnLike {
  read(buf: Uint8Array): Promise<number | null>;
  write(buf: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay?(on: boolean): void;
}

/**
 * Open a TCP socket with the runtime's native API. `onData` gets each chunk
 * and must consume it before returning.
 */
export async function rawSocket(host: string, port: number, onData: (chunk: Uint8Array) => void): Promise<RawSocket> {
  const g = globalThis as unknown as {
    Bun?: { connect(o: unknown): Promise<BunSock> };
    Deno?: { connect(o: unknown): Promise<DenoConnLike> };
  };
  if (g.Bun) return await bunSocket(g.Bun, host, port, onData);
  if (g.Deno) return await denoSocket(g.Deno, host, port, onData);
  return await nodeSocket(host, port, onData);
}

interface NodeSock {
  write(b: Uint8Array): boolean;
  once(ev: string, f: () => void): void;
  on(ev: string, f: (d: Uint8Array) => void): void;
  setNoDelay(on: boolean): void;
  destroy(): void;
  end(): void;
}

async function nodeSocket(host: string, port: number, onData: (chunk: Uint8Array) => void): Promise<RawSocket> {
  const net = (await import("node:net")) as unknown as {
    connect(o: { host: string; port: number }, cb: () => void): NodeSock;
  };
  let ended = false;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  const sock = await new Promise<NodeSock>((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s));
    s.once("error", () => reject(new Error(`raw connect to ${host}:${port} failed`)));
  });
  sock.setNoDelay(true);
  sock.on("data", onData);
  sock.once("close", () => {
    ended = true;
    resolveClosed();
  });
  sock.on("error", () => {});
  let drained: Promise<void> | null = null;
  return {
    // Node buffers every write; wait for 'drain' only when it says its buffer is full.
    write(bytes: Uint8Array): Promise<void> | void {
      if (ended) return Promise.reject(new Error("raw socket closed"));
      if (sock.write(bytes)) return drained ?? undefined;
      drained ??= new Promise<void>((r) =>
        sock.once("drain", () => {
          drained = null;
          r();
        })
      );
      return drained;
    },
    close(): void {
      if (ended) return;
      ended = true;
      sock.end();
      sock.destroy();
      resolveClosed();
    },
    closed,
  };
}

async function denoSocket(
  deno: { connect(o: unknown): Promise<DenoConnLike> },
  host: string,
  port: number,
  onData: (chunk: Uint8Array) => void,
): Promise<RawSocket> {
  const conn = await deno.connect({ hostname: host, port, transport: "tcp" });
  conn.setNoDelay?.(true);
  let closed = false;
  let queue: Uint8Array[] = [];
  let queued = 0;
  let flushing: Promise<void> | null = null;
  const buf = new Uint8Array(65_536);
  const done = (async () => {
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        onData(buf.subarray(0, n));
      }
    } catch {
      // closed under us
    }
    closed = true;
  })();
  // Deno's write is asynchronous and must not overlap itself: bytes written
  // while a write is in flight are joined into the next write.
  const flush = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        const data = queue.length === 1 ? queue[0]! : cat(queue);
        queue = [];
        queued = 0;
        let off = 0;
        while (off < data.length) off += await conn.write(data.subarray(off));
      }
    } finally {
      flushing = null;
    }
  };
  return {
    write(bytes: Uint8Array): Promise<void> {
      if (closed) return Promise.reject(new Error("raw socket closed"));
      queue.push(bytes);
      queued += bytes.length;
      flushing ??= flush();
      return flushing;
    },
    close(): void {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
    closed: done,
  };
}

interface BunSock {
  write(b: Uint8Array): number;
  end(): void;
  setNoDelay?(on: boolean): void;
}

async function bunSocket(
  bun: { connect(o: unknown): Promise<BunSock> },
  host: string,
  port: number,
  onData: (chunk: Uint8Array) => void,
): Promise<RawSocket> {
  let pending: Uint8Array[] = [];
  let waiters: (() => void)[] = [];
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => (resolveClosed = r));
  let ended = false;
  const finish = (): void => {
    ended = true;
    for (const w of waiters) w();
    waiters = [];
    pending = [];
    resolveClosed();
  };
  const sock = await bun.connect({
    hostname: host,
    port,
    socket: {
      data(_s: BunSock, d: Uint8Array) {
        onData(d);
      },
      drain(s: BunSock) {
        while (pending.length > 0) {
          const b = pending[0]!;
          const n = s.write(b);
          if (n < b.length) {
            pending[0] = b.subarray(Math.max(n, 0));
            return;
          }
          pending.shift();
        }
        for (const w of waiters) w();
        waiters = [];
      },
      close() {
        finish();
      },
      end() {
        finish();
      },
      error() {
        finish();
      },
    },
  });
  sock.setNoDelay?.(true);
  return {
    write(bytes: Uint8Array): Promise<void> | void {
      if (ended) return Promise.reject(new Error("raw socket closed"));
      if (pending.length === 0) {
        const n = sock.write(bytes);
        if (n === bytes.length) return;
        pending.push(bytes.subarray(Math.max(n, 0)));
      } else {
        pending.push(bytes);
      }
      return new Promise<void>((r) => waiters.push(r));
    },
    close(): void {
      if (ended) return;
      try {
        sock.end();
      } catch {
        // already closed
      }
      finish();
    },
    closed,
  };
}

/** Called for each PUBLISH a raw client receives. */
export type RawMessageHandler = (topic: Uint8Array, payload: Uint8Array) => void;

/**
 * A minimal MQTT client over {@linkcode rawSocket}: pre-encoded packets,
 * packet ids cycling through 1..`maxInflight`, acknowledgements matched by id.
 */
export class RawClient {
  #sock: RawSocket | null = null;
  #connack: (() => void) | null = null;
  #suback: (() => void) | null = null;
  #acks: ((() => void) | undefined)[];
  #nextId = 0;
  #maxInflight: number;
  #cacheKey: { topic: string; payload: Uint8Array; qos: number } | null = null;
  #pre: Uint8Array[] = [];
  #pubrel: Uint8Array[] = [];
  /** Receives PUBLISH frames (QoS 0 subscriptions only). */
  onMessage: RawMessageHandler | null = null;

  constructor(maxInflight = 64) {
    this.#maxInflight = maxInflight;
    this.#acks = new Array(maxInflight + 1);
    for (let id = 1; id <= maxInflight; id++) this.#pubrel[id] = rawAckPacket(0x62, id);
  }

  /** Connect and wait for CONNACK. */
  async connect(host: string, port: number, clientId: string): Promise<void> {
    const splitter = new FrameSplitter((first, body) => this.#onFrame(first, body));
    this.#sock = await rawSocket(host, port, (chunk) => splitter.feed(chunk));
    const got = new Promise<void>((r) => (this.#connack = r));
    await this.#sock.write(rawConnectPacket(clientId));
    await got;
  }

  #onFrame(first: number, body: Uint8Array): void {
    switch (first >> 4) {
      case 3: {
        const h = this.onMessage;
        if (h) {
          const tl = (body[0]! << 8) | body[1]!;
          const qos = (first >> 1) & 3;
          h(body.subarray(2, 2 + tl), body.subarray(2 + tl + (qos > 0 ? 2 : 0)));
        }
        return;
      }
      case 2: {
        if (body[1] !== 0) throw new Error(`raw CONNACK refused: ${body[1]}`);
        const c = this.#connack;
        this.#connack = null;
        c?.();
        return;
      }
      case 4:
      case 7: {
        const id = (body[0]! << 8) | body[1]!;
        const w = this.#acks[id];
        this.#acks[id] = undefined;
        w?.();
        return;
      }
      case 5: {
        const id = (body[0]! << 8) | body[1]!;
        this.#sock!.write(this.#pubrel[id]!);
        return;
      }
      case 9: {
        const s = this.#suback;
        this.#suback = null;
        s?.();
        return;
      }
    }
  }

  /** Subscribe with QoS 0 and wait for SUBACK. */
  async subscribe(topic: string): Promise<void> {
    const got = new Promise<void>((r) => (this.#suback = r));
    await this.#sock!.write(rawSubscribePacket(1, topic, 0));
    await got;
  }

  /** Write pre-encoded bytes. */
  write(bytes: Uint8Array): Promise<void> | void {
    return this.#sock!.write(bytes);
  }

  /**
   * Publish a pre-encoded PUBLISH (encoded once per topic/payload/QoS and
   * packet id). QoS 0 returns once written; QoS 1/2 resolve on PUBACK/PUBCOMP.
   */
  publish(topic: string, payload: Uint8Array, qos: 0 | 1 | 2): Promise<void> | void {
    const k = this.#cacheKey;
    if (!k || k.topic !== topic || k.payload !== payload || k.qos !== qos) {
      this.#cacheKey = { topic, payload, qos };
      this.#pre = [];
      if (qos === 0) this.#pre[0] = rawPublishPacket(topic, payload, 0);
      else for (let id = 1; id <= this.#maxInflight; id++) this.#pre[id] = rawPublishPacket(topic, payload, qos, id);
    }
    if (qos === 0) return this.#sock!.write(this.#pre[0]!);
    const id = this.#nextId = this.#nextId >= this.#maxInflight ? 1 : this.#nextId + 1;
    if (this.#acks[id]) throw new Error(`raw client: more than ${this.#maxInflight} messages in flight`);
    const done = new Promise<void>((r) => (this.#acks[id] = r));
    this.#sock!.write(this.#pre[id]!);
    return done;
  }

  /** Send DISCONNECT and close. */
  async disconnect(): Promise<void> {
    const s = this.#sock;
    if (!s) return;
    this.#sock = null;
    try {
      await s.write(RAW_DISCONNECT);
    } catch {
      // gone already
    }
    s.close();
  }
}
