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
 * The real clock (`performance.now()` and global timers).
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * const h = systemClock.setTimeout(() => {}, 10);
 * systemClock.clearTimeout(h);
 * ```
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as number),
};
