/**
 * Transports and the runtime check that picks one.
 *
 * | endpoint         | Deno                 | Bun           | Node                  | browser     |
 * | ---------------- | -------------------- | ------------- | --------------------- | ----------- |
 * | `mqtt:`/`mqtts:` | `Deno.connect(Tls)`  | `Bun.connect` | `node:net`/`node:tls` | —           |
 * | `ws:`/`wss:`     | `WebSocket`          | `WebSocket`   | `WebSocket` (22+)     | `WebSocket` |
 *
 * Each transport is a module of its own, loaded with a dynamic `import()`
 * the first time it is needed: a Deno program never loads the Bun, Node or
 * WebSocket code, and a bundler that splits code (`esbuild --splitting`,
 * `deno bundle --code-splitting`) puts each transport in a chunk of its own.
 * Import `./deno.ts`, `./bun.ts`, `./node.ts` or `./websocket.ts` to use one
 * directly.
 *
 * @module
 */
import type { Transport, TransportConnectOptions } from "./types.ts";

export type { TlsOptions, Transport, TransportConnectOptions, TransportFactory, WebSocketEndpoint } from "./types.ts";

type Connect = (options: TransportConnectOptions) => Promise<Transport>;

// Loaded connectors, so later connections skip the import() (one promise and a few microtasks).
let tcp: Connect | undefined;
let ws: Connect | undefined;

/**
 * Open a transport with what the runtime offers: the standard `WebSocket`
 * for `ws:`/`wss:` endpoints, otherwise Bun's `Bun.connect`, Deno's
 * `Deno.connect`/`Deno.connectTls`, or Node's `node:net`/`node:tls`.
 * Picked by feature check, not by name; the transport's module is loaded on
 * first use.
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
  if (options.websocket) {
    return ws ? ws(options) : import("./websocket.ts").then((m) => (ws = m.connectWebSocket)(options));
  }
  if (tcp) return tcp(options);
  const g = globalThis as { Bun?: unknown; Deno?: { connect?: unknown }; process?: { versions?: { node?: string } } };
  const load: Promise<Connect> | null = g.Bun !== undefined
    ? import("./bun.ts").then((m) => m.connectBun)
    : typeof g.Deno?.connect === "function"
    ? import("./deno.ts").then((m) => m.connectDeno)
    : typeof g.process?.versions?.node === "string"
    ? import("./node.ts").then((m) => m.connectNode)
    : null;
  if (!load) {
    return Promise.reject(
      new Error(
        "No raw socket API in this runtime (a browser?): use a ws:// or wss:// server URL, or pass a `transport` option",
      ),
    );
  }
  return load.then((connect) => (tcp = connect)(options));
}
