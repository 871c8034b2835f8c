/**
 * MicroPython raw REPL protocol, for recording reference traces with a real
 * board running umqtt.simple.
 *
 *   enter:  "\r\x03\x03" (interrupt), then "\r\x01" (Ctrl-A) ->
 *           board: "raw REPL; CTRL-B to exit\r\n>"
 *   exec:   code bytes, then "\x04" (Ctrl-D) ->
 *           board: "OK" <stdout> "\x04" <stderr / traceback> "\x04" ">"
 *   exit:   "\x02" (Ctrl-B)
 *
 * While code runs, bytes written to the port reach its sys.stdin (used for
 * sync points). Untested on hardware: unit-tested against a fake board.
 *
 * @module
 */

/** A byte link to the board (a serial port, or a fake in tests). */
export interface ByteLink {
  write(bytes: Uint8Array): void;
  /** Register the receiver of incoming bytes. */
  onData(f: (bytes: Uint8Array) => void): void;
}

/** Result of parsing the board's reply to an exec. */
export type ExecReply =
  | { state: "incomplete" }
  | { state: "done"; stdout: string; stderr: string; rest: string }
  | { state: "refused"; got: string };

/**
 * Parse the reply to a raw-REPL exec: "OK" stdout "\x04" stderr "\x04" ">".
 *
 * @param buf Everything received since the code's Ctrl-D (latin1 string).
 * @returns incomplete, done (with the parts and any bytes after ">"), or refused.
 */
export function parseExecReply(buf: string): ExecReply {
  if (buf.length < 2) return "OK".startsWith(buf) ? { state: "incomplete" } : { state: "refused", got: buf };
  if (!buf.startsWith("OK")) return { state: "refused", got: buf };
  const e1 = buf.indexOf("\x04", 2);
  if (e1 < 0) return { state: "incomplete" };
  const e2 = buf.indexOf("\x04", e1 + 1);
  if (e2 < 0 || buf.length < e2 + 2) return { state: "incomplete" };
  if (buf[e2 + 1] !== ">") return { state: "refused", got: buf.slice(e2 + 1, e2 + 40) };
  return { state: "done", stdout: buf.slice(2, e1), stderr: buf.slice(e1 + 1, e2), rest: buf.slice(e2 + 2) };
}

const BANNER = "raw REPL; CTRL-B to exit\r\n>";

function latin1(b: Uint8Array): string {
  let s = "";
  for (const x of b) s += String.fromCharCode(x);
  return s;
}

function bytes(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** Drive a board's raw REPL. */
export class RawRepl {
  #link: ByteLink;
  #buf = "";
  #wake: (() => void) | null = null;
  #chunk: number;
  #chunkDelayMs: number;

  /**
   * @param link The serial link.
   * @param opts chunkSize/chunkDelayMs: code is written in pieces so the
   *   board's UART buffer does not overflow. @default 256 bytes, 10 ms
   */
  constructor(link: ByteLink, opts: { chunkSize?: number; chunkDelayMs?: number } = {}) {
    this.#link = link;
    this.#chunk = opts.chunkSize ?? 256;
    this.#chunkDelayMs = opts.chunkDelayMs ?? 10;
    link.onData((b) => {
      this.#buf += latin1(b);
      this.#wake?.();
    });
  }

  async #until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `MicroPython raw REPL: timed out after ${timeoutMs} ms waiting for ${what}; received ${
            JSON.stringify(this.#buf.slice(-80))
          }`,
        );
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 50));
        this.#wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.#wake = null;
    }
  }

  /** Interrupt whatever runs and enter the raw REPL. */
  async enter(timeoutMs = 5000): Promise<void> {
    this.#link.write(bytes("\r\x03\x03"));
    await new Promise((r) => setTimeout(r, 100));
    this.#buf = "";
    this.#link.write(bytes("\r\x01"));
    await this.#until(() => this.#buf.includes(BANNER), timeoutMs, `the banner ${JSON.stringify(BANNER)}`);
    this.#buf = this.#buf.slice(this.#buf.indexOf(BANNER) + BANNER.length);
  }

  /**
   * Run code and wait for it to finish.
   *
   * @param code Python source.
   * @param timeoutMs Longest run time.
   * @param onOutput Called with stdout text as it arrives (for sync points).
   * @returns stdout and stderr (a traceback when the code raised).
   */
  async exec(
    code: string,
    timeoutMs: number,
    onOutput?: (text: string) => void,
  ): Promise<{ stdout: string; stderr: string }> {
    this.#buf = "";
    const src = bytes(code);
    for (let off = 0; off < src.length; off += this.#chunk) {
      this.#link.write(src.subarray(off, off + this.#chunk));
      if (this.#chunkDelayMs) await new Promise((r) => setTimeout(r, this.#chunkDelayMs));
    }
    this.#link.write(bytes("\x04"));
    let shown = 2;
    let reply: ExecReply = { state: "incomplete" };
    await this.#until(
      () => {
        reply = parseExecReply(this.#buf);
        if (onOutput && this.#buf.startsWith("OK")) {
          const end = this.#buf.indexOf("\x04", 2);
          const upto = end < 0 ? this.#buf.length : end;
          if (upto > shown) {
            onOutput(this.#buf.slice(shown, upto));
            shown = upto;
          }
        }
        return reply.state !== "incomplete";
      },
      timeoutMs,
      "the end of the program (\\x04 \\x04 >)",
    );
    const r = reply as ExecReply;
    if (r.state === "refused") {
      throw new Error(
        `MicroPython raw REPL refused the code: expected "OK", got ${JSON.stringify(r.got.slice(0, 80))}`,
      );
    }
    if (r.state !== "done") throw new Error("MicroPython raw REPL: incomplete reply");
    this.#buf = r.rest;
    return { stdout: r.stdout, stderr: r.stderr };
  }

  /** Send bytes to the running program's stdin. */
  input(text: string): void {
    this.#link.write(bytes(text));
  }

  /** Leave the raw REPL (back to the friendly REPL). */
  exit(): void {
    this.#link.write(bytes("\x02"));
  }
}
