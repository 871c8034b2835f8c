/**
 * Transport on Deno's native sockets (`Deno.connect`, `Deno.connectTls`,
 * `Deno.startTls`).
 *
 * @module
 */
import type { Transport, TransportConnectOptions } from "./types.ts";

const READ_SIZE = 65_536;

/**
 * Connect with Deno's native TCP/TLS sockets.
 *
 * @param options Host, port, TLS settings.
 * @returns A connected transport.
 * @example
 * ```ts ignore
 * import { connectDeno } from "./deno.ts";
 * const t = await connectDeno({ host: "127.0.0.1", port: 1883 });
 * t.close();
 * ```
 */
export async function connectDeno(options: TransportConnectOptions): Promise<Transport> {
  const { host, port, tls, signal } = options;
  signal?.throwIfAborted();
  let conn: Deno.Conn;
  if (!tls) {
    conn = await Deno.connect({ hostname: host, port, transport: "tcp" });
  } else if (tls.serverName && tls.serverName !== host) {
    // Verify against a name other than the address dialled.
    const tcp = await Deno.connect({ hostname: host, port, transport: "tcp" });
    conn = await Deno.startTls(tcp, {
      hostname: tls.serverName,
      ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
      ...(tls.alpnProtocols ? { alpnProtocols: tls.alpnProtocols } : {}),
    });
  } else {
    const opts: Deno.ConnectTlsOptions = {
      hostname: host,
      port,
      ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
      ...(tls.alpnProtocols ? { alpnProtocols: tls.alpnProtocols } : {}),
      ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
    };
    conn = await Deno.connectTls(opts);
  }
  if (signal?.aborted) {
    conn.close();
    signal.throwIfAborted();
  }
  if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
  return new DenoTransport(conn);
}

class DenoTransport implements Transport {
  #conn: Deno.Conn;
  #buf = new Uint8Array(READ_SIZE);
  #closed = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #flushing: Promise<void> | null = null;

  constructor(conn: Deno.Conn) {
    this.#conn = conn;
  }

  async read(): Promise<Uint8Array | null> {
    if (this.#closed) return null;
    let n: number | null;
    try {
      n = await this.#conn.read(this.#buf);
    } catch (e) {
      if (this.#closed) return null;
      throw e;
    }
    if (n === null) return null;
    return this.#buf.slice(0, n);
  }

  write(bytes: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Cannot write: the connection is closed"));
    this.#queue.push(bytes);
    this.#queued += bytes.length;
    // Writes issued while one is in flight are coalesced into the next one.
    this.#flushing ??= this.#flush();
    return this.#flushing;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let data: Uint8Array;
        if (this.#queue.length === 1) {
          data = this.#queue[0]!;
        } else {
          data = new Uint8Array(this.#queued);
          let o = 0;
          for (const b of this.#queue) {
            data.set(b, o);
            o += b.length;
          }
        }
        this.#queue = [];
        this.#queued = 0;
        let off = 0;
        while (off < data.length) off += await this.#conn.write(data.subarray(off));
      }
    } finally {
      this.#flushing = null;
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}
