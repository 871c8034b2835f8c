/**
 * The few runtime services the command-line tool needs (arguments, stdio,
 * files, exit, signals), picked by feature check: Deno's namespace when
 * present, otherwise Bun's globals and the Node-style `process`.
 *
 * @module
 */

interface DenoLike {
  args: string[];
  stdout: { write(p: Uint8Array): Promise<number> };
  stderr: { write(p: Uint8Array): Promise<number> };
  stdin: { readable: ReadableStream<Uint8Array> };
  readFile(path: string): Promise<Uint8Array>;
  exit(code: number): never;
  addSignalListener(signal: string, handler: () => void): void;
  removeSignalListener(signal: string, handler: () => void): void;
}

interface BunLike {
  stdin: { stream(): ReadableStream<Uint8Array> };
  stdout: unknown;
  stderr: unknown;
  file(path: string): { bytes(): Promise<Uint8Array> };
  write(dest: unknown, data: Uint8Array): Promise<number>;
}

interface ProcessLike {
  argv: string[];
  exit(code: number): never;
  on(signal: string, handler: () => void): void;
  off(signal: string, handler: () => void): void;
}

/** Runtime services used by the CLI. */
export interface Runtime {
  /** Command-line arguments after the script name. */
  args(): string[];
  /** Queue bytes for stdout (in order). */
  stdout(bytes: Uint8Array): void;
  /** Queue bytes for stderr (in order). */
  stderr(bytes: Uint8Array): void;
  /** Wait until queued output is written. */
  flush(): Promise<void>;
  /** Standard input as a byte stream. */
  stdin(): ReadableStream<Uint8Array>;
  /** Read a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** End the process. */
  exit(code: number): never;
  /** Call `handler` on SIGINT and SIGTERM; returns a function that removes it. */
  onInterrupt(handler: () => void): () => void;
  /** Set by `--quiet`: error messages (not usage errors) are not printed. */
  quiet?: boolean;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * The services of the runtime this code runs on.
 *
 * @returns A {@linkcode Runtime}.
 */
export function currentRuntime(): Runtime {
  const g = globalThis as { Deno?: DenoLike; Bun?: BunLike; process?: ProcessLike };
  let chain: Promise<void> = Promise.resolve();
  const queue = (write: () => Promise<unknown>): void => {
    // Output errors (a closed pipe) end the output, not the program.
    chain = chain.then(write).then(() => {}, () => {});
  };
  if (g.Deno) {
    const d = g.Deno;
    const writeAll = async (w: { write(p: Uint8Array): Promise<number> }, b: Uint8Array): Promise<void> => {
      let off = 0;
      while (off < b.length) off += await w.write(b.subarray(off));
    };
    return {
      args: () => d.args,
      stdout: (b) => queue(() => writeAll(d.stdout, b)),
      stderr: (b) => queue(() => writeAll(d.stderr, b)),
      flush: () => chain,
      stdin: () => d.stdin.readable,
      readFile: (p) => d.readFile(p),
      exit: (code) => d.exit(code),
      onInterrupt(handler) {
        for (const s of SIGNALS) d.addSignalListener(s, handler);
        return () => {
          for (const s of SIGNALS) d.removeSignalListener(s, handler);
        };
      },
    };
  }
  if (g.Bun && g.process) {
    const b = g.Bun;
    const p = g.process;
    return {
      args: () => p.argv.slice(2),
      stdout: (bytes) => queue(() => b.write(b.stdout, bytes)),
      stderr: (bytes) => queue(() => b.write(b.stderr, bytes)),
      flush: () => chain,
      stdin: () => b.stdin.stream(),
      readFile: (path) => b.file(path).bytes(),
      exit: (code) => p.exit(code),
      onInterrupt(handler) {
        for (const s of SIGNALS) p.on(s, handler);
        return () => {
          for (const s of SIGNALS) p.off(s, handler);
        };
      },
    };
  }
  throw new Error("The umqtt command-line tool runs on Deno or Bun");
}
