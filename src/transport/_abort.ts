/**
 * Abort helper shared by the transports.
 *
 * @module
 */

/**
 * Settle with `promise`, or reject with `signal.reason` as soon as the
 * signal aborts; a resource that arrives after the abort is handed to
 * `dispose` so nothing leaks.
 *
 * @param promise The pending connection attempt.
 * @param signal Optional abort signal.
 * @param dispose Releases a late result.
 * @returns The result of `promise`.
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  dispose: (value: T) => void,
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.then(dispose, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.then(dispose, () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) dispose(v);
        else resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
