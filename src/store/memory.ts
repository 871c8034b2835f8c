/**
 * A session store in memory, and the one place where changes are applied
 * to a session's state (`FileStore` replays its log through it too).
 *
 * @module
 */
import { show } from "../codec/_show.ts";
import type { SessionStore, StoreChange, StoredPublish, StoredQueued, StoredSession } from "./types.ts";

/**
 * A session's state and application data, and how each change alters it.
 * Internal: shared by {@linkcode MemoryStore} and `FileStore`.
 */
export class SessionState {
  /** Unacknowledged publishes by packet id, in the order they were first sent. */
  readonly outgoing: Map<number, StoredPublish> = new Map();
  /** Queued publishes by key, in the order they were queued. */
  readonly queued: Map<number, StoredQueued> = new Map();
  /** Incoming QoS 2 ids received and not yet released. */
  readonly incoming: Set<number> = new Set();
  /** The id of the latest `publish` change (0 when none). */
  lastPacketId = 0;
  /** The latest committed application data. */
  data: Uint8Array | null = null;

  /** Apply `changes` in order, then set `data` if given. */
  apply(changes: readonly StoreChange[], data: Uint8Array | null = null): void {
    for (const c of changes) {
      switch (c.type) {
        case "publish":
          this.outgoing.delete(c.id); // a new message under this id is sent last
          this.outgoing.set(c.id, { id: c.id, released: false, packet: c.packet });
          this.lastPacketId = c.id;
          break;
        case "pubrel": {
          const p = this.outgoing.get(c.id);
          if (p) p.released = true;
          break;
        }
        case "acked":
          this.outgoing.delete(c.id);
          break;
        case "queue":
          this.queued.set(c.key, { key: c.key, packet: c.packet });
          break;
        case "dequeue":
          this.queued.delete(c.key);
          break;
        case "received":
          this.incoming.add(c.id);
          break;
        case "released":
          this.incoming.delete(c.id);
          break;
        case "clear":
          if (c.what === "incoming") this.incoming.clear();
          else {
            this.outgoing.clear();
            this.queued.clear();
          }
          break;
        default:
          throw new TypeError(`Cannot apply change ${show((c as { type?: unknown })?.type)}: unknown change type`);
      }
    }
    if (data !== null) this.data = data;
  }

  /** A copy of the session, as {@linkcode SessionStore.load} returns it. */
  session(): StoredSession {
    return {
      outgoing: Array.from(this.outgoing.values(), (p) => ({ ...p })),
      queued: Array.from(this.queued.values(), (q) => ({ ...q })).sort((a, b) => a.key - b.key),
      incoming: [...this.incoming],
      lastPacketId: this.lastPacketId,
    };
  }
}

/** Check and copy application data for `stage()`. */
export function copyData(data: Uint8Array): Uint8Array {
  if (!(data instanceof Uint8Array)) throw new TypeError(`stage() data must be a Uint8Array, got ${show(data)}`);
  return data.slice();
}

/**
 * A {@linkcode SessionStore} that keeps the session in memory: it
 * survives a client object (hand it to a new client in the same process to
 * resume), not the process. Also the reference model `FileStore` is
 * tested against.
 *
 * @example Handing a session from one client object to the next
 * ```ts
 * import { MemoryStore } from "./memory.ts";
 * const store = new MemoryStore();
 * const packet = { type: "publish", topic: "a", payload: new Uint8Array([1]), qos: 1, retain: false, dup: false } as const;
 * store.commit([{ type: "publish", id: 1, packet }]); // the first client sent it, then went away
 * const resumed = store.load(); // what the next client starts from
 * console.log(resumed.outgoing.length, resumed.lastPacketId); // 1 1
 * ```
 */
export class MemoryStore implements SessionStore {
  #state = new SessionState();
  #staged: Uint8Array | null = null;

  /**
   * The session as it is now (a copy). May be called again, by each new
   * client given this store.
   *
   * @returns The stored session.
   * @example An empty store
   * ```ts
   * import { MemoryStore } from "./memory.ts";
   * console.log(new MemoryStore().load()); // { outgoing: [], queued: [], incoming: [], lastPacketId: 0 }
   * ```
   */
  load(): StoredSession {
    return this.#state.session();
  }

  /**
   * Apply `changes` in order, with the staged data if any.
   *
   * @param changes The changes (may be empty).
   * @example A QoS 2 message received and released
   * ```ts
   * import { MemoryStore } from "./memory.ts";
   * const store = new MemoryStore();
   * store.commit([{ type: "received", id: 9 }]);
   * store.commit([{ type: "released", id: 9 }]);
   * console.log(store.load().incoming); // []
   * ```
   */
  commit(changes: readonly StoreChange[]): void {
    if (changes.length === 0 && this.#staged === null) return;
    this.#state.apply(changes, this.#staged);
    this.#staged = null;
  }

  /**
   * Stage application data (copied) to be committed with the next
   * {@linkcode commit}; a later `stage()` before that replaces it.
   *
   * @param data The application's progress, e.g. the last sequence number it published.
   * @example Data appears only with the commit
   * ```ts
   * import { MemoryStore } from "./memory.ts";
   * const store = new MemoryStore();
   * store.stage(new Uint8Array([42]));
   * console.log(store.data); // null
   * store.commit([]);
   * console.log(store.data); // Uint8Array(1) [ 42 ]
   * ```
   */
  stage(data: Uint8Array): void {
    this.#staged = copyData(data);
  }

  /**
   * The application data of the latest commit that carried some, or
   * `null`. Do not modify it.
   *
   * @returns The data, or `null`.
   * @example Nothing committed yet
   * ```ts
   * import { MemoryStore } from "./memory.ts";
   * console.log(new MemoryStore().data); // null
   * ```
   */
  get data(): Uint8Array | null {
    return this.#state.data;
  }
}
