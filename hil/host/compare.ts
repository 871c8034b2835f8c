/**
 * Compare one of our runs with a reference trace: client-to-broker bytes
 * (normalised packet ids, aligned with an LCS so one extra packet does not
 * cascade), broker responses, connection ends, call outcomes, callbacks, side
 * actions and timing. Every difference becomes a one-line key that the
 * allow-list can match.
 *
 * @module
 */
import { type DecodedPacket, decodePacket } from "./mqtt_decode.ts";
import { toHex } from "./hex.ts";
import type { Observed, ObsPacket } from "./observed.ts";

/** One difference between reference and ours. */
export interface Diff {
  /** The matchable one-line key, e.g. `c2s extra PUBREL 62020001`. */
  key: string;
  /** Longer explanation for the report. */
  detail?: string;
  /** For byte differences: the two packets. */
  ref?: ObsPacket;
  ours?: ObsPacket;
}

/** One aligned step: both sides equal, only in a, or only in b. */
export type AlignOp<T> = { op: "eq"; a: T; b: T } | { op: "del"; a: T } | { op: "ins"; b: T };

/**
 * Longest-common-subsequence alignment of two token lists.
 *
 * @param a Reference items.
 * @param b Our items.
 * @param key Token of an item; equal tokens align.
 * @returns The alignment, in order.
 */
export function align<T>(a: readonly T[], b: readonly T[], key: (x: T) => string): AlignOp<T>[] {
  const ka = a.map(key), kb = b.map(key);
  const n = a.length, m = b.length;
  const L: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      L[i]![j] = ka[i] === kb[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
    }
  }
  const out: AlignOp<T>[] = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (ka[i] === kb[j]) out.push({ op: "eq", a: a[i++]!, b: b[j++]! });
    else if (L[i + 1]![j]! >= L[i]![j + 1]!) out.push({ op: "del", a: a[i++]! });
    else out.push({ op: "ins", b: b[j++]! });
  }
  while (i < n) out.push({ op: "del", a: a[i++]! });
  while (j < m) out.push({ op: "ins", b: b[j++]! });
  return out;
}

/** A packet with its normalised token. */
export interface Token {
  tok: string;
  pkt: ObsPacket | null; // null = connection-open marker
  conn: number;
  decoded: DecodedPacket | null;
  /** Raw client-chosen packet id, when the token replaced one by a label. */
  clientPid?: number;
}

const CLIENT_ID_TYPES_C2S = new Set(["PUBLISH", "SUBSCRIBE", "UNSUBSCRIBE", "PUBREL"]);
const BROKER_ID_TYPES_C2S = new Set(["PUBACK", "PUBREC", "PUBCOMP"]);

/**
 * Turn one side's packets into tokens per direction. Client-chosen packet ids
 * become c1, c2, ... in order of first use; broker-chosen ids become b1, b2, ...
 * so a PUBACK must echo whatever id the broker used.
 */
export function tokenize(
  packets: readonly ObsPacket[],
  conns: readonly { conn: number; t_open_ms: number }[],
): { c2s: Token[]; s2c: Token[] } {
  const clientIds = new Map<number, string>();
  const brokerIds = new Map<string, string>(); // key conn:id (broker ids are per connection)
  const c2s: Token[] = [], s2c: Token[] = [];
  const opened = new Set<number>();
  const open = (conn: number): void => {
    if (opened.has(conn)) return;
    opened.add(conn);
    c2s.push({ tok: "OPEN", pkt: null, conn, decoded: null });
    s2c.push({ tok: "OPEN", pkt: null, conn, decoded: null });
  };
  // Connection opens and packets in time order (an open sorts before a packet at the same time).
  type Ev = { t: number; open?: number; p?: ObsPacket };
  const events: Ev[] = [
    ...conns.map((c) => ({ t: c.t_open_ms, open: c.conn })),
    ...packets.map((p) => ({ t: p.t_ms, p })),
  ];
  // Group by connection (in opening order), then time: the README's rule is
  // "compare per connection, in order"; timestamps across connections are not
  // reliable at the microsecond level (the tap accepts a new connection before
  // it reads the last bytes of the old one in the same poll).
  const openOrder = new Map<number, number>();
  [...conns].sort((x, y) => x.t_open_ms - y.t_open_ms || x.conn - y.conn).forEach((c, k) => openOrder.set(c.conn, k));
  const rank = (ev: Ev): number => openOrder.get(ev.open ?? ev.p!.conn) ?? 1e9 + (ev.p?.conn ?? 0);
  events.sort((x, y) =>
    rank(x) - rank(y) || (x.open !== undefined ? -1 : 0) - (y.open !== undefined ? -1 : 0) || x.t - y.t
  );
  for (const ev of events) {
    if (ev.open !== undefined) {
      open(ev.open);
      continue;
    }
    const p = ev.p!;
    open(p.conn);
    if (p.kind !== "packet") {
      const t: Token = { tok: `${p.kind.toUpperCase()} ${toHex(p.bytes)}`, pkt: p, conn: p.conn, decoded: null };
      (p.dir === "c2s" ? c2s : s2c).push(t);
      continue;
    }
    const d = decodePacket(p.bytes);
    let hex = toHex(p.bytes);
    let clientPid: number | undefined;
    if (d.packetIdOffset !== undefined && d.fields.packetId !== undefined) {
      const id = d.fields.packetId as number;
      const useClient = p.dir === "c2s" ? CLIENT_ID_TYPES_C2S.has(d.type) : !["PUBLISH", "PUBREL"].includes(d.type);
      let label: string;
      if (useClient) {
        if (p.dir === "c2s" && !clientIds.has(id)) clientIds.set(id, `c${clientIds.size + 1}`);
        label = clientIds.get(id) ?? `c?${id}`;
        clientPid = id;
      } else {
        const k = `${p.conn}:${id}`;
        if (p.dir === "s2c" && !brokerIds.has(k)) brokerIds.set(k, `b${brokerIds.size + 1}`);
        label = brokerIds.get(k) ?? `b?${id}`;
        if (p.dir === "c2s" && !BROKER_ID_TYPES_C2S.has(d.type)) label = `b?${id}`;
      }
      const o = d.packetIdOffset * 2;
      hex = hex.slice(0, o) + `{${label}}` + hex.slice(o + 4);
    }
    const t: Token = {
      tok: `${d.type} ${hex}`,
      pkt: p,
      conn: p.conn,
      decoded: d,
      ...(clientPid === undefined ? {} : { clientPid }),
    };
    (p.dir === "c2s" ? c2s : s2c).push(t);
  }
  return { c2s, s2c };
}

function short(t: Token): string {
  if (!t.pkt) return "OPEN";
  const hex = toHex(t.pkt.bytes);
  return `${t.decoded?.type ?? t.pkt.kind.toUpperCase()} ${
    hex.length > 72 ? hex.slice(0, 64) + `...(${t.pkt.bytes.length}B)` : hex
  }`;
}

/** Options for {@linkcode compareRuns}. */
export interface CompareOptions {
  /** Timing checks declared by the scenario. */
  timing?: TimingCheck[];
}

/** A timing expectation (only where the trace's point is timing). */
export type TimingCheck =
  | { kind: "broker-closes-idle"; conn: number; min_ms: number; max_ms: number; what: string }
  | { kind: "c2s-interval"; conn: number; type: string; ms: number; tol_ms: number; what: string };

/**
 * Compare our observation with the reference.
 *
 * @param ref From the trace.
 * @param ours From our run.
 * @param opts Timing checks.
 * @returns All differences (empty = identical in every compared respect).
 */
export function compareRuns(ref: Observed, ours: Observed, opts: CompareOptions = {}): Diff[] {
  const diffs: Diff[] = [];
  const tr = tokenize(ref.packets, ref.conns);
  const to = tokenize(ours.packets, ours.conns);

  // c2s: bytes, aligned
  const connPairs = new Map<number, number>(); // ref conn -> our conn
  const a = align(tr.c2s, to.c2s, (t) => t.tok);
  const pending: { del: Token[]; ins: Token[] } = { del: [], ins: [] };
  const flush = (): void => {
    const n = Math.min(pending.del.length, pending.ins.length);
    for (let k = 0; k < n; k++) {
      const r = pending.del[k]!, o = pending.ins[k]!;
      if (!r.pkt || !o.pkt) {
        diffs.push({ key: r.pkt ? `c2s missing ${short(r)}` : `c2s extra connection (ours conn ${o.conn})` });
        diffs.push({ key: o.pkt ? `c2s extra ${short(o)}` : `c2s missing connection (ref conn ${r.conn})` });
        continue;
      }
      diffs.push({ key: `c2s changed ${short(r)} -> ${short(o)}`, ref: r.pkt, ours: o.pkt });
    }
    for (const r of pending.del.slice(n)) {
      diffs.push({
        key: r.pkt ? `c2s missing ${short(r)}` : `c2s missing connection (ref conn ${r.conn})`,
        ...(r.pkt ? { ref: r.pkt } : {}),
      });
    }
    for (const o of pending.ins.slice(n)) {
      diffs.push({
        key: o.pkt ? `c2s extra ${short(o)}` : `c2s extra connection (ours conn ${o.conn})`,
        ...(o.pkt ? { ours: o.pkt } : {}),
      });
    }
    pending.del = [];
    pending.ins = [];
  };
  for (const op of a) {
    if (op.op === "eq") {
      flush();
      if (!op.a.pkt) connPairs.set(op.a.conn, op.b.conn);
      if (op.a.clientPid !== undefined && op.b.clientPid !== undefined && op.a.clientPid !== op.b.clientPid) {
        diffs.push({
          key: `c2s packet id ${op.a.decoded?.type}: ref ${op.a.clientPid} ours ${op.b.clientPid}`,
          detail: `same packet after id normalisation; raw ids differ (${short(op.a)} vs ${short(op.b)})`,
          ...(op.a.pkt ? { ref: op.a.pkt } : {}),
          ...(op.b.pkt ? { ours: op.b.pkt } : {}),
        });
      }
    } else if (op.op === "del") pending.del.push(op.a);
    else pending.ins.push(op.b);
  }
  flush();

  // s2c: broker responses, semantically (ids normalised), aligned
  for (const op of align(tr.s2c, to.s2c, (t) => t.tok)) {
    if (op.op === "del" && op.a.pkt) {
      diffs.push({ key: `s2c missing ${op.a.decoded?.summary ?? short(op.a)}`, ref: op.a.pkt });
    }
    if (op.op === "ins" && op.b.pkt) {
      diffs.push({ key: `s2c extra ${op.b.decoded?.summary ?? short(op.b)}`, ours: op.b.pkt });
    }
  }

  // connection ends, for connections the alignment paired up
  for (const [rc, oc] of connPairs) {
    const r = ref.conns.find((c) => c.conn === rc)?.firstEnd;
    const o = ours.conns.find((c) => c.conn === oc)?.firstEnd;
    // After DISCONNECT both ends close at once; who is first is a race (the
    // reference has it both ways, e.g. d2 conn 2), so only "closed" counts.
    const afterDisconnect = (obs: Observed, conn: number): boolean => {
      const mine = obs.packets.filter((p) => p.conn === conn && p.dir === "c2s");
      const last = mine.reduce<ObsPacket | undefined>((m, p) => (!m || p.t_ms >= m.t_ms ? p : m), undefined);
      return last !== undefined && last.kind === "packet" && last.bytes[0] === 0xe0;
    };
    const describe = (e: typeof r, obs: Observed, conn: number): string =>
      !e
        ? "still open"
        : e.how === "eof" && afterDisconnect(obs, conn)
        ? "closed after DISCONNECT"
        : `${e.dir === "c2s" ? "client" : "broker"} closed (${e.how})`;
    const rs = describe(r, ref, rc);
    const os = describe(o, ours, oc);
    if (rs !== os) diffs.push({ key: `close conn ${rc}: ref ${rs} ours ${os}` });
  }

  // call outcomes
  for (const rc of ref.calls) {
    const oc = ours.calls.find((c) => c.i === rc.i);
    if (!oc) continue; // steps the scenario does not drive (imports, assignments)
    if (rc.outcome === "n/a" || oc.outcome === "n/a") continue;
    if (rc.outcome !== oc.outcome) {
      diffs.push({
        key: `result i=${rc.i} ${rc.code}: ref ${rc.outcome} ours ${oc.outcome}`,
        detail: `ref ${rc.raw || "(statement)"}; ours ${oc.raw}`,
      });
    }
  }

  // callbacks: topic + message in order, then the step they ran in
  const cb = align(ref.callbacks, ours.callbacks, (c) => `${c.topic} ${c.msg}`);
  for (const op of cb) {
    if (op.op === "del") {
      diffs.push({ key: `callback missing ${op.a.topic} ${op.a.msg} (ref during i=${op.a.during})` });
    }
    if (op.op === "ins") diffs.push({ key: `callback extra ${op.b.topic} ${op.b.msg} (ours during i=${op.b.during})` });
    if (op.op === "eq" && op.a.during !== op.b.during) {
      diffs.push({ key: `callback ${op.a.topic} ${op.a.msg} ran during ref i=${op.a.during} ours i=${op.b.during}` });
    }
  }

  // side actions (observers see what the broker published)
  const sideKey = (s: { at: string; cmd: string[] }): string =>
    `${s.at} ${s.cmd[0]} ${s.cmd.filter((x) => !/^(\d+|\$BROKER_PORT)$/.test(x)).slice(1).join(" ")}`;
  for (const rs of ref.sides) {
    const os = ours.sides.find((s) => sideKey(s) === sideKey(rs));
    if (!os) {
      diffs.push({ key: `side ${rs.at} ${rs.cmd[0]} not run` });
      continue;
    }
    if (os.rc !== rs.rc || JSON.stringify(os.stdout) !== JSON.stringify(rs.stdout)) {
      diffs.push({
        key: `side ${rs.at} ${rs.cmd[0]}: ref rc=${rs.rc} ${JSON.stringify(rs.stdout)} ours rc=${os.rc} ${
          JSON.stringify(os.stdout)
        }`,
      });
    }
  }

  // umqtt.robust's DEBUG lines: which errors it caught and retried, in order
  if (ref.logs && ours.logs) {
    for (const op of align(ref.logs, ours.logs, (l) => l.line)) {
      if (op.op === "del") diffs.push({ key: `log missing ${op.a.line}`, detail: op.a.raw });
      if (op.op === "ins") {
        diffs.push({ key: `log extra ${op.b.line} (ours during i=${op.b.during ?? "?"})`, detail: op.b.raw });
      }
    }
  }

  // timing, where the trace's point is timing
  for (const t of opts.timing ?? []) {
    const oc = [...connPairs.entries()].find(([r]) => r === t.conn)?.[1];
    if (oc === undefined) {
      diffs.push({ key: `timing ${t.what}: connection ${t.conn} not found in our run` });
      continue;
    }
    if (t.kind === "broker-closes-idle") {
      const c = ours.conns.find((x) => x.conn === oc);
      const last = ours.packets.filter((p) => p.conn === oc).reduce((m, p) => Math.max(m, p.t_ms), c?.t_open_ms ?? 0);
      const end = c?.firstEnd;
      if (!end || end.dir !== "s2c") {
        diffs.push({ key: `timing ${t.what}: the broker did not close the connection` });
      } else {
        const gap = end.t_ms - last;
        if (gap < t.min_ms || gap > t.max_ms) {
          diffs.push({
            key: `timing ${t.what}: closed ${
              gap.toFixed(0)
            } ms after the last packet, expected ${t.min_ms}-${t.max_ms} ms`,
          });
        }
      }
    } else {
      const ts = ours.packets.filter((p) => p.conn === oc && p.dir === "c2s" && decodePacket(p.bytes).type === t.type)
        .map((p) => p.t_ms);
      for (let k = 1; k < ts.length; k++) {
        const gap = ts[k]! - ts[k - 1]!;
        if (Math.abs(gap - t.ms) > t.tol_ms) {
          diffs.push({
            key: `timing ${t.what}: ${t.type} #${k + 1} came ${
              gap.toFixed(0)
            } ms after the previous, expected ${t.ms}±${t.tol_ms} ms`,
          });
        }
      }
    }
  }
  return diffs;
}

/** One allow-list entry (hil/scenarios/allowlist.json). */
export interface AllowEntry {
  scenario: string;
  /** What differs, in words. */
  what: string;
  /** Why the difference is deliberate. */
  reason: string;
  /** Glob patterns (`*` = any text) over diff keys. Absent for not_applicable entries. */
  match?: string[];
  /** The whole scenario cannot be run against our client. */
  not_applicable?: boolean;
  /** The entry may legitimately match nothing on some runs. */
  optional?: boolean;
}

/** Glob match: `*` matches any run of characters, everything else is literal. */
export function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    "^" + pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]*") + "$",
  );
  return re.test(text);
}

/** Split diffs into allowed (with the entry) and unexpected; report entries that matched nothing. */
export function applyAllowList(
  scenario: string,
  diffs: readonly Diff[],
  entries: readonly AllowEntry[],
): { allowed: { diff: Diff; entry: AllowEntry }[]; unexpected: Diff[]; stale: AllowEntry[] } {
  const mine = entries.filter((e) => e.scenario === scenario && !e.not_applicable);
  const used = new Set<AllowEntry>();
  const allowed: { diff: Diff; entry: AllowEntry }[] = [];
  const unexpected: Diff[] = [];
  for (const d of diffs) {
    const e = mine.find((x) => (x.match ?? []).some((p) => globMatch(p, d.key)));
    if (e) {
      used.add(e);
      allowed.push({ diff: d, entry: e });
    } else unexpected.push(d);
  }
  const stale = mine.filter((e) => !used.has(e) && !e.optional);
  return { allowed, unexpected, stale };
}

/** Name the bytes of a packet, offset by offset, for the side-by-side table. */
export function byteLabels(b: Uint8Array): string[] {
  const lab: string[] = new Array(b.length).fill("payload");
  if (b.length === 0) return lab;
  lab[0] = "type/flags";
  let i = 1;
  while (i < b.length && i <= 4) {
    lab[i] = "remaining length";
    if (!(b[i]! & 0x80)) {
      i++;
      break;
    }
    i++;
  }
  const d = decodePacket(b);
  const set = (from: number, n: number, name: string): number => {
    for (let k = from; k < Math.min(b.length, from + n); k++) lab[k] = name;
    return from + n;
  };
  const str = (at: number, name: string): number => {
    const n = at + 1 < b.length ? (b[at]! << 8) | b[at + 1]! : 0;
    set(at, 2, `${name} length`);
    return set(at + 2, n, name);
  };
  let p = i;
  switch (d.type) {
    case "CONNECT": {
      p = str(p, "protocol name");
      p = set(p, 1, "protocol level");
      const cf = b[p] ?? 0;
      p = set(p, 1, "connect flags");
      p = set(p, 2, "keep alive");
      p = str(p, "client id");
      if (cf & 4) {
        p = str(p, "will topic");
        p = str(p, "will message");
      }
      if (cf & 128) p = str(p, "user name");
      if (cf & 64) p = str(p, "password");
      break;
    }
    case "PUBLISH":
      p = str(p, "topic");
      if (((b[0]! >> 1) & 3) > 0) p = set(p, 2, "packet id");
      break;
    case "SUBSCRIBE":
    case "UNSUBSCRIBE":
      p = set(p, 2, "packet id");
      while (p < b.length) {
        p = str(p, "topic filter");
        if (d.type === "SUBSCRIBE") p = set(p, 1, "requested qos");
      }
      break;
    case "CONNACK":
      set(p, 1, "ack flags");
      set(p + 1, 1, "return code");
      break;
    default:
      if (d.packetIdOffset !== undefined) set(d.packetIdOffset, 2, "packet id");
  }
  return lab;
}

/**
 * A side-by-side table of two packets around their first differing byte.
 *
 * @param ref Reference packet bytes.
 * @param ours Our packet bytes.
 * @param context Rows shown before and after the first difference.
 * @returns Printable lines.
 */
export function sideBySide(ref: Uint8Array, ours: Uint8Array, context = 6): string[] {
  let first = 0;
  while (first < ref.length && first < ours.length && ref[first] === ours[first]) first++;
  const lr = byteLabels(ref), lo = byteLabels(ours);
  const rows = [
    `first differing byte: offset ${first} (ref ${ref.length} bytes, ours ${ours.length} bytes)`,
    `  ref:  ${decodePacket(ref).summary}`,
    `  ours: ${decodePacket(ours).summary}`,
    `  offset | ref | ours | ref field            | our field`,
    `  -------+-----+------+----------------------+---------------------`,
  ];
  const from = Math.max(0, first - context), to = Math.min(Math.max(ref.length, ours.length), first + context + 1);
  const cell = (b: Uint8Array, k: number): string => (k < b.length ? b[k]!.toString(16).padStart(2, "0") : "--");
  for (let k = from; k < to; k++) {
    const mark = cell(ref, k) !== cell(ours, k) ? "*" : " ";
    rows.push(
      `  ${mark}${String(k).padStart(5)} | ${cell(ref, k).padStart(3)} | ${cell(ours, k).padStart(4)} | ${
        (lr[k] ?? "").padEnd(20)
      } | ${lo[k] ?? ""}`,
    );
  }
  return rows;
}
