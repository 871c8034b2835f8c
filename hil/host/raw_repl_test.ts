import assert from "node:assert/strict";
import { test } from "node:test";
import { type ByteLink, parseExecReply, RawRepl } from "./raw_repl.ts";
import { boardProgram, parseBoardReport, retarget } from "./record.ts";

/** A fake MicroPython board speaking the raw REPL: runs "programs" by table lookup. */
class FakeBoard implements ByteLink {
  #rx: (b: Uint8Array) => void = () => {};
  written = "";
  raw = false;
  code = "";
  stdin = "";
  constructor(
    readonly programs: (
      code: string,
      board: FakeBoard,
    ) => Promise<{ out: string; err: string }> | { out: string; err: string },
    readonly split = 3,
  ) {}
  onData(f: (b: Uint8Array) => void): void {
    this.#rx = f;
  }
  send(s: string): void {
    // deliver in small pieces, like a UART
    const b = Uint8Array.from(s, (c) => c.charCodeAt(0));
    for (let i = 0; i < b.length; i += this.split) {
      const piece = b.subarray(i, i + this.split);
      setTimeout(() => this.#rx(piece), 0);
    }
  }
  write(bytes: Uint8Array): void {
    const s = String.fromCharCode(...bytes);
    this.written += s;
    for (const ch of s) this.#byte(ch);
  }
  #byte(ch: string): void {
    if (this.running) {
      this.stdin += ch;
      return;
    }
    if (ch === "\x01") {
      this.raw = true;
      this.code = "";
      this.send("raw REPL; CTRL-B to exit\r\n>");
    } else if (ch === "\x02") {
      this.raw = false;
    } else if (ch === "\x04" && this.raw) {
      const code = this.code;
      this.code = "";
      this.running = true;
      this.send("OK");
      void Promise.resolve(this.programs(code, this)).then(({ out, err }) => {
        this.running = false;
        this.send(`${out}\x04${err}\x04>`);
      });
    } else if (this.raw && ch !== "\x03") {
      this.code += ch;
    }
  }
  running = false;
}

test("parseExecReply() frames OK stdout \\x04 stderr \\x04 >", () => {
  assert.deepEqual(parseExecReply("O"), { state: "incomplete" });
  assert.deepEqual(parseExecReply("OKhello\r\n\x04"), { state: "incomplete" });
  assert.deepEqual(parseExecReply("OKhello\r\n\x04\x04>"), {
    state: "done",
    stdout: "hello\r\n",
    stderr: "",
    rest: "",
  });
  assert.deepEqual(parseExecReply("OK\x04Traceback...\x04>x"), {
    state: "done",
    stdout: "",
    stderr: "Traceback...",
    rest: "x",
  });
  assert.equal(parseExecReply("raw REPL; CTRL-B").state, "refused");
  assert.equal(parseExecReply("OK\x04\x04?").state, "refused");
});

test("RawRepl enters, runs code in chunks and returns stdout/stderr", async () => {
  const board = new FakeBoard((code) =>
    code === "print(1+1)" ? { out: "2\r\n", err: "" } : { out: "", err: `NameError: ${code.length}` }
  );
  const repl = new RawRepl(board, { chunkSize: 4, chunkDelayMs: 0 });
  await repl.enter(2000);
  assert.ok(board.written.startsWith("\r\x03\x03\r\x01"));
  assert.deepEqual(await repl.exec("print(1+1)", 2000), { stdout: "2\r\n", stderr: "" });
  const long = "a".repeat(1000);
  assert.deepEqual(await repl.exec(long, 2000), { stdout: "", stderr: "NameError: 1000" });
  repl.exit();
  assert.ok(board.written.endsWith("\x02"));
  assert.equal(board.raw, false);
});

test("RawRepl streams output and feeds stdin for sync points", async () => {
  const board = new FakeBoard(async (_code, b) => {
    b.send("@@SYNC pub\r\n");
    while (!b.stdin.includes("\n")) await new Promise((r) => setTimeout(r, 5));
    return { out: "@@CALL 3 10 20 R 48\r\n", err: "" };
  });
  const repl = new RawRepl(board, { chunkDelayMs: 0 });
  await repl.enter(2000);
  const seen: string[] = [];
  const res = await repl.exec("prog", 3000, (t) => {
    seen.push(t);
    if (seen.join("").includes("@@SYNC pub")) repl.input("\r\n");
  });
  assert.match(seen.join(""), /@@SYNC pub/);
  assert.equal(res.stdout, "@@SYNC pub\r\n@@CALL 3 10 20 R 48\r\n");
});

test("RawRepl names the problem when the board never answers", async () => {
  const silent: ByteLink = { write() {}, onData() {} };
  await assert.rejects(new RawRepl(silent).enter(200), /timed out after 200 ms waiting for the banner/);
});

test("parseBoardReport() and retarget() prepare the recorded trace", () => {
  const lines = ['c = MQTTClient("umqtt-a1", "127.0.0.1", port=28840)', "c.connect()", "c.check_msg()"];
  assert.deepEqual(retarget(lines, "192.168.1.50", 1883)[0], 'c = MQTTClient("umqtt-a1", "192.168.1.50", port=1883)');
  const r = parseBoardReport(
    "@@CALL 0 1 2 S None\r\n@@CALL 1 3 9 R 0\r\n@@CB 2 10 b'umqtt/t' b'hi' 2\r\n@@CALL 2 9 11 E OSError(-1,)\r\nstray\r\n",
    lines,
  );
  assert.deepEqual(r.calls.map((c) => [c.i, c.result, c.exception]), [[0, undefined, undefined], [1, "0", undefined], [
    2,
    undefined,
    "OSError(-1,)",
  ]]);
  assert.deepEqual(r.callbacks, [{ during_call: 2, t_ms: 10, topic: "b'umqtt/t'", msg: "b'hi'", msg_len: 2 }]);
  assert.deepEqual(r.other, ["stray"]);
  const prog = boardProgram(lines);
  assert.match(prog, /_lines = \["c = MQTTClient/);
  assert.match(prog, /print\('@@CALL', _i, _ts, _now\(\), _kind, repr\(_v\)\)/);
});
