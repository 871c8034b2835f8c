/**
 * `umqtt sub`/`pub` next to mosquitto_sub/mosquitto_pub on the same broker:
 * reconnecting across a broker restart, `--unsubscribe` however the run
 * ends, `-E`, `-U`, `-T`, `--retained-only`, `-d`, `--quiet`, `-F %j`/`%m`,
 * and MQTT over WebSockets (`-L ws://`, `-L wss://`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { type Mosquitto, type MosquittoOptions, startMosquitto } from "../../scripts/mosquitto.ts";
import { makeTestPki } from "../_tls.ts";
import { type Proc, reap, run, runCli, start, startCli, waitForLog, waitForOutput } from "./_run.ts";

async function withBroker(fn: (b: Mosquitto) => Promise<void>, opts: MosquittoOptions = {}): Promise<void> {
  const broker = await startMosquitto({ ...opts, global: ["log_dest stderr", ...(opts.global ?? [])] });
  try {
    await fn(broker);
  } finally {
    await broker.stop();
  }
}

function mosquittoSub(b: Mosquitto, id: string, args: string[]): Proc {
  return start("mosquitto_sub", ["-p", String(b.port), "-i", id, ...args]);
}

function ourSub(b: Mosquitto, id: string, args: string[]): Proc {
  return startCli(["sub", "-p", String(b.port), "-i", id, ...args]);
}

const count = (b: Mosquitto, text: string): number => b.log.filter((l) => l.includes(text)).length;

async function waitUntil(what: string, ok: () => boolean, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("umqtt sub reconnects and resubscribes after a broker restart, as mosquitto_sub does", async () => {
  let broker = await startMosquitto({ global: ["log_dest stderr"] });
  const port = broker.port;
  const procs: Proc[] = [];
  try {
    procs.push(mosquittoSub(broker, "theirs", ["-t", "rs/#", "-C", "2", "-v", "-q", "1"]));
    procs.push(ourSub(broker, "ours", ["-t", "rs/#", "-C", "2", "-v", "-q", "1"]));
    await waitForLog(broker, "Sending SUBACK to theirs");
    await waitForLog(broker, "Sending SUBACK to ours");
    await run("mosquitto_pub", ["-p", String(port), "-t", "rs/1", "-m", "before", "-q", "1"]);
    for (const p of procs) await waitForOutput(p, "rs/1 before\n");
    await broker.stop();
    await new Promise((r) => setTimeout(r, 1500)); // both retry while the broker is down
    broker = await startMosquitto({ global: ["log_dest stderr"], port });
    await waitForLog(broker, "Sending SUBACK to theirs");
    await waitForLog(broker, "Sending SUBACK to ours");
    await run("mosquitto_pub", ["-p", String(port), "-t", "rs/2", "-m", "after", "-q", "1"]);
    const [theirs, ours] = await Promise.all(procs.map((p) => p.done));
    assert.equal(theirs!.code, 0, theirs!.stderr);
    assert.equal(ours!.code, 0, ours!.stderr);
    assert.equal(ours!.out, theirs!.out);
    assert.equal(ours!.out, "rs/1 before\nrs/2 after\n");
    assert.equal(ours!.stderr, "");
  } finally {
    for (const p of procs) await reap(p);
    await broker.stop();
  }
});

test("umqtt sub exits 1 when the first connection fails, as mosquitto_sub does", async () => {
  await withBroker(async (b) => {
    const port = String(b.port);
    await b.stop();
    const ours = await runCli(["sub", "-p", port, "-t", "x"]);
    const theirs = await run("mosquitto_sub", ["-p", port, "-t", "x"]);
    assert.equal(theirs.code, 1);
    assert.equal(ours.code, 1);
    assert.match(ours.stderr, /^umqtt sub: /);
  });
});

for (const end of ["-W", "SIGINT", "-C"] as const) {
  test(`umqtt sub --unsubscribe sends UNSUBSCRIBE before DISCONNECT when ${end} ends the run`, async () => {
    await withBroker(async (b) => {
      let ours: Proc | undefined;
      try {
        const args = ["-t", "u/a", "-t", "u/b", "--unsubscribe", "-q", "1"];
        if (end === "-W") args.push("-W", "1");
        if (end === "-C") args.push("-C", "1");
        ours = ourSub(b, `unsub${end}`, args);
        await waitForLog(b, `Sending SUBACK to unsub${end}`);
        await waitUntil("two SUBACKs", () => count(b, `Sending SUBACK to unsub${end}`) === 2);
        if (end === "SIGINT") process.kill(ours.child.pid!, "SIGINT");
        if (end === "-C") await run("mosquitto_pub", ["-p", String(b.port), "-t", "u/b", "-m", "x"]);
        const r = await ours.done;
        assert.equal(r.code, end === "-W" ? 27 : 0, r.stderr);
        await waitForLog(b, `Received DISCONNECT from unsub${end}`);
        const lines = b.log.filter((l) => l.includes(`unsub${end}`)).map((l) => l.replace(/^\d+: /, ""));
        const unsub = lines.filter((l) => l.startsWith("Received UNSUBSCRIBE"));
        assert.equal(unsub.length, 2, lines.join("\n"));
        assert.ok(lines.indexOf(unsub[1]!) < lines.findIndex((l) => l.startsWith("Received DISCONNECT")));
      } finally {
        await reap(ours);
      }
    });
  });
}

test("umqtt sub -E exits 0 once subscribed; -c -E then leaves a session that keeps messages, as mosquitto_sub", async () => {
  await withBroker(async (b) => {
    for (const [cmd, id] of [["mosquitto_sub", "persist-theirs"], ["ours", "persist-ours"]] as const) {
      const args = ["-p", String(b.port), "-i", id, "-c", "-q", "1", "-t", `keep/${id}`, "-E"];
      const r = cmd === "ours" ? await runCli(["sub", ...args]) : await run(cmd, args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.out, "");
      await run("mosquitto_pub", ["-p", String(b.port), "-t", `keep/${id}`, "-m", "queued", "-q", "1"]);
    }
    const theirs = await run("mosquitto_sub", [
      "-p",
      String(b.port),
      "-i",
      "persist-theirs",
      "-c",
      "-t",
      "keep/#",
      "-C",
      "1",
      "-q",
      "1",
    ]);
    const ours = await runCli([
      "sub",
      "-p",
      String(b.port),
      "-i",
      "persist-ours",
      "-c",
      "-t",
      "keep/#",
      "-C",
      "1",
      "-q",
      "1",
    ]);
    assert.equal(theirs.out, "queued\n");
    assert.equal(ours.out, "queued\n");
  });
});

test("umqtt sub -U unsubscribes a filter of the session, -T filters topics out, as mosquitto_sub", async () => {
  await withBroker(async (b) => {
    for (const id of ["us-t", "ms-t"]) {
      // Leave a persistent subscription to old/# behind, then remove it with -U.
      const args = ["-p", String(b.port), "-i", id, "-c", "-q", "1", "-t", "old/#", "-E"];
      assert.equal((id === "us-t" ? await runCli(["sub", ...args]) : await run("mosquitto_sub", args)).code, 0);
    }
    const procs: Proc[] = [];
    try {
      const args = [
        "-c",
        "-q",
        "1",
        "-t",
        "new/#",
        "-U",
        "old/#",
        "-T",
        "new/secret/#",
        "-T",
        "new/+/skip",
        "-C",
        "2",
        "-v",
      ];
      procs.push(ourSub(b, "us-t", args), mosquittoSub(b, "ms-t", args));
      await waitUntil("both UNSUBACKs", () => count(b, "Sending UNSUBACK to") === 2);
      for (
        const [t, m] of [["old/a", "gone"], ["new/secret/x", "no"], ["new/a/skip", "no"], ["new/a", "1"], [
          "new/b",
          "2",
        ]]
      ) {
        await run("mosquitto_pub", ["-p", String(b.port), "-t", t!, "-m", m!, "-q", "1"]);
      }
      const [ours, theirs] = await Promise.all(procs.map((p) => p.done));
      assert.equal(theirs!.out, "new/a 1\nnew/b 2\n");
      assert.equal(ours!.out, theirs!.out);
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt sub --retained-only prints the retained messages and exits at the first live one, as mosquitto_sub", async () => {
  await withBroker(async (b) => {
    for (const t of ["st/a", "st/b"]) {
      await run("mosquitto_pub", ["-p", String(b.port), "-t", t, "-m", `kept ${t}`, "-r", "-q", "1"]);
    }
    const procs: Proc[] = [];
    try {
      procs.push(ourSub(b, "ro-ours", ["-t", "st/#", "--retained-only", "-v"]));
      procs.push(mosquittoSub(b, "ro-theirs", ["-t", "st/#", "--retained-only", "-v"]));
      for (const p of procs) await waitForOutput(p, "st/b kept st/b\n");
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "st/c", "-m", "live"]);
      const [ours, theirs] = await Promise.all(procs.map((p) => p.done));
      assert.equal(theirs!.code, 0);
      assert.equal(ours!.code, 0, ours!.stderr);
      assert.equal(ours!.out, theirs!.out);
      const both = await runCli(["sub", "-t", "st/#", "--retained-only", "-R"]);
      assert.equal(both.code, 2);
      assert.match(both.stderr, /-R and --retained-only contradict each other/);
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt sub and pub -d print the packets in mosquitto's words; sub completes QoS 2 before it exits", async () => {
  await withBroker(async (b) => {
    const procs: Proc[] = [];
    try {
      const args = ["-t", "dbg/#", "-q", "2", "-C", "1", "-d", "-v"];
      procs.push(ourSub(b, "dbg", args));
      procs.push(mosquittoSub(b, "dbg2", args));
      await waitForLog(b, "Sending SUBACK to dbg2");
      await waitForLog(b, "Sending SUBACK to dbg");
      const pubArgs = ["-p", String(b.port), "-t", "dbg/q2", "-m", "two", "-q", "2", "-d"];
      const ourPub = await runCli(["pub", "-i", "pub-dbg", ...pubArgs]);
      const [ours, theirs] = await Promise.all(procs.map((p) => p.done));
      const theirPub = await run("mosquitto_pub", ["-i", "pub-dbg", ...pubArgs]);
      assert.equal(ourPub.out, theirPub.out);
      assert.equal(
        ourPub.out,
        "Client pub-dbg sending CONNECT\nClient pub-dbg received CONNACK (0)\n" +
          "Client pub-dbg sending PUBLISH (d0, q2, r0, m1, 'dbg/q2', ... (3 bytes))\n" +
          "Client pub-dbg received PUBREC (Mid: 1)\nClient pub-dbg sending PUBREL (m1)\n" +
          "Client pub-dbg received PUBCOMP (Mid: 1, RC:0)\nClient pub-dbg sending DISCONNECT\n",
      );
      // mosquitto prints a QoS 2 message after PUBCOMP, we print it on arrival: compare the packet lines.
      const packets = (out: string, id: string): string[] =>
        out.split("\n").filter((l) => l.startsWith("Client ") || l.startsWith("Subscribed")).map((l) =>
          l.replace(`Client ${id} `, "Client X ")
        );
      assert.deepEqual(packets(ours!.out, "dbg"), [
        "Client X sending CONNECT",
        "Client X received CONNACK (0)",
        "Client X sending SUBSCRIBE (Mid: 1, Topic: dbg/#, QoS: 2, Options: 0x00)",
        "Client X received SUBACK",
        "Subscribed (mid: 1): 2",
        "Client X received PUBLISH (d0, q2, r0, m1, 'dbg/q2', ... (3 bytes))",
        "Client X sending PUBREC (m1, rc0)",
        "Client X received PUBREL (Mid: 1)",
        "Client X sending PUBCOMP (m1)",
        "Client X sending DISCONNECT",
      ]);
      assert.deepEqual(packets(ours!.out, "dbg"), packets(theirs!.out, "dbg2"));
      assert.ok(ours!.out.includes("dbg/q2 two\n"));
      assert.ok(b.log.some((l) => l.includes("Received PUBCOMP from dbg ")), b.log.join("\n"));
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt --quiet prints no error but keeps the exit status, as mosquitto", async () => {
  await withBroker(async (b) => {
    const port = String(b.port);
    const timeout = await runCli(["sub", "-p", port, "-t", "x", "--quiet", "-W", "0.3"]);
    assert.equal(timeout.code, 27);
    assert.equal(timeout.stderr, "");
    await b.stop();
    for (const cmd of ["pub", "sub"]) {
      const args = cmd === "pub" ? ["-t", "x", "-m", "y"] : ["-t", "x"];
      const loud = await runCli([cmd, "-p", port, ...args]);
      const quiet = await runCli([cmd, "-p", port, ...args, "--quiet"]);
      const theirs = await run(`mosquitto_${cmd}`, ["-p", port, ...args, "--quiet"]);
      assert.equal(loud.code, 1);
      assert.notEqual(loud.stderr, "");
      assert.equal(quiet.code, theirs.code);
      assert.equal(quiet.stderr, theirs.stderr);
      assert.equal(quiet.stderr, "");
    }
  });
});

test("umqtt sub -F %j and %m print what mosquitto_sub prints, byte for byte but the time", async () => {
  await withBroker(async (b) => {
    const procs: Proc[] = [];
    try {
      const args = ["-t", "j/#", "-q", "2", "-C", "4", "-F", "%j|%m|%l|%X"];
      procs.push(ourSub(b, "js-ours", args), mosquittoSub(b, "js-theirs", args));
      await waitForLog(b, "Sending SUBACK to js-ours");
      await waitForLog(b, "Sending SUBACK to js-theirs");
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "j/r", "-m", "kept", "-r"]);
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "j/a", "-m", 'héllo "wörld"', "-q", "1"]);
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "j/b", "-m", '{"v":[1,2]}', "-q", "2"]);
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "j/c", "-s"], "a\x01\tb\\/\r\n\x7f");
      const [ours, theirs] = await Promise.all(procs.map((p) => p.done));
      const tst = /"tst":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\+0000"/g;
      assert.equal(ours!.out.match(tst)?.length, 4, ours!.out);
      // Line for line, in any order: mosquitto_sub prints a QoS 2 message only after PUBREL, so the QoS 0 one
      // published next may overtake it on its side (a race between the two flows, not a format difference).
      const lines = (out: string): string[] => out.replace(tst, '"tst":"T"').split("\n").sort();
      assert.deepEqual(lines(ours!.out), lines(theirs!.out));
      assert.ok(ours!.out.includes('"mid":1,'), ours!.out);
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt sub -F %I and %U have mosquitto_sub's shapes", async () => {
  await withBroker(async (b) => {
    const procs: Proc[] = [];
    try {
      const args = ["-t", "tm", "-C", "1", "-F", "%I %U"];
      procs.push(ourSub(b, "tm-ours", args), mosquittoSub(b, "tm-theirs", args));
      await waitForLog(b, "Sending SUBACK to tm-ours");
      await waitForLog(b, "Sending SUBACK to tm-theirs");
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "tm", "-m", "x"]);
      const [ours, theirs] = await Promise.all(procs.map((p) => p.done));
      const shape = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \d{10}\.\d{9}\n$/;
      assert.match(theirs!.out, shape);
      assert.match(ours!.out, shape);
      assert.equal(ours!.out.slice(19, 24), theirs!.out.slice(19, 24)); // the same UTC offset
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt pub and sub speak MQTT over WebSockets with -L ws:// (mosquitto's websockets listener)", async () => {
  await withBroker(async (b) => {
    const ws = b.extraPorts[0]!;
    let theirs: Proc | undefined;
    let ours: Proc | undefined;
    try {
      theirs = mosquittoSub(b, "ws-watch", ["-t", "ws/#", "-C", "1", "-v"]);
      ours = startCli(["sub", "-L", `ws://127.0.0.1:${ws}/mqtt`, "-i", "ws-ours", "-t", "ws/#", "-C", "1", "-v"]);
      await waitForLog(b, "Sending SUBACK to ws-watch");
      await waitForLog(b, "Sending SUBACK to ws-ours");
      const pub = await runCli(["pub", "-L", `ws://127.0.0.1:${ws}/mqtt`, "-t", "ws/1", "-m", "over ws", "-q", "1"]);
      assert.equal(pub.code, 0, pub.stderr);
      assert.equal((await theirs.done).out, "ws/1 over ws\n");
      const r = await ours.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.out, "ws/1 over ws\n");
      assert.ok(b.log.some((l) => /New client connected from .* as ws-ours/.test(l)));
    } finally {
      await reap(theirs);
      await reap(ours);
    }
  }, { extraListeners: [{ lines: ["allow_anonymous true", "protocol websockets"] }] });
});

test("umqtt pub speaks MQTT over TLS WebSockets with -L wss:// and --cafile", async () => {
  const pki = makeTestPki();
  try {
    await withBroker(async (b) => {
      let theirs: Proc | undefined;
      try {
        theirs = mosquittoSub(b, "wss-watch", ["-t", "wss/#", "-C", "1", "-v"]);
        await waitForLog(b, "Sending SUBACK to wss-watch");
        const url = `wss://127.0.0.1:${b.extraPorts[0]}/mqtt`;
        const pub = await runCli([
          "pub",
          "-L",
          url,
          "--cafile",
          pki.files.ca,
          "-t",
          "wss/1",
          "-m",
          "sealed",
          "-q",
          "1",
        ]);
        assert.equal(pub.code, 0, pub.stderr);
        assert.equal((await theirs.done).out, "wss/1 sealed\n");
      } finally {
        await reap(theirs);
      }
    }, {
      extraListeners: [{
        lines: [
          "allow_anonymous true",
          "protocol websockets",
          `certfile ${pki.files.serverCert}`,
          `keyfile ${pki.files.serverKey}`,
        ],
      }],
    });
  } finally {
    pki.cleanup();
  }
});
