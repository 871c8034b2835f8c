/**
 * Crash-soak subscriber: appends every message it receives to an output
 * file, one line each, and stages "lines in the output" with the client's
 * `FileStore`, which writes it in the same record as the message's
 * acknowledgement (the received QoS 2 id). At start it cuts the output back
 * to the committed line count, so a line written by a process killed before
 * its acknowledgement was recorded is dropped and the broker's redelivery
 * is written instead. Exits when every number 1..total is in the output
 * and nothing arrived for a second.
 *
 * Usage: `<runtime> _crash_sub.ts <port> <store path> <output path> <total> <sync 0|1>`.
 *
 * @module
 */
import process from "node:process";
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { MQTTClient } from "../../mod.ts";
import { FileStore } from "../../src/store/mod.ts";

const [port, path, out, totalArg, syncArg] = process.argv.slice(2);
const total = Number(totalArg);
const store = new FileStore(path!, { sync: syncArg === "1" });
const client = new MQTTClient("crash-sub", "127.0.0.1", {
  port: Number(port),
  store,
  keepalive: 30,
  onError: (e) => console.error("subscriber:", e),
});
await client.connect({ cleanSession: false, timeout: 10_000 });
// Messages that arrive now are held for the first consumer, unacknowledged: the output is set straight first.
const data = store.data;
let count = data ? new DataView(data.buffer, data.byteOffset).getUint32(0) : 0;
const lines = existsSync(out!) ? readFileSync(out!, "utf8").split("\n").slice(0, count) : [];
if (lines.length !== count) throw new Error(`output has ${lines.length} lines, the store says ${count}`);
writeFileSync(out!, lines.map((l) => l + "\n").join(""));
const seen = new Set(lines.map((l) => l.split(" ")[1]));
const fd = openSync(out!, "a");
fsyncSync(fd);
let last = Date.now();
client.setCallback((m) => {
  writeSync(fd, `${m.topic} ${m.text()}\n`);
  count++;
  const next = new Uint8Array(4);
  new DataView(next.buffer).setUint32(0, count);
  store.stage(next); // written with this message's acknowledgement record
  seen.add(m.text());
  last = Date.now();
});
await client.subscribe("crash/#", 2);
console.log("ready");
while (seen.size < total || Date.now() - last < 1000) await new Promise((r) => setTimeout(r, 50));
await client.disconnect();
closeSync(fd);
store.close();
console.log(`received ${count}`);
