/**
 * The transport interface: the only thing the client needs from a network.
 * Implement it to bring your own link (a tunnel, a serial bridge, a test
 * script).
 *
 * @module
 */

/**
 * A connected, ordered, reliable byte stream.
 *
 * @example A transport over an in-memory pair of queues
 * ```ts
 * import type { Transport } from "./types.ts";
 * const inbox: Uint8Array[] = [];
 * const t: Transport = {
 *   read: () => Promise.resolve(inbox.shift() ?? null),
 *   write: (bytes) => { console.log("sent", bytes.length); },
 *   close: () => {},
 * };
 * ```
 */
export interface Transport {
  /**
   * Next chunk of received bytes; `null` at end of stream. The chunk is
   * handed over: the transport must not reuse its memory. Rejects when
   * the link fails. Called again only after the previous call settled.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Send bytes, in call order. May return a promise that resolves once the
   * bytes were accepted by the link (backpressure); a rejection means the
   * link failed. The caller may reuse nothing: `bytes` is handed over.
   */
  write(bytes: Uint8Array): Promise<void> | void;
  /** Close the link; pending and later reads resolve `null`. Idempotent. */
  close(): void;
}

/** TLS settings. */
export interface TlsOptions {
  /** PEM CA certificates to trust instead of the system store. */
  caCerts?: string[] | undefined;
  /** Name to verify the certificate against (and send as SNI); defaults to the host. */
  serverName?: string | undefined;
  /** PEM client certificate chain, for mutual TLS. */
  cert?: string | undefined;
  /** PEM private key of `cert`. */
  key?: string | undefined;
  /** ALPN protocols to offer (e.g. `["mqtt"]` for brokers on port 443). */
  alpnProtocols?: string[] | undefined;
  /**
   * Accept any server certificate: no chain or name check. Only for tests
   * against throwaway brokers. Bun and Node honour it per connection; Deno
   * cannot skip verification per connection (start Deno with
   * `--unsafely-ignore-certificate-errors` or pass `caCerts` instead) and
   * browsers never can, so there it is rejected with an error.
   * @default {false}
   */
  insecureSkipVerify?: boolean | undefined;
}

/** MQTT over WebSockets: where the HTTP upgrade goes. */
export interface WebSocketEndpoint {
  /** `ws://` or `wss://` URL without credentials, path included (e.g. `wss://host:443/mqtt`). */
  url: string;
  /** Subprotocols to offer. @default {["mqtt"]} */
  protocols?: string[] | undefined;
}

/** Where and how to connect. */
export interface TransportConnectOptions {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
  /** TLS settings, or `undefined` for plain TCP. */
  tls?: TlsOptions | undefined;
  /**
   * Set for `ws://`/`wss://` servers: speak MQTT over a WebSocket to this
   * URL instead of a raw socket to `host:port`.
   */
  websocket?: WebSocketEndpoint | undefined;
  /** Aborts the connection attempt. */
  signal?: AbortSignal | undefined;
}

/**
 * Opens a {@linkcode Transport}; pass one as the client's `transport`
 * option to replace the built-in ones.
 *
 * @example
 * ```ts
 * import type { TransportFactory } from "./types.ts";
 * const factory: TransportFactory = (opts) => Promise.reject(new Error(`no network for ${opts.host}`));
 * ```
 */
export type TransportFactory = (options: TransportConnectOptions) => Promise<Transport>;
