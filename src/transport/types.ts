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
   *
   * @returns The next chunk, or `null` once the stream has ended.
   */
  read(): Promise<Uint8Array | null>;
  /**
   * Send bytes, in call order. May return a promise that resolves once the
   * bytes were accepted by the link (backpressure); a rejection means the
   * link failed. The caller may reuse nothing: `bytes` is handed over.
   *
   * @param bytes One or more whole MQTT packets.
   * @returns Nothing, or a promise that settles when the link took the bytes.
   */
  write(bytes: Uint8Array): Promise<void> | void;
  /**
   * Optional: send `header` and then `payload` as if they were one
   * {@linkcode Transport.write} of both joined, without joining them (a
   * PUBLISH's header from `encodePublishHeader` and its payload, so a large
   * payload is not copied into a new array first). Same order, backpressure
   * and hand-over rules as `write`: both arrays are handed over. Callers
   * fall back to `write` when it is absent.
   *
   * @param header The bytes to send first.
   * @param payload The bytes to send right after them.
   * @returns Nothing, or a promise that settles when the link took the bytes.
   */
  writev?(header: Uint8Array, payload: Uint8Array): Promise<void> | void;
  /**
   * Close the link; pending and later reads resolve `null`. Idempotent.
   * May return a promise that settles once the peer closed its side too
   * (it has read everything sent): `disconnect()` waits for it, within
   * its timeout, so a client connecting right after never races the
   * broker's handling of this connection. It should not reject.
   *
   * @returns Nothing, or a promise that settles when the peer has closed.
   */
  close(): void | Promise<void>;
}

/**
 * TLS settings, passed as the client's `tls` option (`tls: true` means
 * all defaults: the system's CAs, the host name checked).
 *
 * @example A private CA and a client certificate (mutual TLS)
 * ```ts
 * import type { TlsOptions } from "./types.ts";
 * const pem = (label: string): string => `-----BEGIN ${label}-----\n...\n-----END ${label}-----\n`;
 * const tls: TlsOptions = {
 *   caCerts: [pem("CERTIFICATE")],
 *   serverName: "broker.local",
 *   cert: pem("CERTIFICATE"),
 *   key: pem("PRIVATE KEY"),
 * };
 * console.log(tls.serverName); // "broker.local"
 * ```
 */
export interface TlsOptions {
  /** PEM CA certificates to trust instead of the system store. When absent, the system's CAs are trusted. */
  caCerts?: string[] | undefined;
  /** Name to verify the certificate against (and send as SNI). When absent, the host connected to. */
  serverName?: string | undefined;
  /** PEM client certificate chain, for mutual TLS. When absent, no client certificate is sent. */
  cert?: string | undefined;
  /** PEM private key of `cert`; needed with `cert`. When absent, no key is sent. */
  key?: string | undefined;
  /** ALPN protocols to offer (e.g. `["mqtt"]` for brokers on port 443). When absent, none are offered. */
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

/**
 * MQTT over WebSockets: where the HTTP upgrade goes. The client builds it
 * from a `ws://` or `wss://` server URL.
 *
 * @example The endpoint of a `wss:` URL
 * ```ts
 * import type { WebSocketEndpoint } from "./types.ts";
 * const ws: WebSocketEndpoint = { url: "wss://broker.example:443/mqtt", protocols: ["mqtt"] };
 * console.log(new URL(ws.url).pathname); // "/mqtt"
 * ```
 */
export interface WebSocketEndpoint {
  /** `ws://` or `wss://` URL without credentials, path included (e.g. `wss://host:443/mqtt`). */
  url: string;
  /**
   * Subprotocols to offer.
   *
   * @default {["mqtt"]}
   */
  protocols?: string[] | undefined;
}

/**
 * Where and how to connect: what the client passes to a
 * {@linkcode TransportFactory}.
 *
 * @example What a `mqtts://broker.example` server becomes
 * ```ts
 * import type { TransportConnectOptions } from "./types.ts";
 * const where: TransportConnectOptions = { host: "broker.example", port: 8883, tls: {} };
 * console.log(`${where.host}:${where.port}`); // "broker.example:8883"
 * ```
 */
export interface TransportConnectOptions {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** TLS settings; absent (or `undefined`) for plain TCP or `ws://`. */
  tls?: TlsOptions | undefined;
  /**
   * Set for `ws://`/`wss://` servers: speak MQTT over a WebSocket to this
   * URL instead of a raw socket to `host:port`. Absent for raw sockets.
   */
  websocket?: WebSocketEndpoint | undefined;
  /**
   * Aborts the connection attempt (the client's connect deadline or the
   * caller's signal); the factory should reject with its reason and close
   * anything it opened. Absent when nothing can abort it.
   */
  signal?: AbortSignal | undefined;
}

/**
 * Opens a {@linkcode Transport}; pass one as the client's `transport`
 * option to replace the built-in ones. It should reject (and close what it
 * opened) when `options.signal` aborts.
 *
 * @example An in-memory broker for tests: the client runs without a network
 * ```ts
 * import type { Transport, TransportFactory } from "./types.ts";
 * import { MQTTClient } from "../client.ts";
 * import { encodePacket, PacketDecoder } from "../codec/mod.ts";
 *
 * // Accepts the connection, grants every subscription, echoes every publish at QoS 0.
 * const echoBroker: TransportFactory = () => {
 *   const decoder = new PacketDecoder();
 *   const inbox: (Uint8Array | null)[] = [];
 *   let wake = (): void => {};
 *   const reply = (bytes: Uint8Array | null): void => {
 *     inbox.push(bytes);
 *     wake();
 *   };
 *   const transport: Transport = {
 *     async read() {
 *       while (inbox.length === 0) await new Promise<void>((resolve) => (wake = resolve));
 *       return inbox.shift() ?? null;
 *     },
 *     write(bytes) {
 *       decoder.feed(bytes);
 *       for (let p = decoder.next(); p !== null; p = decoder.next()) {
 *         if (p.type === "connect") reply(encodePacket({ type: "connack", sessionPresent: false, returnCode: 0 }));
 *         if (p.type === "subscribe") {
 *           reply(encodePacket({ type: "suback", packetId: p.packetId, returnCodes: p.subscriptions.map((s) => s.qos) }));
 *         }
 *         if (p.type === "publish") reply(encodePacket({ ...p, qos: 0, packetId: undefined }));
 *       }
 *     },
 *     close: () => reply(null),
 *   };
 *   return Promise.resolve(transport);
 * };
 *
 * const client = new MQTTClient("test", "127.0.0.1", {
 *   transport: echoBroker,
 *   callback: (msg) => console.log(msg.topic, msg.text()),
 * });
 * await client.connect();
 * await client.subscribe("greetings/#");
 * await client.publish("greetings/world", "hello");
 * await client.waitMsg(); // greetings/world hello
 * await client.disconnect();
 * ```
 */
export type TransportFactory = (options: TransportConnectOptions) => Promise<Transport>;
