/**
 * The clock the session uses for timers, injectable so tests can fake time.
 *
 * @module
 */

/** Time source and timers. */
export interface Clock {
  /** Milliseconds, monotonic enough for timeouts. */
  now(): number;
  /** Schedule `fn` after `ms` milliseconds; returns a handle. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a handle from {@linkcode Clock.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock (`Date.now()` and global timers). `Date.now()` is read for every
 * packet sent, and it is far cheaper than `performance.now()` on some runtimes;
 * the session tolerates it going backwards.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const h = systemClock.setTimeout(() => {}, 10);
 * systemClock.clearTimeout(h);
 * ```
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
};
