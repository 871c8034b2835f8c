/**
 * Crash-soak publisher: publishes sequence numbers 1..total (odd ones QoS 1
 * on `crash/q1`, even ones QoS 2 on `crash/q2`) through a client with a
 * `FileStore`, staging "the last number handed over" with each publish so
 * that a restarted process goes on exactly after it. Killed with SIGKILL at
 * random points by `_crash.ts` and started again with the same store.
 *
 * Usage: `<runtime> _crash_pub.ts <port> <store path> <total> <sync 0|1>`.
 *
 * @module
 */
import process from "node:process";
import { MQTTClient } from "../../mod.ts";
import { FileStore } from "../../src/store/mod.ts";

const [port, path, totalArg, syncArg] = process.argv.slice(2);
const total = Number(totalArg);
const store = new FileStore(path!, { sync: syncArg === "1" });
const client = new MQTTClient("crash-pub", "127.0.0.1", {
  port: Number(port),
  store,
  keepalive: 30,
  onError: (e) => console.error("publisher:", e),
});
await client.connect({ cleanSession: false, timeout: 10_000 });
const data = store.data;
let seq = data ? new DataView(data.buffer, data.byteOffset).getUint32(0) : 0;
const window: Promise<void>[] = [];
while (seq < total) {
  seq++;
  const next = new Uint8Array(4);
  new DataView(next.buffer).setUint32(0, seq);
  store.stage(next); // committed with this publish's record, atomically
  const qos = seq % 2 === 1 ? 1 : 2;
  window.push(client.publish(`crash/q${qos}`, String(seq), { qos }));
  if (window.length >= 32) await Promise.all(window.splice(0));
}
await Promise.all(window);
// Messages an earlier process left are resent after the CONNACK and awaited by nobody: wait for them.
while (client.inflight + client.queued > 0) await new Promise((r) => setTimeout(r, 10));
await client.disconnect();
store.close();
console.log(`published ${total}`);
