/**
 * The receive side shared by transports whose sockets push data (Bun, Node,
 * WebSocket): chunks wait here for `read()`, and the source is paused while
 * more than a high-water mark of them is unread.
 *
 * @module
 */

/** Pauses and resumes a push source; absent where the source cannot pause (WebSocket). */
export interface Flow {
  /** Stop delivering data. */
  pause(): void;
  /** Deliver data again. */
  resume(): void;
}

/** Unread bytes above which the source is paused (resumed below half of it). */
export const HIGH_WATER = 1 << 20;

/**
 * Received chunks waiting for `read()`.
 *
 * @example Handing pushed chunks to a reader
 * ```ts
 * import { Inbox } from "./_inbox.ts";
 * const inbox = new Inbox();
 * inbox.push(new Uint8Array([1]));
 * inbox.end(null);
 * console.log(await inbox.read(), await inbox.read()); // Uint8Array(1) [ 1 ] null
 * ```
 */
export class Inbox {
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #paused = false;
  #ended = false;
  #error: Error | null = null;
  #reader: { resolve(v: Uint8Array | null): void; reject(e: Error): void } | null = null;
  #flow: Flow | undefined;

  /**
   * @param flow How to pause the source, if it can be paused.
   */
  constructor(flow?: Flow) {
    this.#flow = flow;
  }

  /** Whether the stream has ended (cleanly or not). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Why the stream ended, if it failed. */
  get error(): Error | null {
    return this.#error;
  }

  /**
   * A chunk arrived; it is handed over (not copied).
   *
   * @param chunk The bytes.
   */
  push(chunk: Uint8Array): void {
    if (this.#ended) return;
    const r = this.#reader;
    if (r) {
      this.#reader = null;
      r.resolve(chunk);
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    if (this.#flow && this.#bytes > HIGH_WATER && !this.#paused) {
      this.#paused = true;
      this.#flow.pause();
    }
  }

  /**
   * The stream ended; the first call wins. Chunks already received can
   * still be read; then `read()` resolves `null`, or rejects with `error`.
   *
   * @param error Why, or `null` for a clean end.
   */
  end(error: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    const r = this.#reader;
    this.#reader = null;
    if (r) {
      if (error) r.reject(error);
      else r.resolve(null);
    }
  }

  /**
   * The next chunk, `null` at a clean end; rejects after a failed end.
   *
   * @returns A chunk or `null`.
   */
  read(): Promise<Uint8Array | null> {
    const c = this.#chunks.shift();
    if (c) {
      this.#bytes -= c.length;
      if (this.#paused && this.#bytes < HIGH_WATER / 2) {
        this.#paused = false;
        this.#flow?.resume();
      }
      return Promise.resolve(c);
    }
    if (this.#ended) return this.#error ? Promise.reject(this.#error) : Promise.resolve(null);
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }
}
