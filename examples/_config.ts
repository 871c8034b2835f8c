/**
 * Settings shared by the examples: the broker URL from `--url`, the
 * `MQTT_URL` environment variable, or `mqtt://127.0.0.1:1883`; a bounded
 * run with `--count N`; and `--interval MS`.
 *
 * @module
 */
import process from "node:process";

/** What an example was asked to do. */
export interface ExampleConfig {
  /** Broker URL. */
  url: string;
  /** How many messages to send or receive before exiting. */
  count: number;
  /** Milliseconds between messages. */
  interval: number;
}

/** Read `--url`, `--count`, `--interval` (or a bare URL) from argv, and `MQTT_URL`. */
export function exampleConfig(defaults: { count: number; interval?: number }): ExampleConfig {
  const args = process.argv.slice(2);
  const cfg: ExampleConfig = {
    url: process.env.MQTT_URL || "mqtt://127.0.0.1:1883",
    count: defaults.count,
    interval: defaults.interval ?? 1000,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const num = (name: string): number => {
      const n = Number(args[++i]);
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number, got ${args[i]}`);
      return n;
    };
    if (a === "--count") cfg.count = num(a);
    else if (a === "--interval") cfg.interval = num(a);
    else if (a === "--url") cfg.url = args[++i] ?? cfg.url;
    else if (a.includes("://")) cfg.url = a;
    else throw new TypeError(`Unknown argument ${JSON.stringify(a)}: use --url URL, --count N, --interval MS`);
  }
  return cfg;
}
