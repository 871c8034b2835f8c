/**
 * Test doubles: a scripted in-memory transport and a manual clock.
 *
 * @module
 */
import type { Clock } from "../src/clock.ts";
import type { Transport, TransportConnectOptions, TransportFactory } from "../src/transport/types.ts";

/** Hex string (spaces allowed) to bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, "");
  if (clean.length % 2) throw new Error(`odd hex length: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Bytes to lowercase hex without spaces. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * An in-memory transport: the test pushes broker bytes with `receive()`,
 * reads what the client wrote with `written`/`takeWritten()`, and can end
 * or break the link.
 */
export class FakeTransport implements Transport {
  /** Every write, in order. */
  writes: Uint8Array[] = [];
  closed = false;
  #chunks: (Uint8Array | null | Error)[] = [];
  #reader: { resolve(v: Uint8Array | null): void; reject(e: Error): void } | null = null;
  #writeWaiters: { n: number; resolve(): void }[] = [];
  /** Called on every write (e.g. to answer automatically). */
  onWrite: ((bytes: Uint8Array) => void) | null = null;
  /** Make writes fail with this error. */
  failWrites: Error | null = null;

  read(): Promise<Uint8Array | null> {
    if (this.closed && this.#chunks.length === 0) return Promise.resolve(null);
    const c = this.#chunks.shift();
    if (c !== undefined) return c instanceof Error ? Promise.reject(c) : Promise.resolve(c);
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  /**
   * Backpressure: while true, each write is recorded but its promise stays
   * pending until {@linkcode releaseWrites} (the peer stopped reading).
   */
  holdWrites = false;
  #held: (() => void)[] = [];

  write(bytes: Uint8Array): Promise<void> | void {
    if (this.failWrites) return Promise.reject(this.failWrites);
    if (this.closed) return Promise.reject(new Error("write after close"));
    this.writes.push(bytes.slice());
    for (const w of this.#writeWaiters.splice(0)) {
      if (this.writes.length >= w.n) w.resolve();
      else this.#writeWaiters.push(w);
    }
    this.onWrite?.(bytes);
    if (this.holdWrites) return new Promise<void>((resolve) => this.#held.push(resolve));
  }

  /** Let the held writes complete (the peer reads again) and stop holding new ones. */
  releaseWrites(): void {
    this.holdWrites = false;
    for (const r of this.#held.splice(0)) r();
  }

  /** Writes still held back by {@linkcode holdWrites}. */
  get heldWrites(): number {
    return this.#held.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#held.splice(0); // a closed socket never completes its queued writes
    const r = this.#reader;
    this.#reader = null;
    r?.resolve(null);
  }

  /** Deliver bytes from the "broker" (hex string or bytes); several packets may go in one chunk. */
  receive(data: Uint8Array | string): void {
    const b = typeof data === "string" ? hex(data) : data;
    this.#push(b);
  }

  /** End the stream (the broker closed: read() → null). */
  end(): void {
    this.#push(null);
  }

  /** Break the link (read() rejects). */
  fail(e: Error): void {
    this.#push(e);
  }

  #push(c: Uint8Array | null | Error): void {
    const r = this.#reader;
    if (r) {
      this.#reader = null;
      if (c instanceof Error) r.reject(c);
      else r.resolve(c);
    } else {
      this.#chunks.push(c);
    }
  }

  /** All written bytes as hex strings, one per write. */
  get writtenHex(): string[] {
    return this.writes.map(toHex);
  }

  /** Return and forget the writes so far, as hex. */
  takeWritten(): string[] {
    const w = this.writtenHex;
    this.writes = [];
    return w;
  }

  /** Resolve once at least `n` writes happened in total. */
  waitWrites(n: number): Promise<void> {
    if (this.writes.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.#writeWaiters.push({ n, resolve }));
  }
}

/**
 * A transport factory handing out {@linkcode FakeTransport}s, recording
 * each connection's options. `transports` holds them in order.
 */
export function fakeFactory(
  setup?: (t: FakeTransport, opts: TransportConnectOptions) => void,
): TransportFactory & { transports: FakeTransport[]; options: TransportConnectOptions[] } {
  const transports: FakeTransport[] = [];
  const options: TransportConnectOptions[] = [];
  const f = (opts: TransportConnectOptions): Promise<FakeTransport> => {
    const t = new FakeTransport();
    transports.push(t);
    options.push(opts);
    setup?.(t, opts);
    return Promise.resolve(t);
  };
  return Object.assign(f, { transports, options });
}

/** Let pending promise callbacks run (several microtask turns and one macrotask). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((r) => setTimeout(r, 0));
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A manual clock: time moves only with `advance()`. */
export class FakeClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  /** Number of timers pending. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Move time forward by `ms`, firing due timers in order (and flushing promises between them). */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#timers) if (e[1].at <= end && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
      await flush();
    }
    this.#now = end;
    await flush();
  }
}

/** How {@linkcode autoAnswer} replies. */
export interface AutoAnswerOptions {
  /** CONNACK session-present flag (or a function of the connection number). */
  sessionPresent?: boolean | ((n: number) => boolean);
  /** CONNACK return code. */
  returnCode?: number;
  /** Answer SUBSCRIBE with SUBACK granting the requested QoS (default true). */
  suback?: boolean;
  /** Answer UNSUBSCRIBE (default true). */
  unsuback?: boolean;
  /** Answer PINGREQ (default true). */
  pingresp?: boolean;
  /** Answer QoS 1/2 PUBLISH with PUBACK/PUBREC and PUBREL with PUBCOMP (default true). */
  acks?: boolean;
}

/**
 * Make a {@linkcode FakeTransport} behave like a minimal broker: CONNACK,
 * SUBACK, UNSUBACK, PINGRESP, PUBACK/PUBREC/PUBCOMP. `n` is the
 * connection number (0-based) for per-connection answers.
 */
export function autoAnswer(t: FakeTransport, n: number, o: AutoAnswerOptions = {}): void {
  t.onWrite = (b) => {
    const type = b[0]! >> 4;
    const idHex = (i: number): string => toHex(b.subarray(i, i + 2));
    // Fixed header length (remaining length up to 2 bytes in tests).
    const hl = b[1]! & 0x80 ? 3 : 2;
    if (type === 1) {
      const sp = typeof o.sessionPresent === "function" ? o.sessionPresent(n) : o.sessionPresent ?? false;
      const rc = o.returnCode ?? 0;
      t.receive(`2002${sp && rc === 0 ? "01" : "00"}${rc.toString(16).padStart(2, "0")}`);
    } else if (type === 8 && o.suback !== false) {
      // Grant each requested QoS.
      const codes: string[] = [];
      let i = hl + 2;
      while (i < b.length) {
        const len = (b[i]! << 8) | b[i + 1]!;
        i += 2 + len;
        codes.push(b[i]!.toString(16).padStart(2, "0"));
        i++;
      }
      t.receive(`90${(2 + codes.length).toString(16).padStart(2, "0")}${idHex(hl)}${codes.join("")}`);
    } else if (type === 10 && o.unsuback !== false) {
      t.receive(`b002${idHex(hl)}`);
    } else if (type === 12 && o.pingresp !== false) {
      t.receive("d000");
    } else if (type === 3 && o.acks !== false) {
      const qos = (b[0]! >> 1) & 3;
      if (qos > 0) {
        const tl = (b[hl]! << 8) | b[hl + 1]!;
        const id = idHex(hl + 2 + tl);
        t.receive(qos === 1 ? `4002${id}` : `5002${id}`);
      }
    } else if (type === 6 && o.acks !== false) {
      t.receive(`7002${idHex(2)}`);
    }
  };
}
