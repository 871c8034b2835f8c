import assert from "node:assert/strict";
import { test } from "node:test";
import { fromHex } from "./hex.ts";
import { toPcap } from "./pcap.ts";
import type { CaptureRecord } from "./records.ts";

function checksum(b: Uint8Array, from: number, to: number, acc = 0): number {
  for (let i = from; i < to; i += 2) acc += (b[i]! << 8) | (i + 1 < to ? b[i + 1]! : 0);
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return acc;
}

test("toPcap() writes Ethernet/IPv4/TCP frames carrying each packet with valid checksums", () => {
  const connect = fromHex("101400044d515454040200000008756d7174742d6131");
  const records: CaptureRecord[] = [
    { kind: "O", seq: 1, us: 1_500_000, conn: 0, peer: "x", line: 1 },
    { kind: "R", seq: 2, us: 1_500_100, conn: 0, dir: "c2s", len: 22, bytes: connect, truncated: false, line: 2 },
    {
      kind: "R",
      seq: 3,
      us: 1_500_200,
      conn: 0,
      dir: "s2c",
      len: 4,
      bytes: fromHex("20020000"),
      truncated: false,
      line: 3,
    },
    { kind: "C", seq: 4, us: 1_500_300, conn: 0, dir: "c2s", how: "eof", line: 4 },
  ];
  const pcap = toPcap(records);
  const v = new DataView(pcap.buffer);
  assert.equal(v.getUint32(0, true), 0xa1b2c3d4);
  assert.equal(v.getUint32(20, true), 1); // LINKTYPE_ETHERNET
  const frames: Uint8Array[] = [];
  const times: number[] = [];
  for (let p = 24; p < pcap.length;) {
    const len = v.getUint32(p + 8, true);
    times.push(v.getUint32(p, true) * 1e6 + v.getUint32(p + 4, true));
    frames.push(pcap.subarray(p + 16, p + 16 + len));
    p += 16 + len;
  }
  assert.equal(frames.length, 3 + 2 + 2); // handshake, two data segments, two FINs
  const data = frames[3]!;
  assert.equal((data[12]! << 8) | data[13]!, 0x0800);
  assert.equal(checksum(data, 14, 34), 0xffff, "IPv4 header checksum");
  const tcpLen = data.length - 34;
  const pseudo = checksum(data, 26, 34) + 6 + tcpLen;
  assert.equal(checksum(data, 34, data.length, pseudo), 0xffff, "TCP checksum");
  assert.deepEqual(data.subarray(54), connect);
  assert.equal((data[36]! << 8) | data[37]!, 1883, "to the MQTT port");
  assert.equal(times[3], 1_500_100);
  // the broker's segment acknowledges exactly the client's bytes
  const reply = frames[4]!;
  const seqC = new DataView(data.buffer, data.byteOffset).getUint32(38);
  const ackS = new DataView(reply.buffer, reply.byteOffset).getUint32(42);
  assert.equal(ackS, seqC + connect.length);
});
