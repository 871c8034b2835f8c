/**
 * A crash-safe session store in one append-only file, on `node:fs` (the
 * same code on Deno 2, Bun and Node).
 *
 * @module
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { show } from "../codec/_show.ts";
import { checkHeader, decodeLog, encodeRecord, encodeSnapshot, HEADER } from "./_log.ts";
import { copyData, SessionState } from "./memory.ts";
import type { SessionStore, StoreChange, StoredSession } from "./types.ts";

/** Options for {@linkcode FileStore}. */
export interface FileStoreOptions {
  /**
   * `true`: `fdatasync` after every record, so a commit survives power
   * loss and OS crashes. `false`: only `write()`, so a commit survives the
   * process being killed (even with SIGKILL: the data is in the OS page
   * cache) but the last few may be lost if the machine stops; the log is
   * still never misread, as a torn record is dropped at load. Creating,
   * repairing and compacting the file are fsynced either way.
   *
   * @default {true}
   */
  sync?: boolean;
  /**
   * Size in bytes past which the log is rewritten as a snapshot of the live
   * state (when that halves it at least).
   *
   * @default {1048576}
   */
  compactAt?: number;
}

/**
 * A {@linkcode SessionStore} in a file: every commit appends one record
 * (with a CRC) holding all its changes, so a restarted process resumes the
 * session exactly as the crashed one left it. A record torn by a crash is
 * dropped when the file is loaded. When the file passes `compactAt` bytes
 * it is rewritten as a snapshot (to `path + ".tmp"`, then renamed over
 * `path`), so a crash at any point leaves the old or the new file whole.
 *
 * One client, in one process, per file: nothing locks the file, and two
 * writers would corrupt it.
 *
 * @example Keep a session across restarts, with the application's progress
 * ```ts
 * import { FileStore } from "./file.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
 * const store = new FileStore(`${dir}/session.log`);
 * store.load();
 * store.stage(new TextEncoder().encode("line 41")); // committed with the next change, atomically
 * store.commit([{ type: "received", id: 3 }]);
 * store.close();
 *
 * const again = new FileStore(`${dir}/session.log`);
 * console.log(again.load().incoming, new TextDecoder().decode(again.data!)); // [ 3 ] line 41
 * again.close();
 * rmSync(dir, { recursive: true });
 * ```
 */
export class FileStore implements SessionStore {
  #path: string;
  #sync: boolean;
  #compactAt: number;
  #fd = -1;
  #size = 0; // bytes of valid log: where the next record goes
  #checkAt = 0; // size past which compaction is considered
  #state: SessionState | null = null;
  #staged: Uint8Array | null = null;
  #closed = false;

  /**
   * Create a store for `path`; nothing is read until {@linkcode load}.
   *
   * @param path The log file (created by `load()` if missing; its directory must exist).
   * @param options Durability and compaction.
   * @example A bad option is refused at once
   * ```ts
   * import { FileStore } from "./file.ts";
   * try {
   *   new FileStore("session.log", { compactAt: -1 });
   * } catch (e) {
   *   console.log(String(e)); // RangeError: compactAt must be a non-negative integer number of bytes, got -1
   * }
   * ```
   */
  constructor(path: string, options: FileStoreOptions = {}) {
    if (typeof path !== "string" || path === "") {
      throw new TypeError(`FileStore path must be a non-empty string, got ${show(path)}`);
    }
    const { sync = true, compactAt = 1 << 20 } = options;
    if (typeof sync !== "boolean") throw new TypeError(`sync must be a boolean, got ${show(sync)}`);
    if (!Number.isSafeInteger(compactAt) || compactAt < 0) {
      throw new RangeError(`compactAt must be a non-negative integer number of bytes, got ${show(compactAt)}`);
    }
    this.#path = path;
    this.#sync = sync;
    this.#compactAt = compactAt;
  }

  /**
   * Read the file (creating it if missing), drop a torn last record and
   * return the session. Call it once, before {@linkcode commit}; later
   * calls return the session as it is now.
   *
   * @returns The stored session.
   * @example A new file
   * ```ts
   * import { FileStore } from "./file.ts";
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
   * const store = new FileStore(`${dir}/session.log`);
   * console.log(store.load()); // { outgoing: [], queued: [], incoming: [], lastPacketId: 0 }
   * store.close();
   * rmSync(dir, { recursive: true });
   * ```
   */
  load(): StoredSession {
    if (this.#closed) throw new Error(`Cannot load FileStore "${this.#path}": it is closed`);
    if (this.#state) return this.#state.session();
    const path = this.#path;
    rmSync(path + ".tmp", { force: true }); // a compaction that did not finish
    let bytes: Uint8Array | null = null;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      if ((e as { code?: string }).code !== "ENOENT") throw e;
    }
    const state = new SessionState();
    let log: ReturnType<typeof decodeLog> | null;
    try {
      log = bytes === null || checkHeader(bytes) ? null : decodeLog(bytes, HEADER.length);
    } catch (e) {
      throw new Error(`Cannot load FileStore "${path}": ${(e as Error).message}`, { cause: e });
    }
    if (log === null) this.#rewrite(HEADER);
    else {
      for (const r of log.records) {
        state.apply(r.changes, r.data ?? null);
        if (r.lastPacketId !== undefined) state.lastPacketId = r.lastPacketId;
      }
      this.#fd = openSync(path, "r+");
      this.#size = log.end;
      if (log.end < bytes!.length) { // a torn last record: later appends must follow valid data
        ftruncateSync(this.#fd, log.end);
        fsyncSync(this.#fd);
      }
    }
    this.#checkAt = this.#compactAt;
    this.#state = state;
    return state.session();
  }

  /**
   * Append one record with `changes` and the staged data, durably (see
   * {@linkcode FileStoreOptions.sync}). With no changes and nothing staged
   * it returns at once. If it throws, nothing was committed.
   *
   * @param changes The changes (may be empty).
   * @example A QoS 1 message sent and acknowledged, without fdatasync
   * ```ts
   * import { FileStore } from "./file.ts";
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
   * const store = new FileStore(`${dir}/session.log`, { sync: false });
   * store.load();
   * const packet = { type: "publish", topic: "t", payload: new Uint8Array(), qos: 1, retain: false, dup: false } as const;
   * store.commit([{ type: "publish", id: 1, packet }]);
   * store.commit([{ type: "acked", id: 1 }]);
   * console.log(store.load().outgoing.length); // 0
   * store.close();
   * rmSync(dir, { recursive: true });
   * ```
   */
  commit(changes: readonly StoreChange[]): void {
    if (this.#closed) throw new Error(`Cannot commit to FileStore "${this.#path}": it is closed`);
    const state = this.#state;
    if (state === null) throw new Error(`Cannot commit to FileStore "${this.#path}" before load()`);
    if (changes.length === 0 && this.#staged === null) return;
    if (this.#size > this.#checkAt) this.#compact(state);
    const record = encodeRecord(changes, this.#staged);
    try {
      writeAll(this.#fd, record, this.#size);
      if (this.#sync) fdatasyncSync(this.#fd);
    } catch (e) {
      try {
        ftruncateSync(this.#fd, this.#size); // so a record we report as failed is not loaded later
      } catch { /* the next record overwrites it anyway: writes go at #size */ }
      throw e;
    }
    this.#size += record.length;
    state.apply(changes, this.#staged);
    this.#staged = null;
  }

  /**
   * Stage application data (copied) to be written inside the next
   * {@linkcode commit}'s record, atomically with the session change, so
   * the application's progress and the session agree after a crash. A
   * later `stage()` before that commit replaces it.
   *
   * @param data The application's progress, e.g. the last sequence number it published.
   * @example The data appears only with the commit
   * ```ts
   * import { FileStore } from "./file.ts";
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
   * const store = new FileStore(`${dir}/session.log`);
   * store.load();
   * store.stage(new Uint8Array([7]));
   * console.log(store.data); // null
   * store.commit([]); // a record with only the data
   * console.log(store.data); // Uint8Array(1) [ 7 ]
   * store.close();
   * rmSync(dir, { recursive: true });
   * ```
   */
  stage(data: Uint8Array): void {
    this.#staged = copyData(data);
  }

  /**
   * The application data of the latest commit that carried some (or as
   * loaded), or `null`. Do not modify it.
   *
   * @returns The data, or `null`.
   * @example A new file has none
   * ```ts
   * import { FileStore } from "./file.ts";
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
   * const store = new FileStore(`${dir}/session.log`);
   * store.load();
   * console.log(store.data); // null
   * store.close();
   * rmSync(dir, { recursive: true });
   * ```
   */
  get data(): Uint8Array | null {
    return this.#state?.data ?? null;
  }

  /**
   * Close the file. Idempotent; the store cannot be used afterwards.
   *
   * @example Closing twice
   * ```ts
   * import { FileStore } from "./file.ts";
   * import { mkdtempSync, rmSync } from "node:fs";
   * import { tmpdir } from "node:os";
   * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
   * const store = new FileStore(`${dir}/session.log`);
   * store.load();
   * store.close();
   * store.close(); // nothing happens
   * rmSync(dir, { recursive: true });
   * ```
   */
  close(): void {
    this.#closed = true;
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    closeSync(fd);
  }

  /** Rewrite the log as a snapshot when the snapshot is less than half its size. */
  #compact(state: SessionState): void {
    const snapshot = encodeSnapshot(state.session(), state.data);
    const size = HEADER.length + snapshot.length;
    if (this.#size <= 2 * size) {
      this.#checkAt = Math.max(this.#compactAt, this.#size + size); // amortised: retry after it grows that much
      return;
    }
    const bytes = new Uint8Array(size);
    bytes.set(HEADER);
    bytes.set(snapshot, HEADER.length);
    this.#rewrite(bytes);
    this.#checkAt = Math.max(this.#compactAt, 2 * size);
  }

  /** Replace the file with `bytes` atomically (temp file, fsync, rename, fsync the directory) and reopen it. */
  #rewrite(bytes: Uint8Array): void {
    const path = this.#path;
    const tmp = path + ".tmp";
    const reopen = this.#fd >= 0;
    try {
      const fd = openSync(tmp, "w");
      try {
        writeAll(fd, bytes, 0);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      if (reopen) closeSync(this.#fd); // Windows cannot rename over an open file
      this.#fd = -1;
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      if (reopen && this.#fd < 0) this.#fd = openSync(path, "r+"); // carry on with the old file
      throw e;
    }
    this.#fd = openSync(path, "r+");
    this.#size = bytes.length;
    syncDir(dirname(path));
  }
}

/** Write all of `b` at `position`, however many calls it takes. */
function writeAll(fd: number, b: Uint8Array, position: number): void {
  for (let o = 0; o < b.length;) {
    const n = writeSync(fd, b, o, b.length - o, position + o);
    if (n <= 0) throw new Error(`Cannot write to the session log: write() wrote ${n} bytes`);
    o += n;
  }
}

/** Make a rename in `dir` durable. */
function syncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return; // Windows cannot open a directory; NTFS makes the rename durable itself.
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    // Some platforms and file systems refuse fsync on a directory: then there is nothing more to do.
    if (!["EINVAL", "EPERM", "EISDIR", "EACCES", "ENOTSUP", "EBADF"].includes((e as { code?: string }).code ?? "")) {
      throw e;
    }
  } finally {
    closeSync(fd);
  }
}
