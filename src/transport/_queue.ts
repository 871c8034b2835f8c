/**
 * The send side shared by the Deno and Bun transports: byte arrays wait here
 * in order and leave in as few socket writes as possible, copied as little
 * as possible.
 *
 * @module
 */

/** Parts at least this long are written as they are, never copied. */
export const DIRECT = 64 * 1024;
/** Size of the reusable buffer small parts are gathered into. */
export const STAGE = 256 * 1024;

/**
 * Byte arrays waiting to be written. {@linkcode OutQueue.next} takes the
 * next bytes for one write: a single part or parts that are adjacent views
 * of one buffer (packets encoded one after another in the encoder's slab)
 * as one view, no copy; a part of {@linkcode DIRECT} bytes or more as it
 * is; otherwise small parts (a PUBLISH header and its payload, say) copied
 * into one reusable buffer of {@linkcode STAGE} bytes. That buffer is
 * reused by the next call, so a caller writes what `next()` returned (or
 * gives the unwritten rest back with {@linkcode OutQueue.unshift}, which the
 * next call then returns on its own) before it calls `next()` again.
 *
 * @example Two packets leave in one write
 * ```ts
 * import { OutQueue } from "./_queue.ts";
 * const q = new OutQueue();
 * q.push(new Uint8Array([0xc0, 0]));
 * q.push(new Uint8Array([0xe0, 0]));
 * console.log(q.next()); // Uint8Array(4) [ 192, 0, 224, 0 ]
 * console.log(q.bytes); // 0
 * ```
 */
export class OutQueue {
  #parts: Uint8Array[] = [];
  #head = 0;
  #bytes = 0;
  #stage: Uint8Array | null = null;

  /** Bytes waiting. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether nothing waits. */
  get empty(): boolean {
    return this.#head === this.#parts.length;
  }

  /**
   * Queue bytes; they are handed over (not copied here).
   *
   * @param part The bytes.
   */
  push(part: Uint8Array): void {
    this.#parts.push(part);
    this.#bytes += part.length;
  }

  /**
   * Put back the unwritten rest of what {@linkcode OutQueue.next} returned,
   * in front of everything else.
   *
   * @param rest The bytes not written.
   */
  unshift(rest: Uint8Array): void {
    if (this.#head > 0) this.#parts[--this.#head] = rest;
    else this.#parts.unshift(rest);
    this.#bytes += rest.length;
  }

  /** Drop everything. */
  clear(): void {
    this.#parts = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  /**
   * Take the bytes for the next write (empty when nothing waits).
   *
   * @returns The bytes; valid until the next call.
   */
  next(): Uint8Array {
    const parts = this.#parts;
    const n = parts.length;
    let i = this.#head;
    if (i === n) return new Uint8Array(0);
    const first = parts[i++]!;
    // A run of adjacent views of one buffer: one view, no copy.
    let end = first.byteOffset + first.length;
    while (i < n) {
      const p = parts[i]!;
      if (p.buffer !== first.buffer || p.byteOffset !== end) break;
      end += p.length;
      i++;
    }
    let out: Uint8Array;
    if (i - this.#head > 1) {
      out = new Uint8Array(first.buffer, first.byteOffset, end - first.byteOffset);
    } else if (i === n || first.length >= DIRECT || first.buffer === this.#stage?.buffer) {
      // (A rest put back from the gathering buffer goes out on its own: gathering would overwrite it.)
      out = first;
    } else {
      // Gather small parts into the reusable buffer; stop before a large one.
      const stage = this.#stage ??= new Uint8Array(STAGE);
      stage.set(first, 0);
      let o = first.length;
      while (i < n) {
        const p = parts[i]!;
        if (p.length >= DIRECT || o + p.length > STAGE) break;
        stage.set(p, o);
        o += p.length;
        i++;
      }
      out = stage.subarray(0, o);
    }
    this.#bytes -= out.length;
    if (i === n) {
      parts.length = 0;
      this.#head = 0;
    } else if (i > 1024 && i > n >> 1) {
      parts.splice(0, i); // let written parts go while a long backlog drains
      this.#head = 0;
    } else {
      this.#head = i;
    }
    return out;
  }
}
