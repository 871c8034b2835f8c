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
  /** Deliver the client's bytes (and its close) to the broker `ms` later: a broker slow to read this link. */
  delayUp(ms: number): void;
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
  let upDelay = 0;
  // Half-open links are kept, so each side's close travels like its bytes (with a delay, after them).
  const server: Server = createServer({ allowHalfOpen: true }, (down) => {
    connections++;
    const up = connect({ host: "127.0.0.1", port: target(), allowHalfOpen: true });
    live.add(down);
    live.add(up);
    const delay = upDelay;
    const destroy = (): void => {
      down.destroy();
      up.destroy();
      live.delete(down);
      live.delete(up);
    };
    down.on("data", (d) => void (delay > 0 ? setTimeout(() => up.write(d), delay) : up.write(d)));
    up.on("data", (d) => swallow || down.write(d));
    // Without a delay, a close on either side ends the link at once (as a plain TCP relay that closes both).
    down.on("end", () => void (delay > 0 ? setTimeout(() => up.end(), delay) : destroy()));
    up.on("end", () => void (delay > 0 ? down.end() : destroy()));
    down.on("close", destroy);
    up.on("close", () => void (delay > 0 ? setTimeout(destroy, delay) : destroy()));
    down.on("error", destroy);
    up.on("error", destroy);
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
    delayUp(ms: number) {
      upDelay = ms;
    },
    close() {
      for (const s of live) s.destroy();
      live.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
