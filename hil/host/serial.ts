/**
 * The serial link to the rig: a real USB serial device or the pty socat makes
 * around rig-sim. Bytes are kept verbatim for the raw log, split into lines,
 * and fed to a {@linkcode CaptureVerifier}.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { closeSync, createReadStream, openSync, writeSync } from "node:fs";
import type { ReadStream } from "node:fs";
import { CaptureVerifier } from "./records.ts";

/** Options for {@linkcode SerialLink.open}. */
export interface SerialOptions {
  /** Set the line speed with stty (real devices). @default undefined (leave as is) */
  baud?: number;
}

/** A line-oriented serial link with pattern waits. */
export class SerialLink {
  readonly path: string;
  readonly verifier: CaptureVerifier = new CaptureVerifier();
  /** Every byte received, in order. */
  readonly raw: Uint8Array[] = [];
  readonly lines: string[] = [];
  #fd: number;
  #stream: ReadStream;
  #partial = "";
  #waiters: { re: RegExp; from: number; resolve: (l: string) => void }[] = [];
  #closing = false;
  #lostError: string | null = null;
  #lineListeners: ((line: string) => void)[] = [];
  #rawListeners: ((bytes: Uint8Array) => void)[] = [];

  private constructor(path: string, fd: number) {
    this.path = path;
    this.#fd = fd;
    this.#stream = createReadStream("", { fd, autoClose: false, highWaterMark: 65536 });
    this.#stream.on(
      "data",
      (chunk: string | Uint8Array) => this.#onData(typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk),
    );
    this.#stream.on("error", (e: Error) => {
      if (this.#closing) return;
      this.#lostError = `serial device ${path} failed: ${e.message} (unplugged, rig reset, or emulator exited)`;
      this.verifier.linkLost(this.#lostError);
    });
  }

  /**
   * Open a serial device.
   *
   * @param path e.g. /dev/ttyUSB0 or the socat pty link.
   * @param opts Line speed for real devices.
   * @returns The open link.
   * @throws {Error} When the device cannot be opened or configured.
   */
  static open(path: string, opts: SerialOptions = {}): SerialLink {
    if (opts.baud) {
      // raw mode, no echo; -hupcl keeps DTR from toggling on close (ESP32 auto-reset)
      const r = spawnSync("stty", ["-F", path, String(opts.baud), "raw", "-echo", "-hupcl", "-crtscts"], {
        encoding: "utf8",
      });
      if (r.status !== 0) {
        throw new Error(
          `Cannot configure serial device "${path}" at ${opts.baud} baud: ${r.stderr || r.error?.message}`,
        );
      }
    }
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch (e) {
      throw new Error(`Cannot open serial device "${path}": ${(e as Error).message}`);
    }
    return new SerialLink(path, fd);
  }

  #onData(chunk: Uint8Array): void {
    this.raw.push(new Uint8Array(chunk));
    for (const f of this.#rawListeners) f(chunk);
    let s = this.#partial;
    for (const b of chunk) s += String.fromCharCode(b);
    const parts = s.split("\n");
    this.#partial = parts.pop() ?? "";
    for (const line of parts) {
      this.lines.push(line);
      this.verifier.push(line);
      for (const l of this.#lineListeners) l(line);
      this.#waiters = this.#waiters.filter((w) => {
        if (w.re.test(line)) {
          w.resolve(line);
          return false;
        }
        return true;
      });
    }
  }

  /** Call `f` for every line received from now on. */
  onLine(f: (line: string) => void): void {
    this.#lineListeners.push(f);
  }

  /**
   * Wait for a line matching `re` (received from now on, or already received
   * after line index `since`).
   *
   * @param re Pattern.
   * @param timeoutMs Give up after this long.
   * @param since Also search lines from this index on.
   * @returns The matching line.
   * @throws {Error} On timeout, naming the pattern and the last lines seen.
   */
  expect(re: RegExp, timeoutMs: number, since = this.lines.length): Promise<string> {
    for (let k = since; k < this.lines.length; k++) if (re.test(this.lines[k]!)) return Promise.resolve(this.lines[k]!);
    return new Promise((resolve, reject) => {
      const w = {
        re,
        from: since,
        resolve: (l: string) => {
          clearTimeout(t);
          resolve(l);
        },
      };
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w);
        const tail = this.lines.slice(-3).map((l) => JSON.stringify(l.slice(0, 100))).join(", ");
        reject(
          new Error(
            `No line matching ${re} from ${this.path} within ${timeoutMs} ms${
              this.#lostError ? ` (${this.#lostError})` : ""
            }; last lines: ${tail || "(none)"}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push(w);
    });
  }

  /** Call `f` with every chunk of bytes received from now on. */
  onData(f: (bytes: Uint8Array) => void): void {
    this.#rawListeners.push(f);
  }

  /** Write raw bytes. */
  write(bytes: Uint8Array): void {
    writeSync(this.#fd, bytes);
  }

  /** Send a console command line. */
  send(line: string): void {
    writeSync(this.#fd, line + "\n");
  }

  /** All raw bytes received so far. */
  rawBytes(): Uint8Array {
    const n = this.raw.reduce((a, c) => a + c.length, 0);
    const out = new Uint8Array(n);
    let p = 0;
    for (const c of this.raw) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }

  /** Time since the last byte arrived is not tracked; wait until `quiet` ms pass without a new line. */
  async settle(quietMs: number, maxMs: number, done: () => boolean = () => false): Promise<void> {
    const start = Date.now();
    let last = this.lines.length, lastChange = Date.now();
    while (Date.now() - start < maxMs) {
      await new Promise((r) => setTimeout(r, 20));
      if (this.lines.length !== last) {
        last = this.lines.length;
        lastChange = Date.now();
      }
      if (Date.now() - lastChange >= quietMs && done()) return;
      if (Date.now() - lastChange >= quietMs * 4) return;
    }
  }

  /** Close the device. */
  close(): void {
    this.#closing = true;
    this.#stream.destroy();
    try {
      closeSync(this.#fd);
    } catch {
      // already closed by the stream
    }
  }
}
