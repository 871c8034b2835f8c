/**
 * Recording mode: run a reference scenario with MicroPython's real
 * umqtt.simple on a board, through the ESP32 tap, against a fresh mosquitto,
 * and write a trace file in the shared format.
 *
 *   deno run -A hil/host/main.ts --record --board /dev/ttyUSB0 --board-ip 192.168.1.50 \
 *     --lan-ip 192.168.1.10 --mpy /dev/ttyACM0 --only a1 [--umqtt-version 1.8.0]
 *
 * The MicroPython board must already be on the same Wi-Fi (boot.py) and have
 * umqtt.simple installed (mip.install("umqtt.simple")). The script lines are
 * taken from the existing trace of the same scenario, with the recorder's
 * host and ports replaced by the tap's address.
 *
 * UNTESTED ON HARDWARE: the raw-REPL framing is unit-tested against a fake
 * board (raw_repl_test.ts); the rest has never run against a real board.
 *
 * @module
 */
import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { freePort } from "../../scripts/mosquitto.ts";
import { startBroker } from "./broker.ts";
import { toHex } from "./hex.ts";
import type { Cli } from "./main.ts";
import { loadAll } from "./main.ts";
import { decodePacket } from "./mqtt_decode.ts";
import type { TraceFile } from "./observed.ts";
import { RawRepl } from "./raw_repl.ts";
import { SerialLink } from "./serial.ts";

/** The MicroPython program that runs the script lines and reports each one. */
export function boardProgram(lines: string[]): string {
  return [
    "import sys, time",
    "_t0 = time.ticks_ms()",
    "def _now(): return time.ticks_diff(time.ticks_ms(), _t0)",
    "_cur = -1",
    "def cb(topic, msg):",
    "    print('@@CB', _cur, _now(), repr(topic), repr(msg) if len(msg) <= 96 else '<%d bytes>' % len(msg), len(msg))",
    "def sync(tag):",
    "    print('@@SYNC', tag)",
    "    sys.stdin.readline()",
    "def payload(n): return bytes(i & 0xff for i in range(n))",
    "def sleep(s): time.sleep(s)",
    `_lines = ${JSON.stringify(lines)}`,
    "_g = globals()",
    "for _i, _line in enumerate(_lines):",
    "    _cur = _i",
    "    _ts = _now()",
    "    try:",
    "        try:",
    "            _code = compile(_line, '<scenario>', 'eval')",
    "            _kind = 'R'",
    "        except SyntaxError:",
    "            _code = compile(_line, '<scenario>', 'exec')",
    "            _kind = 'S'",
    "        _v = eval(_code, _g) if _kind == 'R' else exec(_code, _g)",
    "        print('@@CALL', _i, _ts, _now(), _kind, repr(_v))",
    "    except Exception as _e:",
    "        print('@@CALL', _i, _ts, _now(), 'E', repr(_e))",
    "",
  ].join("\n");
}

/** Parsed board report lines. */
export interface BoardReport {
  calls: TraceFile["calls"];
  callbacks: TraceFile["callbacks"];
  syncs: string[];
  other: string[];
}

/**
 * Parse the program's stdout.
 *
 * @param stdout All report text.
 * @param lines The script lines (for `code`).
 * @returns Calls, callbacks, sync tags and other output.
 */
export function parseBoardReport(stdout: string, lines: string[]): BoardReport {
  const r: BoardReport = { calls: [], callbacks: [], syncs: [], other: [] };
  for (const raw of stdout.split(/\r?\n/)) {
    if (!raw) continue;
    let m = /^@@CALL (\d+) (-?\d+) (-?\d+) ([RSE]) (.*)$/.exec(raw);
    if (m) {
      const i = Number(m[1]);
      const call: TraceFile["calls"][number] = { i, code: lines[i] ?? "", t_ms: Number(m[2]), t_end_ms: Number(m[3]) };
      if (m[4] === "R") call.result = m[5]!;
      if (m[4] === "E") call.exception = m[5]!;
      r.calls.push(call);
      continue;
    }
    m = /^@@CB (-?\d+) (-?\d+) (b'.*'|b".*") (.*) (\d+)$/.exec(raw);
    if (m) {
      r.callbacks.push({
        during_call: Number(m[1]),
        t_ms: Number(m[2]),
        topic: m[3]!,
        msg: m[4]!,
        msg_len: Number(m[5]),
      });
      continue;
    }
    m = /^@@SYNC (.*)$/.exec(raw);
    if (m) {
      r.syncs.push(m[1]!);
      continue;
    }
    r.other.push(raw);
  }
  return r;
}

/** Replace the recorder's host/ports (288xx) in script lines by the tap's. */
export function retarget(lines: string[], tapIp: string, tapPort: number): string[] {
  return lines.map((l) => l.replace(/"127\.0\.0\.1", port=2884\d/g, `"${tapIp}", port=${tapPort}`));
}

function run(cmd: string[]): Promise<{ rc: number; stdout: string[] }> {
  return new Promise((resolve) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    p.stdout?.on("data", (d: Uint8Array) => (out += new TextDecoder().decode(d)));
    p.once("close", (code) => resolve({ rc: code ?? -1, stdout: out.split("\n").filter((l) => l !== "") }));
  });
}

/** Entry point of --record. */
export async function recordMain(cli: Cli): Promise<number> {
  if (!cli.board || !cli.mpy || !cli.boardIp || !cli.lanIp) {
    console.error(
      "hil --record needs --board TAP_DEVICE --board-ip TAP_IP --lan-ip THIS_HOST_IP --mpy MICROPYTHON_DEVICE",
    );
    return 2;
  }
  const { pairs } = loadAll(cli);
  const outDir = join(cli.out, "recorded");
  mkdirSync(outDir, { recursive: true });
  let failed = 0;
  for (const { trace, name } of pairs) {
    if (trace.endpoint !== "proxy->anon") {
      console.log(`skip ${name}: recording supports the anonymous broker only (trace endpoint ${trace.endpoint})`);
      continue;
    }
    const lanPort = await freePort();
    const broker = await startBroker([`listener ${lanPort} ${cli.lanIp}`, "allow_anonymous true"]);
    const tap = SerialLink.open(cli.board, { baud: cli.baud });
    const mpy = SerialLink.open(cli.mpy, { baud: 115200 });
    try {
      tap.send("reset");
      await tap.expect(/^H 0 /, 15000, 0);
      tap.send(`upstream ${cli.lanIp} ${lanPort}`);
      await tap.expect(/^# ok upstream /, 3000);
      const repl = new RawRepl(mpy);
      await repl.enter();
      const info = await repl.exec(
        "import sys, os\nu = os.uname()\nprint(u.machine + '|' + u.release + '|' + u.version)\n" +
          "import network\nprint('wlan', network.WLAN(network.STA_IF).isconnected())\n" +
          "try:\n import umqtt.simple as s, hashlib, binascii\n f = open(s.__file__, 'rb')\n print('umqtt', s.__file__, binascii.hexlify(hashlib.sha256(f.read()).digest()).decode())\nexcept Exception as e:\n print('umqtt', repr(e))\n",
        10000,
      );
      if (info.stderr) throw new Error(`MicroPython board reported an error while probing versions: ${info.stderr}`);
      const [machine, release, version] = info.stdout.split(/\r?\n/)[0]!.split("|");
      if (!/wlan True/.test(info.stdout)) {
        throw new Error(
          "The MicroPython board is not on Wi-Fi (network.WLAN(STA_IF).isconnected() is False); connect it in boot.py first",
        );
      }
      const umqttLine = /umqtt (.*)/.exec(info.stdout)?.[1] ?? "unknown";
      const lines = retarget(trace.script, cli.boardIp, 1883);
      const sides: TraceFile["side_actions"] = [];
      const sub = (cmd: string[]): string[] => cmd.map((x) => (x === "28830" ? String(broker.ports.anon) : x));
      const bg: Promise<void>[] = [];
      const t0 = Date.now();
      for (const sa of trace.side_actions.filter((s) => s.at === "setup")) {
        if (sa.cmd[0] === "mosquitto_sub") {
          bg.push(
            run(sub(sa.cmd)).then((r) => void sides.push({ t_ms: Date.now() - t0, at: sa.at, cmd: sa.cmd, ...r })),
          );
          await new Promise((r) => setTimeout(r, 500));
        } else sides.push({ t_ms: Date.now() - t0, at: sa.at, cmd: sa.cmd, ...(await run(sub(sa.cmd))) });
      }
      let pending = "";
      const syncQueue: string[] = [];
      const out = repl.exec(boardProgram(lines), 120000, (text) => {
        pending += text;
        const parts = pending.split("\n");
        pending = parts.pop() ?? "";
        for (const l of parts) {
          const m = /^@@SYNC (.*?)\r?$/.exec(l);
          if (m) syncQueue.push(m[1]!);
        }
      });
      let finished = false;
      out.finally(() => (finished = true)).catch(() => {});
      while (!finished) {
        const tag = syncQueue.shift();
        if (tag !== undefined) {
          for (const sa of trace.side_actions.filter((s) => s.at === tag)) {
            sides.push({ t_ms: Date.now() - t0, at: sa.at, cmd: sa.cmd, ...(await run(sub(sa.cmd))) });
          }
          repl.input("\r\n");
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      const { stdout, stderr } = await out;
      for (const sa of trace.side_actions.filter((s) => s.at === "teardown")) {
        sides.push({ t_ms: Date.now() - t0, at: sa.at, cmd: sa.cmd, ...(await run(sub(sa.cmd))) });
      }
      await Promise.all(bg);
      repl.exit();
      await tap.settle(200, 3000);
      const capture = tap.verifier.finish();
      if (capture.problems.length) {
        throw new Error(`invalid capture from the tap: ${capture.problems.map((p) => p.message).join("; ")}`);
      }
      const report = parseBoardReport(stdout, lines);
      const firstOpen = capture.records.find((r) => r.kind === "O");
      const base = firstOpen && "us" in firstOpen ? firstOpen.us : 0;
      const ms = (us: number): number => Math.round((us - base) / 10) / 100;
      const packets: TraceFile["packets"] = [];
      const connections: TraceFile["connections"] = [];
      for (const r of capture.records) {
        if (r.kind === "O") connections.push({ conn: r.conn, t_open_ms: ms(r.us), ends: {} });
        if (r.kind === "R" || r.kind === "M") {
          const d = r.kind === "R" ? decodePacket(r.bytes) : null;
          packets.push({
            conn: r.conn,
            dir: r.dir,
            t_ms: ms(r.us),
            type: d ? d.type : "INCOMPLETE",
            len: r.kind === "R" ? r.len : r.bytes.length,
            hex: toHex(r.bytes),
          });
        }
        if (r.kind === "C") {
          const c = connections.find((x) => x.conn === r.conn);
          if (c) {
            c.ends[r.dir] = { t_ms: ms(r.us), how: r.how === "reset" ? "error: ConnectionResetError" : "eof" };
            c.ends[r.dir === "c2s" ? "s2c" : "c2s"] = { t_ms: ms(r.us), how: `closed by proxy after ${r.dir} ended` };
          }
        }
      }
      const file = {
        scenario: name,
        letter: name[0],
        description: trace.description,
        client: `umqtt.simple ${cliUmqttVersion()} (${umqttLine}) on MicroPython ${release} (${machine})`,
        board: machine,
        micropython: `${release} ${version}`,
        umqtt_simple: `${cliUmqttVersion()} ${umqttLine}`,
        broker: "mosquitto (fresh instance started by hil --record)",
        recorded_at: new Date().toISOString(),
        endpoint: "esp32-tap->anon",
        ports: { tap: 1883, broker: lanPort },
        script: lines,
        calls: report.calls,
        callbacks: report.callbacks,
        packets,
        connections,
        chunks: [],
        side_actions: sides,
        client_process: {
          exit_code: stderr ? 1 : 0,
          killed_on_timeout: false,
          stderr: stderr ? stderr.split("\n") : [],
          other_stdout: report.other,
        },
        broker_log: { anon: broker.mosquitto.log.slice() },
        notes: [
          "Recorded by hil/host --record through the ESP32 tap. calls[].t_ms are the board's ticks_ms since the program started; packets[].t_ms are the tap's clock since the first connection. The two clocks are not aligned.",
          "The tap reports whole packets only: chunks is empty and t_last_ms is not recorded.",
        ],
      };
      const path = join(outDir, `${name}.json`);
      writeFileSync(path, JSON.stringify(file, null, 1) + "\n");
      console.log(`recorded ${name} -> ${path}`);
    } catch (e) {
      failed++;
      console.log(`FAIL recording ${name}: ${(e as Error).message}`);
    } finally {
      tap.close();
      mpy.close();
      await broker.stop();
    }
  }
  return failed ? 1 : 0;
}

function cliUmqttVersion(): string {
  const k = process.argv.indexOf("--umqtt-version");
  return k > 0 ? process.argv[k + 1] ?? "unknown" : "unknown";
}
