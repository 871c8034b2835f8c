/**
 * Write a capture as a classic pcap file (linktype 1, Ethernet) that Wireshark
 * opens and dissects as MQTT: each connection becomes a synthetic TCP stream
 * 10.0.0.2:(40000+conn) <-> 10.0.0.1:1883 with a handshake, one segment per
 * recorded packet, and FINs when the rig saw the connection end.
 *
 * @module
 */
import type { CaptureRecord } from "./records.ts";

const CLIENT_IP = [10, 0, 0, 2];
const BROKER_IP = [10, 0, 0, 1];
const MAX_SEGMENT = 60000;

interface Flow {
  seq: { c2s: number; s2c: number };
}

function sum16(bytes: Uint8Array, start: number, end: number, acc = 0): number {
  for (let i = start; i < end; i += 2) acc += (bytes[i]! << 8) | (i + 1 < end ? bytes[i + 1]! : 0);
  return acc;
}

function fold(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >>> 16);
  return ~acc & 0xffff;
}

/** Build one Ethernet/IPv4/TCP frame. */
export function tcpFrame(
  fromClient: boolean,
  clientPort: number,
  seq: number,
  ack: number,
  flags: number,
  payload: Uint8Array,
): Uint8Array {
  const frame = new Uint8Array(14 + 20 + 20 + payload.length);
  const v = new DataView(frame.buffer);
  // Ethernet: dst, src, type IPv4
  frame.set(fromClient ? [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2] : [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1], 0);
  v.setUint16(12, 0x0800);
  const ip = 14;
  frame[ip] = 0x45;
  v.setUint16(ip + 2, 20 + 20 + payload.length);
  v.setUint16(ip + 6, 0x4000); // don't fragment
  frame[ip + 8] = 64;
  frame[ip + 9] = 6; // TCP
  frame.set(fromClient ? CLIENT_IP : BROKER_IP, ip + 12);
  frame.set(fromClient ? BROKER_IP : CLIENT_IP, ip + 16);
  v.setUint16(ip + 10, fold(sum16(frame, ip, ip + 20)));
  const tcp = ip + 20;
  v.setUint16(tcp, fromClient ? clientPort : 1883);
  v.setUint16(tcp + 2, fromClient ? 1883 : clientPort);
  v.setUint32(tcp + 4, seq >>> 0);
  v.setUint32(tcp + 8, ack >>> 0);
  frame[tcp + 12] = 5 << 4;
  frame[tcp + 13] = flags;
  v.setUint16(tcp + 14, 65535);
  frame.set(payload, tcp + 20);
  // TCP checksum over the pseudo header + segment
  const tcpLen = 20 + payload.length;
  let acc = sum16(frame, ip + 12, ip + 20);
  acc += 6 + tcpLen;
  acc = sum16(frame, tcp, tcp + tcpLen, acc);
  v.setUint16(tcp + 16, fold(acc));
  return frame;
}

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;

/**
 * Render records as a pcap file.
 *
 * @param records Verified records (R packets, O opens, C closes are used).
 * @returns The pcap file bytes.
 */
export function toPcap(records: readonly CaptureRecord[]): Uint8Array {
  const frames: { us: number; data: Uint8Array }[] = [];
  const flows = new Map<number, Flow>();
  const flow = (conn: number, us: number): Flow => {
    let f = flows.get(conn);
    if (!f) {
      f = { seq: { c2s: 1000, s2c: 5000 } };
      flows.set(conn, f);
      const port = 40000 + conn;
      frames.push({ us, data: tcpFrame(true, port, 999, 0, SYN, new Uint8Array()) });
      frames.push({ us, data: tcpFrame(false, port, 4999, 1000, SYN | ACK, new Uint8Array()) });
      frames.push({ us, data: tcpFrame(true, port, 1000, 5000, ACK, new Uint8Array()) });
    }
    return f;
  };
  for (const r of records) {
    if (r.kind === "O") flow(r.conn, r.us);
    if (r.kind === "R" || r.kind === "M") {
      const f = flow(r.conn, r.us);
      const port = 40000 + r.conn;
      const fromClient = r.dir === "c2s";
      for (let off = 0; off < r.bytes.length || off === 0; off += MAX_SEGMENT) {
        const seg = r.bytes.subarray(off, off + MAX_SEGMENT);
        const seq = fromClient ? f.seq.c2s : f.seq.s2c;
        const ack = fromClient ? f.seq.s2c : f.seq.c2s;
        frames.push({ us: r.us, data: tcpFrame(fromClient, port, seq, ack, PSH | ACK, seg) });
        if (fromClient) f.seq.c2s += seg.length;
        else f.seq.s2c += seg.length;
        if (r.bytes.length === 0) break;
      }
    }
    if (r.kind === "C") {
      const f = flow(r.conn, r.us);
      const port = 40000 + r.conn;
      const firstClient = r.dir === "c2s";
      for (const fromClient of [firstClient, !firstClient]) {
        const seq = fromClient ? f.seq.c2s : f.seq.s2c;
        const ack = fromClient ? f.seq.s2c : f.seq.c2s;
        frames.push({ us: r.us, data: tcpFrame(fromClient, port, seq, ack, FIN | ACK, new Uint8Array()) });
        if (fromClient) f.seq.c2s += 1;
        else f.seq.s2c += 1;
      }
    }
  }
  let size = 24;
  for (const fr of frames) size += 16 + fr.data.length;
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0xa1b2c3d4, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, 262144, true);
  v.setUint32(20, 1, true); // LINKTYPE_ETHERNET
  let p = 24;
  for (const fr of frames) {
    v.setUint32(p, Math.floor(fr.us / 1e6), true);
    v.setUint32(p + 4, fr.us % 1e6, true);
    v.setUint32(p + 8, fr.data.length, true);
    v.setUint32(p + 12, fr.data.length, true);
    out.set(fr.data, p + 16);
    p += 16 + fr.data.length;
  }
  return out;
}
