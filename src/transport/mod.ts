/**
 * Transports and the runtime check that picks one.
 *
 * | endpoint         | Deno                 | Bun           | Node                  | browser     |
 * | ---------------- | -------------------- | ------------- | --------------------- | ----------- |
 * | `mqtt:`/`mqtts:` | `Deno.connect(Tls)`  | `Bun.connect` | `node:net`/`node:tls` | —           |
 * | `ws:`/`wss:`     | `WebSocket`          | `WebSocket`   | `WebSocket` (22+)     | `WebSocket` |
 *
 * @module
 */
import { connectBun } from "./bun.ts";
import { connectDeno } from "./deno.ts";
import { connectNode } from "./node.ts";
import { connectWebSocket } from "./websocket.ts";
import type { Transport, TransportConnectOptions } from "./types.ts";

export type { TlsOptions, Transport, TransportConnectOptions, TransportFactory, WebSocketEndpoint } from "./types.ts";
export { connectBun } from "./bun.ts";
export { connectDeno } from "./deno.ts";
export { connectNode } from "./node.ts";
export { connectWebSocket } from "./websocket.ts";

/**
 * Open a transport with what the runtime offers: the standard `WebSocket`
 * for `ws:`/`wss:` endpoints, otherwise Bun's `Bun.connect`, Deno's
 * `Deno.connect`/`Deno.connectTls`, or Node's `node:net`/`node:tls`
 * (loaded on first use). Picked by feature check, not by name.
 *
 * @param options Host, port, TLS settings, WebSocket URL, abort signal.
 * @returns A connected transport.
 * @example Plain TCP on any runtime
 * ```ts ignore
 * import { connectNative } from "./mod.ts";
 * const t = await connectNative({ host: "127.0.0.1", port: 1883 });
 * t.close();
 * ```
 */
export function connectNative(options: TransportConnectOptions): Promise<Transport> {
  if (options.websocket) return connectWebSocket(options);
  const g = globalThis as { Bun?: unknown; Deno?: { connect?: unknown }; process?: { versions?: { node?: string } } };
  if (g.Bun !== undefined) return connectBun(options);
  if (typeof g.Deno?.connect === "function") return connectDeno(options);
  if (typeof g.process?.versions?.node === "string") return connectNode(options);
  return Promise.reject(
    new Error(
      "No raw socket API in this runtime (a browser?): use a ws:// or wss:// server URL, or pass a `transport` option",
    ),
  );
}
