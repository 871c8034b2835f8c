/**
 * The clock the session uses for timers, injectable so tests can fake time.
 *
 * @module
 */

/**
 * Time source and timers, passed as the client's `clock` option. Every
 * timer of the client goes through it (connect deadline, keepalive,
 * acknowledgement timeouts, reconnect delays), so tests can advance time
 * by hand instead of sleeping.
 *
 * @example A manual clock for tests
 * ```ts
 * import type { Clock } from "./clock.ts";
 * let time = 0;
 * const timers = new Map<number, { at: number; fn: () => void }>();
 * let next = 1;
 * const clock: Clock = {
 *   now: () => time,
 *   setTimeout: (fn, ms) => {
 *     timers.set(next, { at: time + ms, fn });
 *     return next++;
 *   },
 *   clearTimeout: (handle) => {
 *     timers.delete(handle as number);
 *   },
 * };
 * function advance(ms: number): void {
 *   time += ms;
 *   for (const [id, t] of [...timers]) {
 *     if (t.at <= time) {
 *       timers.delete(id);
 *       t.fn();
 *     }
 *   }
 * }
 * clock.setTimeout(() => console.log("fired at", clock.now()), 1000);
 * advance(1000); // fired at 1000
 * ```
 */
export interface Clock {
  /**
   * The current time in milliseconds, monotonic enough for timeouts.
   *
   * @returns Milliseconds since an arbitrary origin.
   */
  now(): number;
  /**
   * Schedule `fn` once after `ms` milliseconds.
   *
   * @param fn Called when the time has come.
   * @param ms Delay in milliseconds.
   * @returns A handle for {@linkcode Clock.clearTimeout}.
   */
  setTimeout(fn: () => void, ms: number): unknown;
  /**
   * Cancel a timer that has not fired yet.
   *
   * @param handle A handle from {@linkcode Clock.setTimeout}.
   */
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock (`Date.now()` and global timers). `Date.now()` is read for every
 * packet sent, and it is far cheaper than `performance.now()` on some runtimes;
 * the session tolerates it going backwards.
 *
 * @example Setting and cancelling a timer
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
