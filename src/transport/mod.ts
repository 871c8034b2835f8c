/**
 * Transports and the runtime check that picks one.
 *
 * @module
 */
import { connectBun } from "./bun.ts";
import { connectDeno } from "./deno.ts";
import type { Transport, TransportConnectOptions } from "./types.ts";

export type { TlsOptions, Transport, TransportConnectOptions, TransportFactory } from "./types.ts";

/**
 * Open a transport with the current runtime's native sockets: Deno's
 * `Deno.connect`/`Deno.connectTls` or Bun's `Bun.connect`.
 *
 * @param options Host, port, TLS settings.
 * @returns A connected transport.
 * @example
 * ```ts ignore
 * import { connectNative } from "./mod.ts";
 * const t = await connectNative({ host: "127.0.0.1", port: 1883 });
 * t.close();
 * ```
 */
export function connectNative(options: TransportConnectOptions): Promise<Transport> {
  const g = globalThis as { Bun?: unknown; Deno?: { connect?: unknown } };
  if (g.Bun !== undefined) return connectBun(options);
  if (typeof g.Deno?.connect === "function") return connectDeno(options);
  return Promise.reject(
    new Error("No native socket API found: run on Deno or Bun, or pass a `transport` option"),
  );
}
