/**
 * A hostile "broker" on 127.0.0.1 that speaks raw bytes: each test scripts
 * what it sends and when. Built on node:net, which works in both Deno and
 * Bun test processes.
 *
 * @module
 */
import { createServer } from "node:net";
import type { Server, Socket } from "node:net";
import { Buffer } from "node:buffer";
import { hex } from "../_fake.ts";

/** One accepted connection. */
export class Conn {
  /** Every byte received from the client, in order. */
  received: number[] = [];
  /** Resolves when the client closed or the link broke. */
  closed: Promise<void>;
  isClosed = false;
  #waiters: { n: number; resolve(): void; reject(e: Error): void }[] = [];

  constructor(readonly socket: Socket) {
    socket.on("data", (d: Uint8Array) => {
      for (const x of d) this.received.push(x);
      for (const w of this.#waiters.splice(0)) {
        if (this.received.length >= w.n) w.resolve();
        else this.#waiters.push(w);
      }
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.isClosed = true;
        for (const w of this.#waiters.splice(0)) w.reject(new Error(`closed after ${this.received.length} bytes`));
        resolve();
      });
    });
  }

  /** Wait until at least `n` bytes have arrived from the client. */
  bytes(n: number): Promise<void> {
    if (this.received.length >= n) return Promise.resolve();
    if (this.isClosed) return Promise.reject(new Error(`closed after ${this.received.length} bytes`));
    return new Promise((resolve, reject) => this.#waiters.push({ n, resolve, reject }));
  }

  /** Wait for a whole CONNECT (any length) and return its bytes. */
  async connect(): Promise<number[]> {
    await this.bytes(2);
    const total = 2 + this.received[1]!; // CONNECTs in these tests are < 128 bytes
    await this.bytes(total);
    return this.received.slice(0, total);
  }

  /** Send bytes (hex string or bytes); resolves when the kernel took them. */
  send(data: string | Uint8Array): Promise<void> {
    const b = typeof data === "string" ? hex(data) : data;
    return new Promise((resolve) => {
      if (this.isClosed || this.socket.destroyed) return resolve();
      this.socket.write(Buffer.from(b), () => resolve());
    });
  }

  /** Close gracefully (FIN). */
  end(): void {
    this.socket.end();
  }

  /** Close abruptly (RST where the runtime supports it). */
  reset(): void {
    const s = this.socket as Socket & { resetAndDestroy?: () => void };
    if (typeof s.resetAndDestroy === "function") s.resetAndDestroy();
    else s.destroy();
  }
}

/** A running hostile server. */
export interface Hostile {
  port: number;
  /** Connections accepted so far. */
  conns: Conn[];
  /** Resolves with the next (or an already waiting) connection. */
  next(): Promise<Conn>;
  /** Destroy every connection and stop listening. */
  close(): Promise<void>;
}

/** Start a hostile server; `onConn` scripts each connection. */
export async function startHostile(onConn?: (c: Conn) => void | Promise<void>): Promise<Hostile> {
  const conns: Conn[] = [];
  let taken = 0;
  const waiting: ((c: Conn) => void)[] = [];
  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    const c = new Conn(socket);
    conns.push(c);
    const w = waiting.shift();
    if (w) {
      taken++;
      w(c);
    }
    if (onConn) void Promise.resolve(onConn(c)).catch(() => c.reset());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    conns,
    next(): Promise<Conn> {
      if (taken < conns.length) return Promise.resolve(conns[taken++]!);
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close(): Promise<void> {
      for (const c of conns) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Reject if `p` has not settled within `ms` (a hang guard, not a timing assertion). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hung: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, guard]).finally(() => clearTimeout(timer));
}

/** The settled error of `p` (fails if it resolves). */
export async function rejection(p: Promise<unknown>, ms: number, what: string): Promise<Error> {
  try {
    await within(p, ms, what);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith("hung:")) throw e;
    return e as Error;
  }
  throw new Error(`${what} resolved; expected it to reject`);
}

export const CONNACK_OK = "20 02 00 00";
