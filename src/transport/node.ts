/**
 * Transport on Node's sockets (`node:net`, `node:tls`). The Node modules
 * are loaded with a dynamic `import()` on first use, so Deno, Bun and
 * browsers never load them.
 *
 * @module
 */
import { raceAbort } from "./_abort.ts";
import { tlsError } from "./_errors.ts";
import type { Transport, TransportConnectOptions } from "./types.ts";
import { Inbox } from "./_inbox.ts";

/** The parts of a Node `net.Socket`/`tls.TLSSocket` this transport uses. */
interface NodeSocket {
  write(data: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(): void;
  destroy(err?: Error): void;
  pause(): void;
  resume(): void;
  setNoDelay(on?: boolean): void;
  cork(): void;
  uncork(): void;
  on(event: string, fn: (...args: never[]) => void): void;
  once(event: string, fn: (...args: never[]) => void): void;
  removeListener(event: string, fn: (...args: never[]) => void): void;
  readonly destroyed: boolean;
}

interface NodeNet {
  connect(options: { host: string; port: number }): NodeSocket;
}

interface NodeTls {
  connect(options: Record<string, unknown>): NodeSocket;
}

const IP = /^[\d.]+$|:/;

// Loaded once: import() of a built-in costs a module lookup and a few microtasks on every call.
let nodeNet: Promise<unknown> | undefined;
let nodeTls: Promise<unknown> | undefined;

/**
 * Connect with Node's `node:net` or `node:tls`. With TLS the handshake is
 * completed (and the certificate checked) before this resolves.
 *
 * @param options Host, port, TLS settings, abort signal.
 * @returns A connected transport.
 * @example Plain TCP on Node
 * ```ts ignore
 * import { connectNode } from "./node.ts";
 * const t = await connectNode({ host: "127.0.0.1", port: 1883 });
 * t.close();
 * ```
 */
export async function connectNode(options: TransportConnectOptions): Promise<Transport> {
  const { host, port, tls, signal } = options;
  signal?.throwIfAborted();
  let sock: NodeSocket;
  let ready: string;
  if (tls) {
    if (!tls.cert !== !tls.key) throw new TypeError("A TLS client certificate needs both `cert` and `key`");
    const tlsModule: unknown = await (nodeTls ??= import("node:tls"));
    const tlsApi = tlsModule as NodeTls;
    const name = tls.serverName ?? host;
    sock = tlsApi.connect({
      host,
      port,
      rejectUnauthorized: !tls.insecureSkipVerify,
      // SNI carries names only; the certificate is still checked against `name`.
      ...(IP.test(name) ? {} : { servername: name }),
      checkServerIdentity: checkIdentityAs(tlsModule, name),
      ...(tls.caCerts ? { ca: tls.caCerts } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.alpnProtocols ? { ALPNProtocols: tls.alpnProtocols } : {}),
    });
    ready = "secureConnect";
  } else {
    const net = (await (nodeNet ??= import("node:net"))) as unknown as NodeNet;
    sock = net.connect({ host, port });
    ready = "connect";
  }
  const opened = new Promise<NodeSocket>((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    sock.once("error", onError);
    sock.once(ready, () => {
      sock.removeListener("error", onError);
      resolve(sock);
    });
  });
  try {
    await raceAbort(opened, signal, (s) => s.destroy());
  } catch (e) {
    sock.destroy();
    throw tlsError(e);
  }
  sock.setNoDelay(true);
  return new NodeTransport(sock);
}

type CheckIdentity = (host: string, cert: unknown) => Error | undefined;

/** Verify the certificate against `name` whatever host was dialled. */
function checkIdentityAs(mod: unknown, name: string): CheckIdentity {
  const check = (mod as { checkServerIdentity: CheckIdentity }).checkServerIdentity;
  return (_host, cert) => check(name, cert);
}

class NodeTransport implements Transport {
  #sock: NodeSocket;
  #inbox: Inbox;
  #ended = false;
  #error: Error | null = null;

  constructor(sock: NodeSocket) {
    this.#sock = sock;
    this.#inbox = new Inbox({ pause: () => sock.pause(), resume: () => sock.resume() });
    sock.on("data", (d: Uint8Array) => {
      // A Buffer is a Uint8Array; hand out a plain view of the same memory.
      this.#inbox.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
    });
    sock.on("error", (e: Error) => this.#finish(e));
    sock.on("end", () => this.#finish(null));
    sock.on("close", () => this.#finish(null));
  }

  #finish(err: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (err) this.#error = tlsError(err);
    this.#inbox.end(this.#error);
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  write(bytes: Uint8Array): Promise<void> | void {
    if (this.#ended) return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    // Node queues every write in order; wait for the kernel only when its buffer is full,
    // with one shared drain promise however many writes are waiting.
    if (this.#sock.write(bytes) && !this.#drained) return;
    return this.#drain();
  }

  /** A header and its payload in one `writev` system call (corked), the payload not copied. */
  writev(header: Uint8Array, payload: Uint8Array): Promise<void> | void {
    if (this.#ended) return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    const sock = this.#sock;
    sock.cork();
    sock.write(header);
    const ok = sock.write(payload);
    sock.uncork();
    if (ok && !this.#drained) return;
    return this.#drain();
  }

  #drain(): Promise<void> {
    this.#drained ??= new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.#sock.removeListener("close", onClose);
        this.#drained = null;
        resolve();
      };
      const onClose = (): void => {
        this.#sock.removeListener("drain", onDrain);
        this.#drained = null;
        reject(this.#error ?? new Error("Cannot write: the connection is closed"));
      };
      this.#sock.once("drain", onDrain);
      this.#sock.once("close", onClose);
    });
    return this.#drained;
  }

  #drained: Promise<void> | null = null;

  #closedByPeer: Promise<void> | undefined;

  close(): Promise<void> | void {
    if (this.#closedByPeer) return this.#closedByPeer;
    if (this.#ended && this.#error) return;
    this.#finish(null);
    const sock = this.#sock;
    // Let queued bytes (e.g. DISCONNECT) go out and half-close; read on (a paused socket would hold the broker's
    // FIN unread) until the broker closes, then make sure the socket dies.
    this.#closedByPeer = new Promise<void>((resolve) => {
      if (sock.destroyed) return resolve();
      const timer = setTimeout(() => sock.destroy(), 2000);
      (timer as { unref?(): void }).unref?.();
      sock.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
    });
    sock.resume();
    sock.end();
    return this.#closedByPeer;
  }
}
