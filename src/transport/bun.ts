/**
 * Transport on Bun's native sockets (`Bun.connect`), honouring partial
 * writes and `drain`, and pausing the socket when unread data piles up.
 *
 * @module
 */
import { raceAbort } from "./_abort.ts";
import { tlsError } from "./_errors.ts";
import { concat } from "../_bytes.ts";
import type { Transport, TransportConnectOptions } from "./types.ts";
import { Inbox } from "./_inbox.ts";

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
  handshake?(s: BunSocket, success: boolean, authorizationError: Error | null): void;
}

interface BunLike {
  connect(options: {
    hostname: string;
    port: number;
    tls?: boolean | Record<string, unknown>;
    socket: BunHandlers;
  }): Promise<BunSocket>;
}

/**
 * Connect with Bun's native TCP/TLS sockets. With TLS the handshake is
 * completed (and the certificate checked) before this resolves.
 *
 * @param options Host, port, TLS settings, abort signal.
 * @returns A connected transport.
 * @example TLS with a private CA on Bun
 * ```ts ignore
 * import { connectBun } from "./bun.ts";
 * const t = await connectBun({ host: "127.0.0.1", port: 8883, tls: { caCerts: [caPem], serverName: "localhost" } });
 * t.close();
 * ```
 */
export async function connectBun(options: TransportConnectOptions): Promise<Transport> {
  const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
  const { host, port, tls, signal } = options;
  signal?.throwIfAborted();
  let tlsOpt: Record<string, unknown> | undefined;
  if (tls) {
    if (!tls.cert !== !tls.key) throw new TypeError("A TLS client certificate needs both `cert` and `key`");
    tlsOpt = {
      rejectUnauthorized: !tls.insecureSkipVerify,
      serverName: tls.serverName ?? host,
      ...(tls.caCerts ? { ca: tls.caCerts } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.alpnProtocols ? { ALPNProtocols: alpnWire(tls.alpnProtocols) } : {}),
    };
  }
  const t = new BunTransport(tlsOpt !== undefined);
  const attempt = (async (): Promise<BunTransport> => {
    const sock = await bun.connect({
      hostname: host,
      port,
      ...(tlsOpt ? { tls: tlsOpt } : {}),
      socket: t.handlers(),
    });
    await t.opened(sock);
    return t;
  })();
  try {
    await raceAbort(attempt, signal, (late) => late.close());
  } catch (e) {
    t.close();
    throw tlsError(e);
  }
  t.setNoDelay();
  return t;
}

/** ALPN list in wire format (each name prefixed by its length), which Bun wants as an ArrayBuffer. */
function alpnWire(protocols: string[]): ArrayBuffer {
  const names = protocols.map((p) => new TextEncoder().encode(p));
  const out = new Uint8Array(names.reduce((n, b) => n + 1 + b.length, 0));
  let o = 0;
  for (const b of names) {
    if (b.length === 0 || b.length > 255) {
      throw new RangeError(`ALPN protocol names must be 1..255 bytes, got ${b.length}`);
    }
    out[o++] = b.length;
    out.set(b, o);
    o += b.length;
  }
  return out.buffer;
}

class BunTransport implements Transport {
  #sock: BunSocket | null = null;
  #inbox = new Inbox({ pause: () => this.#sock?.pause?.(), resume: () => this.#sock?.resume?.() });
  #ended = false;
  #error: Error | null = null;
  #pending: Uint8Array[] = [];
  #drainWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  #tls: boolean;
  #ready: { resolve(): void; reject(e: Error): void } | null = null;
  #handshaken = false;

  constructor(tls: boolean) {
    this.#tls = tls;
  }

  handlers(): BunHandlers {
    return {
      data: (_s, d) => this.#inbox.push(d),
      drain: () => this.#flush(),
      close: (_s, err) => this.#finish(err ?? null),
      end: () => this.#finish(null),
      error: (_s, err) => this.#finish(err),
      connectError: (_s, err) => this.#finish(err),
      handshake: (_s, success, authorizationError) => {
        // With rejectUnauthorized, Bun reports a refused certificate here and then closes.
        if (!success) {
          this.#finish(authorizationError ?? new Error("TLS handshake failed"));
          return;
        }
        this.#handshaken = true;
        const r = this.#ready;
        this.#ready = null;
        r?.resolve();
      },
    };
  }

  /** Resolves once the socket is usable (after the TLS handshake, if any). */
  opened(sock: BunSocket): Promise<void> {
    this.#sock = sock;
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.reject(new Error("Connection closed during the TLS handshake"));
    if (!this.#tls || this.#handshaken) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#ready = { resolve, reject };
    });
  }

  setNoDelay(): void {
    this.#sock?.setNoDelay?.(true);
  }

  #finish(err: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (err) this.#error = tlsError(err);
    const ready = this.#ready;
    this.#ready = null;
    ready?.reject(this.#error ?? new Error("Connection closed during the TLS handshake"));
    this.#inbox.end(this.#error);
    const e = this.#error ?? new Error("Cannot write: the connection is closed");
    for (const w of this.#drainWaiters.splice(0)) w.reject(e);
    this.#pending = [];
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #batchDone: Promise<void> | null = null;

  /** Packets written in the same tick go out in one socket write. */
  write(bytes: Uint8Array): Promise<void> | void {
    if (this.#ended || !this.#sock) {
      return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    }
    this.#batch.push(bytes);
    this.#batchBytes += bytes.length;
    this.#batchDone ??= new Promise<void>((resolve, reject) => {
      queueMicrotask(() => {
        const parts = this.#batch;
        const size = this.#batchBytes;
        this.#batch = [];
        this.#batchBytes = 0;
        this.#batchDone = null;
        const data = concat(parts, size);
        const r = this.#writeNow(data);
        if (r) r.then(resolve, reject);
        else resolve();
      });
    });
    return this.#batchDone;
  }

  #writeNow(bytes: Uint8Array): Promise<void> | void {
    if (this.#ended || !this.#sock) {
      return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    }
    if (this.#pending.length === 0) {
      const n = this.#sock.write(bytes);
      if (n === bytes.length) return;
      if (n < 0) return this.#writeError();
      this.#pending.push(n > 0 ? bytes.subarray(n) : bytes);
    } else {
      this.#pending.push(bytes);
    }
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  /** Bun returns -1 from write() on a dead socket, and a paused socket may never report the close. */
  #writeError(): Promise<void> {
    const err = new Error("Connection lost: the socket refused the write (closed or reset by the peer)");
    this.#finish(err);
    try {
      this.#sock?.terminate?.();
    } catch {
      // already gone
    }
    return Promise.reject(err);
  }

  #flush(): void {
    const sock = this.#sock;
    if (!sock) return;
    while (this.#pending.length > 0) {
      const b = this.#pending[0]!;
      const n = sock.write(b);
      if (n < 0) {
        this.#writeError().catch(() => {});
        return;
      }
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
