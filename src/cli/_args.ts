/**
 * A small mosquitto-style argument parser: `-t value`, `--topic value`,
 * `--topic=value`, flags without values, repeated options.
 *
 * @module
 */

/** Bad command-line arguments: the CLI prints the message and exits with 2. */
export class UsageError extends Error {
  /**
   * Create the error.
   *
   * @param message What is wrong, naming the option.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** One option a command accepts. */
export interface OptionSpec {
  /** Key in the parse result. */
  key: string;
  /** Spellings, e.g. `["-t", "--topic"]`. */
  names: string[];
  /** Whether the option takes a value (otherwise it is a flag). */
  value: boolean;
}

/** Parsed options: every value given, in order, per key; flags map to `[""]`. */
export type Parsed = Map<string, { name: string; value: string }[]>;

/**
 * Parse `args` against `specs`.
 *
 * @param args The arguments after the command name.
 * @param specs Accepted options.
 * @returns The values per key.
 * @throws {UsageError} For an unknown option, a missing value, or a positional argument.
 */
export function parseArgs(args: string[], specs: OptionSpec[]): Parsed {
  const byName = new Map<string, OptionSpec>();
  for (const s of specs) for (const n of s.names) byName.set(n, s);
  const out: Parsed = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    let name = arg;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.includes("=")) {
      name = arg.slice(0, arg.indexOf("="));
      inline = arg.slice(arg.indexOf("=") + 1);
    }
    const spec = byName.get(name);
    if (!spec) {
      if (arg.startsWith("-") && arg !== "-") throw new UsageError(`unknown option ${name}`);
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)} (options take the form -t value)`);
    }
    let value = "";
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else {
        const next = args[i + 1];
        if (next === undefined) throw new UsageError(`${name} needs a value`);
        value = next;
        i++;
      }
    } else if (inline !== undefined) {
      throw new UsageError(`${name} takes no value`);
    }
    const list = out.get(spec.key) ?? [];
    list.push({ name, value });
    out.set(spec.key, list);
  }
  return out;
}

/**
 * The last value of an option, or undefined.
 *
 * @param p Parse result.
 * @param key Option key.
 * @returns The name used and the value, or undefined.
 */
export function last(p: Parsed, key: string): { name: string; value: string } | undefined {
  const list = p.get(key);
  return list ? list[list.length - 1] : undefined;
}

/**
 * Parse an integer option within bounds.
 *
 * @param opt The option as given.
 * @param min Smallest allowed value.
 * @param max Largest allowed value.
 * @param what Description for the error, e.g. "a port number".
 * @returns The number.
 */
export function intOption(opt: { name: string; value: string }, min: number, max: number, what: string): number {
  const n = /^\d+$/.test(opt.value) ? Number(opt.value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${opt.name} must be ${what} in ${min}..${max}, got ${JSON.stringify(opt.value)}`);
  }
  return n;
}
