/**
 * MQTT over WebSockets with the standard `WebSocket` (Deno, Bun, browsers,
 * Node 22+): subprotocol `mqtt`, binary frames. Frames need not match
 * packets: the client's decoder is a stream decoder, so a packet split
 * across frames and several packets in one frame both work.
 *
 * TLS (`wss:`) settings: Deno takes `caCerts` and a client certificate
 * through `Deno.createHttpClient`, Bun through its `tls` option; browsers use
 * the system's certificate store only, so there any custom TLS setting is
 * an error rather than silently ignored.
 *
 * @module
 */
import { raceAbort } from "./_abort.ts";
import { tlsError } from "./_errors.ts";
import type { TlsOptions, Transport, TransportConnectOptions } from "./types.ts";
import { Inbox } from "./_inbox.ts";

/** Pause writers while more than this many bytes wait in the socket. */
const HIGH_WATER = 1 << 20;
/** How often to look at `bufferedAmount` while writers wait, in ms. */
const DRAIN_POLL_MS = 10;

interface DenoHttp {
  createHttpClient(options: Record<string, unknown>): { close(): void };
}

/**
 * Open an MQTT-over-WebSocket link to `options.websocket.url`.
 *
 * @param options Needs `websocket` (URL and subprotocols); `tls` for `wss:` settings; abort signal.
 * @returns A connected transport.
 * @example MQTT over a WebSocket
 * ```ts ignore
 * import { connectWebSocket } from "./websocket.ts";
 * const t = await connectWebSocket({ host: "127.0.0.1", port: 9001, websocket: { url: "ws://127.0.0.1:9001/mqtt" } });
 * t.close();
 * ```
 */
export async function connectWebSocket(options: TransportConnectOptions): Promise<Transport> {
  const { websocket, signal } = options;
  if (!websocket) throw new TypeError("connectWebSocket() needs `websocket: { url }`");
  signal?.throwIfAborted();
  const WS = (globalThis as { WebSocket?: typeof WebSocket }).WebSocket;
  if (typeof WS !== "function") {
    throw new Error("No WebSocket in this runtime (Node 22+, Deno, Bun and browsers have one): pass a `transport`");
  }
  const protocols = websocket.protocols ?? ["mqtt"];
  const extra = runtimeOptions(options.tls);
  let ws: WebSocket;
  try {
    // Deno and Bun take a non-standard options object as the second argument.
    ws = extra
      ? new (WS as unknown as new (url: string, o: unknown) => WebSocket)(websocket.url, {
        protocols,
        ...extra.options,
      })
      : new WS(websocket.url, protocols);
  } catch (e) {
    extra?.dispose();
    throw e;
  }
  ws.binaryType = "arraybuffer";
  const t = new WebSocketTransport(ws, extra?.dispose);
  try {
    await raceAbort(t.opened, signal, () => t.close());
  } catch (e) {
    t.close();
    throw e;
  }
  return t;
}

/** Per-runtime options for custom TLS settings, or null when none are needed. */
function runtimeOptions(
  tls: TlsOptions | undefined,
): { options: Record<string, unknown>; dispose(): void } | null {
  if (!tls) return null;
  const custom = tls.caCerts || tls.cert || tls.key || tls.serverName || tls.alpnProtocols || tls.insecureSkipVerify;
  if (!custom) return null;
  if (!tls.cert !== !tls.key) throw new TypeError("A TLS client certificate needs both `cert` and `key`");
  const g = globalThis as { Bun?: unknown; Deno?: Partial<DenoHttp> };
  if (g.Bun !== undefined) {
    return {
      options: {
        tls: {
          rejectUnauthorized: !tls.insecureSkipVerify,
          ...(tls.serverName ? { serverName: tls.serverName } : {}),
          ...(tls.caCerts ? { ca: tls.caCerts } : {}),
          ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
        },
      },
      dispose: () => {},
    };
  }
  if (typeof g.Deno?.createHttpClient === "function") {
    if (tls.insecureSkipVerify) {
      throw new Error(
        "Cannot skip TLS certificate verification per connection on Deno (insecureSkipVerify): " +
          "pass the broker's CA in caCerts, or start Deno with --unsafely-ignore-certificate-errors=<host>",
      );
    }
    if (tls.serverName) {
      throw new Error("Cannot set serverName for wss: on Deno: put the certificate's name in the URL");
    }
    const client = g.Deno.createHttpClient({
      ...(tls.caCerts ? { caCerts: tls.caCerts } : {}),
      ...(tls.cert ? { cert: tls.cert, key: tls.key } : {}),
    });
    return { options: { client }, dispose: () => client.close() };
  }
  throw new Error(
    "Cannot apply TLS settings to a WebSocket in this runtime (browsers use the system's certificates): " +
      "remove caCerts, cert, key, serverName, alpnProtocols and insecureSkipVerify",
  );
}

class WebSocketTransport implements Transport {
  #ws: WebSocket;
  #dispose: (() => void) | undefined;
  #inbox = new Inbox(); // a WebSocket cannot be paused
  #ended = false;
  #error: Error | null = null;
  #drainWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  #drainTimer: ReturnType<typeof setTimeout> | null = null;
  /** Settles when the handshake finished (or failed). */
  readonly opened: Promise<void>;

  constructor(ws: WebSocket, dispose: (() => void) | undefined) {
    this.#ws = ws;
    this.#dispose = dispose;
    let openedOk: () => void;
    let openedFail: (e: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      openedOk = resolve;
      openedFail = reject;
    });
    let open = false;
    ws.addEventListener("open", () => {
      open = true;
      openedOk();
    });
    ws.addEventListener("message", (ev: MessageEvent) => {
      const d: unknown = ev.data;
      if (d instanceof ArrayBuffer) this.#push(new Uint8Array(d));
      else if (ArrayBuffer.isView(d)) this.#push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      else {
        this.#finish(new Error("Received a text WebSocket frame: MQTT needs binary frames"));
        this.#ws.close(1003, "MQTT needs binary frames");
      }
    });
    // An `error` event carries no detail; the `close` event that follows has the code.
    ws.addEventListener("error", (ev: Event) => {
      const detail = (ev as ErrorEvent).message || ((ev as ErrorEvent).error as Error | undefined)?.message;
      if (!open) openedFail(tlsError(new Error(`WebSocket connection failed${detail ? `: ${detail}` : ""}`)));
      this.#error ??= tlsError(new Error(`WebSocket error${detail ? `: ${detail}` : ""}`));
    });
    ws.addEventListener("close", (ev: CloseEvent) => {
      const why = `WebSocket closed with code ${ev.code}${ev.reason ? ` (${ev.reason})` : ""}`;
      if (!open) openedFail(new Error(`WebSocket connection failed: ${why}`));
      this.#finish(ev.wasClean || ev.code === 1000 ? null : (this.#error ?? new Error(why)));
    });
  }

  #push(chunk: Uint8Array): void {
    this.#inbox.push(chunk);
  }

  #finish(err: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    if (err) this.#error = err;
    this.#inbox.end(err);
    if (this.#drainTimer !== null) clearTimeout(this.#drainTimer);
    this.#drainTimer = null;
    const e = err ?? new Error("Cannot write: the connection is closed");
    for (const w of this.#drainWaiters.splice(0)) w.reject(e);
    this.#dispose?.();
    this.#dispose = undefined;
  }

  read(): Promise<Uint8Array | null> {
    return this.#inbox.read();
  }

  write(bytes: Uint8Array): Promise<void> | void {
    if (this.#ended) return Promise.reject(this.#error ?? new Error("Cannot write: the connection is closed"));
    this.#ws.send(bytes);
    if (this.#ws.bufferedAmount <= HIGH_WATER) return;
    // The WebSocket API has no drain event: look again until the buffer shrinks.
    return new Promise((resolve, reject) => {
      this.#drainWaiters.push({ resolve, reject });
      this.#pollDrain();
    });
  }

  #pollDrain(): void {
    if (this.#drainTimer !== null) return;
    this.#drainTimer = setTimeout(() => {
      this.#drainTimer = null;
      if (this.#ended) return;
      if (this.#ws.bufferedAmount > HIGH_WATER / 2) {
        this.#pollDrain();
        return;
      }
      for (const w of this.#drainWaiters.splice(0)) w.resolve();
    }, DRAIN_POLL_MS);
  }

  close(): void {
    if (!this.#ended) this.#finish(null);
    try {
      this.#ws.close(1000);
    } catch {
      // already closing
    }
  }
}
