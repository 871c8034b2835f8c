/**
 * The interface between a client's session and the place its state is
 * kept: unacknowledged QoS 1/2 publishes, publishes accepted but not yet
 * sent (offline, or waiting for an in-flight slot), the ids of QoS 2
 * messages received and not yet released, and packet-id state.
 *
 * A client without a store keeps all of this in memory, as before. With
 * one, every change is handed to {@linkcode SessionStore.commit} before
 * the packet it describes leaves (or right when a call accepts a
 * message), so a process restarted with the same store resumes the
 * session where the crashed one stopped.
 *
 * @module
 */
import type { PublishPacket } from "../codec/packets.ts";

/**
 * One change to a session's stored state, in the order it happened.
 *
 * - `publish`: a QoS 1/2 PUBLISH got packet id `id` and is being sent;
 *   kept until `acked`. Its `packet` is the message as the caller gave it
 *   (topic, payload, qos, retain and, on MQTT 5.0, properties).
 * - `pubrel`: the PUBREC for `id` arrived; PUBREL is being sent.
 * - `acked`: the flow of outgoing `id` ended (PUBACK, PUBCOMP, a refusal,
 *   or the session was given up): forget it.
 * - `queue`: a QoS 1/2 publish was accepted but not sent yet (offline, or
 *   waiting for an in-flight slot), under the session-wide number `key`.
 * - `dequeue`: queued `key` left the queue (it is being sent, in the
 *   same commit as its `publish`, or its caller gave up).
 * - `received`: an incoming QoS 2 PUBLISH `id` was handed to the
 *   application; its PUBREC is being sent. A repeat of `id` is not
 *   delivered again until `released`.
 * - `released`: the PUBREL for incoming `id` arrived; PUBCOMP is being sent.
 * - `clear`: the broker has no session: `incoming` forgets every
 *   received id, `outgoing` every publish (and queued one).
 *
 * @example A change as a store receives it
 * ```ts
 * import type { StoreChange } from "./types.ts";
 * const change: StoreChange = { type: "pubrel", id: 7 };
 * console.log(change.type); // pubrel
 * ```
 */
export type StoreChange =
  | { readonly type: "publish"; readonly id: number; readonly packet: PublishPacket }
  | { readonly type: "pubrel"; readonly id: number }
  | { readonly type: "acked"; readonly id: number }
  | { readonly type: "queue"; readonly key: number; readonly packet: PublishPacket }
  | { readonly type: "dequeue"; readonly key: number }
  | { readonly type: "received"; readonly id: number }
  | { readonly type: "released"; readonly id: number }
  | { readonly type: "clear"; readonly what: "incoming" | "outgoing" };

/**
 * An outgoing QoS 1/2 publish a store holds.
 *
 * @example
 * ```ts
 * import type { StoredPublish } from "./types.ts";
 * const p: StoredPublish = {
 *   id: 1,
 *   released: false,
 *   packet: { type: "publish", topic: "a", payload: new Uint8Array([1]), qos: 1, retain: false, dup: false },
 * };
 * console.log(p.id); // 1
 * ```
 */
export interface StoredPublish {
  /** Its packet id. */
  id: number;
  /** `true` once the PUBREC arrived (QoS 2): only PUBREL is sent again. */
  released: boolean;
  /** The message. */
  packet: PublishPacket;
}

/**
 * A publish accepted and not yet sent, as a store holds it.
 *
 * @example
 * ```ts
 * import type { StoredQueued } from "./types.ts";
 * const q: StoredQueued = {
 *   key: 3,
 *   packet: { type: "publish", topic: "a", payload: new Uint8Array(), qos: 2, retain: false, dup: false },
 * };
 * console.log(q.key); // 3
 * ```
 */
export interface StoredQueued {
  /** Its queue number (increasing in the order the calls were made). */
  key: number;
  /** The message. */
  packet: PublishPacket;
}

/**
 * What a store holds when a client starts: the state a previous process
 * (or client) left.
 *
 * @example An empty session
 * ```ts
 * import type { StoredSession } from "./types.ts";
 * const empty: StoredSession = { outgoing: [], queued: [], incoming: [], lastPacketId: 0 };
 * console.log(empty.outgoing.length); // 0
 * ```
 */
export interface StoredSession {
  /** Unacknowledged publishes, in the order they were first sent. */
  outgoing: StoredPublish[];
  /** Accepted publishes not sent yet, in the order of their keys. */
  queued: StoredQueued[];
  /** Incoming QoS 2 packet ids received and not yet released. */
  incoming: number[];
  /** The packet id given most recently (0 when none). */
  lastPacketId: number;
}

/**
 * Where a session's state lives. The client calls {@linkcode load} once,
 * on its first `connect()`, and then {@linkcode commit} with every change,
 * synchronously, before the packet the change describes is written: a
 * store must have made the changes durable (as durable as it promises)
 * when `commit` returns. `commit([])` is also called right before
 * acknowledgements are sent, so a store may write data of its own there
 * (see `FileStore.stage`); a store with nothing to write returns at once.
 * If `commit` throws, the call that caused it fails with that error and
 * nothing is sent.
 *
 * `MemoryStore` and `FileStore` (in `@umqtt/client/store`) implement it.
 *
 * @example A store that logs each change and keeps nothing
 * ```ts
 * import type { SessionStore, StoreChange, StoredSession } from "./types.ts";
 * class LoggingStore implements SessionStore {
 *   load(): StoredSession {
 *     return { outgoing: [], queued: [], incoming: [], lastPacketId: 0 };
 *   }
 *   commit(changes: readonly StoreChange[]): void {
 *     for (const c of changes) console.log(c.type);
 *   }
 * }
 * new LoggingStore().commit([{ type: "acked", id: 1 }]); // acked
 * ```
 */
export interface SessionStore {
  /**
   * Read what a previous process left (called once, before the first
   * connection).
   *
   * @returns The stored session.
   */
  load(): StoredSession | Promise<StoredSession>;
  /**
   * Apply `changes` in order, durably, before returning.
   *
   * @param changes The changes (may be empty).
   */
  commit(changes: readonly StoreChange[]): void;
  /** Release the store's resources. Its owner calls it when done; a client never does. */
  close?(): void | Promise<void>;
}
