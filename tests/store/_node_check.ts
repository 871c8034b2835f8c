/**
 * Run under Node (bundled by `node_test.ts`): a `FileStore` writes, is
 * cut in its last record like a crash would, reloads, compacts and
 * reopens; prints what it found as one JSON line.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { FileStore } from "../../src/store/mod.ts";
import type { PublishPacket } from "../../src/codec/packets.ts";

const dir = mkdtempSync(`${tmpdir()}/umqtt-node-store-`);
const path = `${dir}/s.log`;
const packet = (n: number): PublishPacket => ({
  type: "publish",
  topic: "t",
  payload: new Uint8Array(200).fill(n),
  qos: 2,
  retain: false,
  dup: false,
});
const a = new FileStore(path, { compactAt: 4096 });
a.load();
for (let id = 1; id <= 100; id++) {
  a.commit([{ type: "publish", id, packet: packet(id) }]);
  if (id < 100) a.commit([{ type: "acked", id }]); // the file passes compactAt: compaction runs
}
a.commit([{ type: "received", id: 7 }]);
a.stage(new Uint8Array([42]));
a.commit([{ type: "pubrel", id: 100 }]);
a.close();
const size = statSync(path).size;
truncateSync(path, size - 3); // the last record (pubrel + data) torn by a crash
const b = new FileStore(path);
const s = b.load();
const out = {
  compacted: size < 100 * 200,
  outgoing: s.outgoing.map((o) => [o.id, o.released, o.packet.payload[0]]),
  incoming: s.incoming,
  lastPacketId: s.lastPacketId,
  data: b.data ? [...b.data] : null,
  truncated: readFileSync(path).length < size - 3, // load() cut the torn bytes off
};
b.close();
rmSync(dir, { recursive: true });
console.log(JSON.stringify(out));
