/**
 * Parse and verify the rig's serial record stream (format: hil/README.md,
 * "Serial record format"). The verifier skips boot noise before the first
 * valid `H` record, then checks every line: CRC, sequence numbers, loss
 * records, rig resets and stray bytes. Any problem makes the capture invalid.
 *
 * @module
 */
import { crc32Hex } from "./crc32.ts";
import { fromHex } from "./hex.ts";

/** Direction of a packet: client to broker or broker to client. */
export type Dir = "c2s" | "s2c";

/** One verified record. `seq` is the rig's sequence number, `us` its clock. */
export type CaptureRecord =
  | { kind: "H"; seq: number; us: number; fields: Record<string, string>; line: number }
  | { kind: "O"; seq: number; us: number; conn: number; peer: string; line: number }
  | { kind: "U"; seq: number; us: number; conn: number; reason: string; line: number }
  | {
    kind: "R";
    seq: number;
    us: number;
    conn: number;
    dir: Dir;
    len: number;
    bytes: Uint8Array;
    truncated: boolean;
    line: number;
  }
  | { kind: "M"; seq: number; us: number; conn: number; dir: Dir; why: string; bytes: Uint8Array; line: number }
  | { kind: "C"; seq: number; us: number; conn: number; dir: Dir; how: string; line: number }
  | { kind: "L"; seq: number; count: number; line: number };

/** Why a capture cannot be trusted. */
export type ProblemKind =
  | "bad-crc"
  | "noise"
  | "seq-gap"
  | "seq-backwards"
  | "rig-overflow"
  | "rig-reset"
  | "bad-record"
  | "no-session"
  | "truncated-packet"
  | "link-lost"
  | "incomplete";

/** One problem found in the serial stream. */
export interface Problem {
  kind: ProblemKind;
  /** 1-based line number in the raw serial log (0 when not tied to a line). */
  line: number;
  message: string;
}

/** Result of verifying a serial stream. */
export interface Capture {
  records: CaptureRecord[];
  problems: Problem[];
  /** Console reply lines ("# ..."), without the prefix. */
  console: string[];
  /** Lines skipped before the first valid H record (boot noise). */
  preamble: number;
  /** The H record's key=value fields (listen port, ip, upstream, version). */
  hello: Record<string, string> | null;
}

const RECORD_RE = /^([HOURMCL]) (\d+) /;

/** Parse one record line whose CRC was already checked; throws a TypeError naming the problem. */
export function parseRecord(body: string, lineNo: number): CaptureRecord {
  const f = body.split(" ");
  const kind = f[0];
  const num = (i: number, what: string): number => {
    const v = f[i];
    if (v === undefined || !/^\d+$/.test(v)) {
      throw new TypeError(`${kind} record has no numeric ${what} (field ${i}: "${v ?? ""}")`);
    }
    return Number(v);
  };
  const dir = (i: number): Dir => {
    const v = f[i];
    if (v !== "c2s" && v !== "s2c") {
      throw new TypeError(`${kind} record has direction "${v ?? ""}", expected c2s or s2c`);
    }
    return v;
  };
  const seq = num(1, "sequence number");
  switch (kind) {
    case "H": {
      const fields: Record<string, string> = {};
      for (const kv of f.slice(3)) {
        const eq = kv.indexOf("=");
        if (eq > 0) fields[kv.slice(0, eq)] = kv.slice(eq + 1);
        else fields["version"] = kv;
      }
      return { kind, seq, us: num(2, "timestamp"), fields, line: lineNo };
    }
    case "O":
      return { kind, seq, us: num(2, "timestamp"), conn: num(3, "connection"), peer: f[4] ?? "", line: lineNo };
    case "U":
      return {
        kind,
        seq,
        us: num(2, "timestamp"),
        conn: num(3, "connection"),
        reason: f.slice(4).join(" "),
        line: lineNo,
      };
    case "R": {
      if (f.length !== 7) throw new TypeError(`R record has ${f.length} fields, expected 7`);
      const len = num(5, "length");
      const bytes = fromHex(f[6]!);
      if (bytes.length > len) {
        throw new TypeError(`R record carries ${bytes.length} bytes but says the packet has ${len}`);
      }
      return {
        kind,
        seq,
        us: num(2, "timestamp"),
        conn: num(3, "connection"),
        dir: dir(4),
        len,
        bytes,
        truncated: bytes.length < len,
        line: lineNo,
      };
    }
    case "M": {
      if (f.length !== 7) throw new TypeError(`M record has ${f.length} fields, expected 7`);
      const hex = f[6] === "-" ? "" : f[6]!;
      return {
        kind,
        seq,
        us: num(2, "timestamp"),
        conn: num(3, "connection"),
        dir: dir(4),
        why: f[5]!,
        bytes: fromHex(hex),
        line: lineNo,
      };
    }
    case "C":
      return {
        kind,
        seq,
        us: num(2, "timestamp"),
        conn: num(3, "connection"),
        dir: dir(4),
        how: f[5] ?? "",
        line: lineNo,
      };
    case "L":
      return { kind, seq, count: num(2, "count"), line: lineNo };
  }
  throw new TypeError(`Unknown record type "${kind}"`);
}

/**
 * Incremental verifier: feed raw serial lines in order, then call finish().
 */
export class CaptureVerifier {
  #records: CaptureRecord[] = [];
  #problems: Problem[] = [];
  #console: string[] = [];
  #preamble = 0;
  #hello: Record<string, string> | null = null;
  #nextSeq = -1; // -1 = before the first H
  #lineNo = 0;
  #noiseRun = 0;
  #noiseFirst = "";

  /** Feed one line (without its "\n"; a trailing "\r" is ignored). */
  push(raw: string): void {
    const lineNo = ++this.#lineNo;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const inSession = this.#nextSeq >= 0;
    if (line.startsWith("# ")) {
      if (inSession) this.#console.push(line.slice(2));
      else this.#preamble++;
      return;
    }
    const sp = line.lastIndexOf(" ");
    const crcOk = sp > 0 && /^[0-9a-f]{8}$/.test(line.slice(sp + 1)) &&
      crc32Hex(line.slice(0, sp)) === line.slice(sp + 1);
    if (!crcOk) {
      if (!inSession) {
        this.#preamble++;
        return;
      }
      if (line === "") return;
      if (RECORD_RE.test(line)) {
        this.#problem(
          "bad-crc",
          lineNo,
          `line ${lineNo} looks like a record but its CRC does not match: ${clip(line)}`,
        );
      } else {
        const last = this.#problems.at(-1);
        if (last?.kind === "noise" && last.line === lineNo - 1 - this.#noiseRun) {
          // one problem per run of noise lines
          this.#noiseRun++;
          last.message = `lines ${last.line}-${lineNo} are not records (noise on the serial link), first: ${
            clip(this.#noiseFirst)
          }`;
        } else {
          this.#noiseRun = 0;
          this.#noiseFirst = line;
          this.#problem("noise", lineNo, `line ${lineNo} is not a record (noise on the serial link): ${clip(line)}`);
        }
      }
      return;
    }
    let rec: CaptureRecord;
    try {
      rec = parseRecord(line.slice(0, sp), lineNo);
    } catch (e) {
      if (!inSession) {
        this.#preamble++;
        return;
      }
      this.#problem("bad-record", lineNo, `line ${lineNo}: ${(e as Error).message}`);
      return;
    }
    if (rec.kind === "H") {
      if (inSession) {
        this.#problem(
          "rig-reset",
          lineNo,
          `line ${lineNo}: the rig restarted mid-session (new H record, seq ${rec.seq}); packets in flight were lost`,
        );
      }
      if (rec.seq !== 0) this.#problem("seq-gap", lineNo, `line ${lineNo}: H record has seq ${rec.seq}, expected 0`);
      this.#hello = rec.fields;
      this.#nextSeq = rec.seq + 1;
      this.#records.push(rec);
      return;
    }
    if (!inSession) {
      this.#preamble++;
      return;
    }
    if (rec.kind === "L") {
      const first = rec.seq - rec.count;
      if (first === this.#nextSeq) {
        this.#problem(
          "rig-overflow",
          lineNo,
          `line ${lineNo}: the rig's serial ring overflowed and dropped ${rec.count} record(s) (seq ${first}..${
            rec.seq - 1
          }); the host read the port too slowly`,
        );
      } else {
        this.#problem(
          "seq-gap",
          lineNo,
          `line ${lineNo}: loss record for ${rec.count} record(s) ending at seq ${
            rec.seq - 1
          } does not match the expected seq ${this.#nextSeq}`,
        );
      }
      this.#nextSeq = rec.seq + 1;
      this.#records.push(rec);
      return;
    }
    if (rec.seq > this.#nextSeq) {
      const missing = rec.seq - this.#nextSeq;
      this.#problem(
        "seq-gap",
        lineNo,
        `line ${lineNo}: ${missing} record(s) missing before seq ${rec.seq} (expected seq ${this.#nextSeq}); dropped or corrupted on the serial link`,
      );
    } else if (rec.seq < this.#nextSeq) {
      this.#problem(
        "seq-backwards",
        lineNo,
        `line ${lineNo}: seq ${rec.seq} repeats or goes backwards (expected ${this.#nextSeq})`,
      );
    }
    this.#nextSeq = rec.seq + 1;
    // M records (bytes that are not a valid packet) are client behaviour, not a
    // capture fault: the comparison reports them.
    if (rec.kind === "R" && rec.truncated) {
      this.#problem(
        "truncated-packet",
        lineNo,
        `line ${lineNo}: conn ${rec.conn} ${rec.dir} packet of ${rec.len} bytes was cut to ${rec.bytes.length} by the rig's packet cap`,
      );
    }
    this.#records.push(rec);
  }

  /** Note that the serial device went away (EIO, unplugged, socat exited). */
  linkLost(message: string): void {
    this.#problem("link-lost", 0, message);
  }

  /** Record a problem found by the caller (e.g. the capture ended too early). */
  note(kind: ProblemKind, message: string): void {
    this.#problem(kind, 0, message);
  }

  /** The verified capture so far. */
  finish(): Capture {
    const problems = [...this.#problems];
    if (this.#nextSeq < 0) {
      problems.push({
        kind: "no-session",
        line: 0,
        message:
          `no valid H record in ${this.#lineNo} line(s): the rig never started a capture session (wrong port, wrong baud, or no firmware?)`,
      });
    }
    return { records: this.#records, problems, console: this.#console, preamble: this.#preamble, hello: this.#hello };
  }

  #problem(kind: ProblemKind, line: number, message: string): void {
    this.#problems.push({ kind, line, message });
  }
}

/** Verify a whole serial log (text, "\n"-separated). */
export function verifyCapture(text: string): Capture {
  const v = new CaptureVerifier();
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  for (const l of lines) v.push(l);
  return v.finish();
}

function clip(s: string): string {
  const printable = s.replace(/[^\x20-\x7e]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return printable.length > 120 ? printable.slice(0, 117) + "..." : printable;
}
