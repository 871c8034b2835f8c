/**
 * Transport on Bun's native sockets (`Bun.connect`), honouring partial
 * writes and `drain`, and pausing the socket when unread data piles up.
 *
 * @module
 */
import { raceAbort } from "./_abort.ts";
import { tlsError } from "./_errors.ts";
import type { Transport, TransportConnectOptions } from "./types.ts";
import { Inbox } from "./_inbox.ts";
import { OutQueue } from "./_queue.ts";

/** The parts of Bun's socket API this transport uses. */
interface BunSocket {
  write(data: Uint8Array): number;
  end(): void;
  shutdown?(): void;
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

/** How long a closed connection waits for the broker to close its side before it is dropped. */
const LINGER_MS = 2000;

class BunTransport implements Transport {
  #sock: BunSocket | null = null;
  #linger: ReturnType<typeof setTimeout> | null = null;
  #inbox = new Inbox({ pause: () => this.#sock?.pause?.(), resume: () => this.#sock?.resume?.() });
  #ended = false;
  #error: Error | null = null;
  #tls: boolean;
  #ready: { resolve(): void; reject(e: Error): void } | null = null;
  #handshaken = false;

  constructor(tls: boolean) {
    this.#tls = tls;
  }

  handlers(): BunHandlers {
    return {
      // Bun hands a Buffer; pass a plain view of the same memory on, as the other transports do.
      data: (_s, d) => this.#inbox.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)),
      drain: () => {
        this.#blocked = false;
        this.#flush();
      },
      close: (_s, err) => {
        if (this.#linger !== null) clearTimeout(this.#linger);
        this.#finish(err ?? null);
        this.#peerClosed?.();
      },
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
    const d = this.#done;
    this.#done = null;
    this.#out.clear();
    d?.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  #out = new OutQueue();
  #scheduled = false;
  #blocked = false;
  #done: { promise: Promise<void>; resolve(): void; reject(e: Error): void } | null = null;

  /**
   * Packets written in the same tick go out in one socket write; the promise
   * settles once all of them were taken by the kernel.
   */
  write(bytes: Uint8Array): Promise<void> | void {
    if (this.#ended || !this.#sock) {
      return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    }
    this.#out.push(bytes);
    return this.#pending();
  }

  /** A header and its payload, gathered with the tick's other writes (a large payload goes as it is). */
  writev(header: Uint8Array, payload: Uint8Array): Promise<void> | void {
    if (this.#ended || !this.#sock) {
      return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    }
    this.#out.push(header);
    this.#out.push(payload);
    return this.#pending();
  }

  #pending(): Promise<void> {
    if (!this.#scheduled && !this.#blocked) {
      this.#scheduled = true;
      queueMicrotask(this.#flushTick);
    }
    if (this.#done === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#done = { promise, resolve, reject };
    }
    return this.#done.promise;
  }

  #flushTick = (): void => {
    this.#scheduled = false;
    if (!this.#blocked) this.#flush();
  };

  /** Write until everything went out or the kernel's buffer is full (then wait for `drain`). */
  #flush(): void {
    const sock = this.#sock;
    if (!sock || this.#ended) return;
    const out = this.#out;
    while (!out.empty) {
      const data = out.next();
      const n = sock.write(data);
      if (n < 0) {
        this.#writeError();
        return;
      }
      if (n < data.length) {
        out.unshift(n > 0 ? data.subarray(n) : data);
        this.#blocked = true;
        return;
      }
    }
    this.#blocked = false;
    const d = this.#done;
    this.#done = null;
    d?.resolve();
  }

  /** Bun returns -1 from write() on a dead socket, and a paused socket may never report the close. */
  #writeError(): void {
    const err = new Error("Connection lost: the socket refused the write (closed or reset by the peer)");
    this.#finish(err);
    try {
      this.#sock?.terminate?.();
    } catch {
      // already gone
    }
  }

  #peerClosed: (() => void) | null = null;
  #closedByPeer: Promise<void> | undefined;

  close(): Promise<void> | void {
    if (!this.#sock) return;
    const s = this.#sock;
    if (this.#ended) return this.#closedByPeer;
    this.#finish(null);
    this.#closedByPeer = new Promise<void>((resolve) => (this.#peerClosed = resolve));
    try {
      if (!s.shutdown) {
        s.end();
        return this.#closedByPeer;
      }
      // Half-close after what was written (a DISCONNECT) and read on, discarding, until the broker closes. Closing
      // with bytes of its still unread here would send a reset, and a broker that reads the reset before our
      // DISCONNECT publishes the will as for a lost client.
      s.resume?.();
      s.shutdown();
      this.#linger = setTimeout(() => {
        s.terminate?.();
        this.#peerClosed?.();
      }, LINGER_MS);
      (this.#linger as { unref?(): void }).unref?.();
    } catch {
      // already gone
      this.#peerClosed?.();
    }
    return this.#closedByPeer;
  }
}
