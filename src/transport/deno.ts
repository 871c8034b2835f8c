/**
 * Transport on Deno's native sockets (`Deno.connect`, `Deno.connectTls`,
 * `Deno.startTls`).
 *
 * Deno limits, reported as errors rather than worked around:
 * - no per-connection way to skip certificate verification
 *   (`insecureSkipVerify`); start Deno with
 *   `--unsafely-ignore-certificate-errors=<host>` or pass `caCerts`;
 * - `Deno.startTls` takes no client certificate, so a client certificate
 *   cannot be combined with a `serverName` that differs from the host
 *   dialled.
 *
 * @module
 */
import { raceAbort } from "./_abort.ts";
import { tlsError } from "./_errors.ts";
import { OutQueue } from "./_queue.ts";
import type { TlsOptions, Transport, TransportConnectOptions } from "./types.ts";

const READ_SIZE = 65_536;
const MIN_READ = 8_192;

/**
 * Connect with Deno's native TCP/TLS sockets. With TLS the handshake is
 * completed before this resolves, so certificate errors surface here.
 *
 * @param options Host, port, TLS settings, abort signal.
 * @returns A connected transport.
 * @example TLS with a private CA on Deno
 * ```ts ignore
 * import { connectDeno } from "./deno.ts";
 * const t = await connectDeno({ host: "127.0.0.1", port: 8883, tls: { caCerts: [await Deno.readTextFile("ca.pem")] } });
 * t.close();
 * ```
 */
export async function connectDeno(options: TransportConnectOptions): Promise<Transport> {
  const { host, port, tls, signal } = options;
  signal?.throwIfAborted();
  const conn = await raceAbort(open(host, port, tls), signal, (c) => c.close());
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  return new DenoTransport(conn);
}

async function open(host: string, port: number, tls: TlsOptions | undefined): Promise<Deno.Conn> {
  if (!tls) return await Deno.connect({ hostname: host, port, transport: "tcp" });
  checkTls(tls);
  const common = {
    ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
    ...(tls.alpnProtocols ? { alpnProtocols: tls.alpnProtocols } : {}),
  };
  let conn: Deno.TlsConn;
  if (tls.serverName && tls.serverName !== host) {
    if (tls.cert) {
      throw new Error(
        `Cannot use a client certificate with serverName ${JSON.stringify(tls.serverName)} on Deno: ` +
          `Deno.startTls takes no client certificate, so connect to ${JSON.stringify(tls.serverName)} instead of ` +
          `${JSON.stringify(host)}`,
      );
    }
    // Verify against a name other than the address dialled.
    const tcp = await Deno.connect({ hostname: host, port, transport: "tcp" });
    try {
      conn = await Deno.startTls(tcp, { hostname: tls.serverName, ...common });
    } catch (e) {
      tcp.close();
      throw e;
    }
  } else {
    conn = await Deno.connectTls({
      hostname: host,
      port,
      ...common,
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    });
  }
  try {
    await conn.handshake();
  } catch (e) {
    try {
      conn.close();
    } catch {
      // already closed
    }
    throw tlsError(e);
  }
  return conn;
}

function checkTls(tls: TlsOptions): void {
  if (tls.insecureSkipVerify) {
    throw new Error(
      "Cannot skip TLS certificate verification per connection on Deno (insecureSkipVerify): " +
        "pass the broker's CA in caCerts, or start Deno with --unsafely-ignore-certificate-errors=<host>",
    );
  }
  if (!tls.cert !== !tls.key) {
    throw new TypeError("A TLS client certificate needs both `cert` and `key`");
  }
}

/** How long a closed connection waits for the broker to close its side before it is dropped. */
const LINGER_MS = 2000;
/** Where closing connections read what they throw away (shared: nobody reads it back). */
const DISCARD = new Uint8Array(16_384);

class DenoTransport implements Transport {
  #conn: Deno.Conn;
  #buf = new Uint8Array(READ_SIZE);
  #off = 0;
  #closed = false;
  #queue = new OutQueue();
  #flushing: Promise<void> | null = null;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    // Read straight into the unused tail of a 64 KiB slab and hand that region out: no copy and
    // no ArrayBuffer per read (each costs about a microsecond on Deno). A region is never reused.
    if (this.#buf.length - this.#off < MIN_READ) {
      this.#buf = new Uint8Array(READ_SIZE);
      this.#off = 0;
    }
    const start = this.#off;
    let n: number | null;
    try {
      n = await this.#conn.read(this.#buf.subarray(start));
    } catch (e) {
      if (this.#closed) return null;
      throw tlsError(e);
    }
    if (n === null) return null;
    this.#off = start + n;
    return this.#buf.subarray(start, start + n);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Cannot write: the connection is closed"));
    this.#queue.push(bytes);
    // Writes issued while one is in flight are coalesced into the next one.
    this.#flushing ??= this.#flush();
    return this.#flushing;
  }

  /** A header and its payload: the payload is gathered with the rest, copied once at most. */
  writev(header: Uint8Array, payload: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Cannot write: the connection is closed"));
    this.#queue.push(header);
    this.#queue.push(payload);
    this.#flushing ??= this.#flush();
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    // Start after the current task's other writes were queued: a burst goes out in one write, not two.
    await undefined;
    try {
      if (this.#closed) throw new Error("Cannot write: the connection is closed");
      // Deno's write is asynchronous: everything queued meanwhile goes out in the next write,
      // gathered into one reused buffer (no ArrayBuffer per write).
      while (!this.#queue.empty) {
        const data = this.#queue.next();
        let off = 0;
        while (off < data.length) off += await this.#conn.write(off === 0 ? data : data.subarray(off));
      }
    } catch (e) {
      this.#queue.clear();
      throw tlsError(e);
    } finally {
      this.#flushing = null;
    }
  }

  #closedByPeer: Promise<void> | undefined;

  close(): Promise<void> | void {
    if (this.#closed) return this.#closedByPeer;
    this.#closed = true;
    const conn = this.#conn;
    const closeNow = (): void => {
      try {
        conn.close();
      } catch {
        // already closed
      }
    };
    // Half-close after what was written (a DISCONNECT), then read on, discarding, until the broker closes (at most
    // LINGER_MS). Closing at once with bytes of the broker's still unread here would send a reset, and a broker that
    // reads the reset before our DISCONNECT publishes the will as for a lost client.
    try {
      conn.closeWrite().catch(closeNow);
    } catch {
      return closeNow();
    }
    const timer = setTimeout(closeNow, LINGER_MS);
    const drain = async (): Promise<void> => {
      try {
        while ((await conn.read(DISCARD)) !== null);
      } catch {
        // reset or closed by the timer
      }
      clearTimeout(timer);
      closeNow();
    };
    return (this.#closedByPeer = drain());
  }
}
