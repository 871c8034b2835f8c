/**
 * Transport on Bun's native sockets (`Bun.connect`), honouring partial
 * writes and `drain`, and pausing the socket when unread data piles up.
 *
 * @module
 */
import type { Transport, TransportConnectOptions } from "./types.ts";

/** The parts of Bun's socket API this transport uses. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  terminate?(): void;
  pause?(): void;
  resume?(): void;
  setNoDelay?(on: boolean): void;
}

interface BunHandlers {
  data(s: BunSocket, d: Uint8Array): void;
  drain(s: BunSocket): void;
  close(s: BunSocket, err?: Error): void;
  end(s: BunSocket): void;
  error(s: BunSocket, err: Error): void;
  connectError?(s: BunSocket, err: Error): void;
}

interface BunLike {
  connect(options: {
    hostname: string;
    port: number;
    tls?: boolean | Record<string, unknown>;
    socket: BunHandlers;
  }): Promise<BunSocket>;
}

const HIGH_WATER = 1 << 20;

/**
 * Connect with Bun's native TCP/TLS sockets.
 *
 * @param options Host, port, TLS settings.
 * @returns A connected transport.
 * @example
 * ```ts ignore
 * import { connectBun } from "./bun.ts";
 * const t = await connectBun({ host: "127.0.0.1", port: 1883 });
 * t.close();
 * ```
 */
export async function connectBun(options: TransportConnectOptions): Promise<Transport> {
  const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
  const { host, port, tls, signal } = options;
  signal?.throwIfAborted();
  const t = new BunTransport();
  let tlsOpt: boolean | Record<string, unknown> | undefined;
  if (tls) {
    tlsOpt = {
      rejectUnauthorized: true,
      ...(tls.caCerts ? { ca: tls.caCerts } : {}),
      ...(tls.serverName ? { serverName: tls.serverName } : { serverName: host }),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.alpnProtocols ? { ALPNProtocols: tls.alpnProtocols } : {}),
    };
  }
  let sock: BunSocket;
  try {
    sock = await bun.connect({
      hostname: host,
      port,
      ...(tlsOpt ? { tls: tlsOpt } : {}),
      socket: t.handlers(),
    });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot connect to ${host}:${port}: ${msg}`, { cause: e });
  }
  await t.opened(sock);
  if (signal?.aborted) {
    t.close();
    signal.throwIfAborted();
  }
  sock.setNoDelay?.(true);
  return t;
}

class BunTransport implements Transport {
  #sock: BunSocket | null = null;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #paused = false;
  #ended = false;
  #error: Error | null = null;
  #reader: { resolve(v: Uint8Array | null): void; reject(e: Error): void } | null = null;
  #pending: Uint8Array[] = [];
  #drainWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  #tlsError: Error | null = null;

  handlers(): BunHandlers {
    return {
      data: (_s, d) => {
        if (this.#reader) {
          const r = this.#reader;
          this.#reader = null;
          r.resolve(d);
          return;
        }
        this.#chunks.push(d);
        this.#bytes += d.length;
        if (this.#bytes > HIGH_WATER && !this.#paused && this.#sock?.pause) {
          this.#paused = true;
          this.#sock.pause();
        }
      },
      drain: () => this.#flush(),
      close: (_s, err) => this.#finish(err ?? null),
      end: () => this.#finish(null),
      error: (_s, err) => {
        this.#tlsError ??= err;
        this.#finish(err);
      },
      connectError: (_s, err) => this.#finish(err),
    };
  }

  opened(sock: BunSocket): Promise<void> {
    this.#sock = sock;
    if (this.#error) return Promise.reject(this.#error);
    return Promise.resolve();
  }

  #finish(err: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (err) this.#error = err;
    const r = this.#reader;
    this.#reader = null;
    if (r) {
      if (err && this.#chunks.length === 0) r.reject(err);
      else r.resolve(null);
    }
    const e = err ?? new Error("Cannot write: the connection is closed");
    for (const w of this.#drainWaiters.splice(0)) w.reject(e);
    this.#pending = [];
  }

  read(): Promise<Uint8Array | null> {
    const c = this.#chunks.shift();
    if (c) {
      this.#bytes -= c.length;
      if (this.#paused && this.#bytes < HIGH_WATER / 2) {
        this.#paused = false;
        this.#sock?.resume?.();
      }
      return Promise.resolve(c);
    }
    if (this.#ended) return this.#error ? Promise.reject(this.#error) : Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  write(bytes: Uint8Array): Promise<void> | void {
    if (this.#ended || !this.#sock) {
      return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    }
    if (this.#pending.length === 0) {
      const n = this.#sock.write(bytes);
      if (n === bytes.length) return;
      this.#pending.push(n > 0 ? bytes.subarray(n) : bytes);
    } else {
      this.#pending.push(bytes);
    }
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  #flush(): void {
    const sock = this.#sock;
    if (!sock) return;
    while (this.#pending.length > 0) {
      const b = this.#pending[0]!;
      const n = sock.write(b);
      if (n < b.length) {
        this.#pending[0] = n > 0 ? b.subarray(n) : b;
        return;
      }
      this.#pending.shift();
    }
    for (const w of this.#drainWaiters.splice(0)) w.resolve();
  }

  close(): void {
    if (!this.#sock) return;
    const s = this.#sock;
    if (!this.#ended) {
      this.#finish(null);
      try {
        s.end();
      } catch {
        // already gone
      }
    }
  }
}
