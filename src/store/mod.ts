/**
 * Session stores: where a client keeps the state of its MQTT session
 * (unacknowledged QoS 1/2 publishes, queued publishes, QoS 2 ids received
 * and not yet released, the last packet id), so a restarted process
 * resumes it.
 *
 * - {@linkcode MemoryStore}: in memory; hands a session from one client
 *   object to the next in the same process.
 * - {@linkcode FileStore}: an append-only file with one CRC-checked record
 *   per commit, `fdatasync`ed by default; survives a killed process and,
 *   with `sync: true`, power loss. One client per file.
 *
 * Both can carry application data (`stage()`) in the same record as the
 * session change it goes with, so the application's own progress and the
 * session never disagree after a crash.
 *
 * @example A session that survives a restart
 * ```ts
 * import { FileStore } from "./mod.ts";
 * import { mkdtempSync, rmSync } from "node:fs";
 * import { tmpdir } from "node:os";
 *
 * const dir = mkdtempSync(`${tmpdir()}/umqtt-`);
 * const packet = { type: "publish", topic: "t", payload: new Uint8Array([1]), qos: 1, retain: false, dup: false } as const;
 * const before = new FileStore(`${dir}/session.log`);
 * before.load();
 * before.commit([{ type: "publish", id: 1, packet }]); // sent, PUBACK not yet received
 * before.close(); // or the process died here
 *
 * const after = new FileStore(`${dir}/session.log`);
 * const session = after.load();
 * console.log(session.outgoing[0]?.packet.topic, session.lastPacketId); // t 1
 * after.close();
 * rmSync(dir, { recursive: true });
 * ```
 *
 * @module
 */
export { FileStore, type FileStoreOptions } from "./file.ts";
export { MemoryStore } from "./memory.ts";
export type { PublishPacket, QoS } from "../codec/packets.ts";
export type { SessionStore, StoreChange, StoredPublish, StoredQueued, StoredSession } from "./types.ts";
