/**
 * How a bad value appears in an error message: strings quoted (so `"1"`
 * is not mistaken for `1`), everything else as `String()` gives it.
 *
 * @module
 */

/**
 * Format a value for an error message.
 *
 * @param value Any value.
 * @returns `"text"` for strings, `String(value)` otherwise.
 */
export function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
