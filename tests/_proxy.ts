/**
 * A TCP proxy on 127.0.0.1 that tests can break: `drop()` resets every
 * live link; `holdDown(true)` stops forwarding what the broker sends (it is
 * dropped: the client never sees it). Works under Deno and Bun.
 *
 * @module
 */
import { connect, createServer } from "node:net";
import type { Server, Socket } from "node:net";

/** A running proxy. */
export interface Proxy {
  /** Port to connect to. */
  port: number;
  /** Links opened so far. */
  connections: number;
  /** Destroy every live link (both sides). */
  drop(): void;
  /** While `true`, bytes from the broker are swallowed (an acknowledgement that never arrives). */
  holdDown(on: boolean): void;
  /** Stop forwarding and close the listener. */
  close(): Promise<void>;
}

/**
 * Start a proxy forwarding 127.0.0.1:`port` → 127.0.0.1:`target()`.
 *
 * @param target The upstream port (read on every new link, so it may change).
 * @returns The proxy.
 */
export async function startProxy(target: () => number): Promise<Proxy> {
  const live = new Set<Socket>();
  let connections = 0;
  let swallow = false;
  const server: Server = createServer((down) => {
    connections++;
    const up = connect({ host: "127.0.0.1", port: target() });
    live.add(down);
    live.add(up);
    const end = (): void => {
      down.destroy();
      up.destroy();
      live.delete(down);
      live.delete(up);
    };
    down.on("data", (d) => up.write(d));
    up.on("data", (d) => swallow || down.write(d));
    down.on("close", end);
    up.on("close", end);
    down.on("error", end);
    up.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    port,
    get connections() {
      return connections;
    },
    drop() {
      for (const s of live) s.destroy();
      live.clear();
    },
    holdDown(on: boolean) {
      swallow = on;
    },
    close() {
      for (const s of live) s.destroy();
      live.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
