import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { join } from "node:path";
import { type Mosquitto, type MosquittoOptions, startMosquitto, writePasswordFile } from "../../scripts/mosquitto.ts";
import { makeTestPki } from "../_tls.ts";
import { IS_DENO, type Proc, reap, run, runCli, start, startCli, waitForLog } from "./_run.ts";

async function withBroker(fn: (b: Mosquitto) => Promise<void>, opts: MosquittoOptions = {}): Promise<void> {
  const broker = await startMosquitto({ ...opts, global: ["log_dest stderr", ...(opts.global ?? [])] });
  try {
    await fn(broker);
  } finally {
    await broker.stop();
  }
}

/** Start mosquitto_sub and wait until the broker acknowledged its subscription. */
async function mosquittoSub(b: Mosquitto, id: string, args: string[]): Promise<Proc> {
  const p = start("mosquitto_sub", ["-p", String(b.port), "-i", id, ...args]);
  await waitForLog(b, `Sending SUBACK to ${id}`);
  return p;
}

/** Start our sub and wait until the broker acknowledged its subscription. */
async function ourSub(b: Mosquitto, id: string, args: string[]): Promise<Proc> {
  const p = startCli(["sub", "-p", String(b.port), "-i", id, ...args]);
  await waitForLog(b, `Sending SUBACK to ${id}`);
  return p;
}

test("umqtt pub delivers a QoS 1 message that mosquitto_sub prints", async () => {
  await withBroker(async (b) => {
    let sub: Proc | undefined;
    try {
      sub = await mosquittoSub(b, "ms1", ["-t", "cli/#", "-C", "1", "-v", "-q", "1"]);
      const pub = await runCli(["pub", "-p", String(b.port), "-t", "cli/a", "-m", "héllo wörld", "-q", "1"]);
      assert.equal(pub.code, 0, pub.stderr);
      const r = await sub.done;
      assert.equal(r.code, 0);
      assert.equal(r.out, "cli/a héllo wörld\n");
    } finally {
      await reap(sub);
    }
  });
});

test("umqtt sub -v -C 2 prints what mosquitto_pub sends and exits 0", async () => {
  await withBroker(async (b) => {
    let sub: Proc | undefined;
    try {
      sub = await ourSub(b, "us1", ["-t", "m/#", "-t", "other", "-C", "2", "-v"]);
      assert.equal((await run("mosquitto_pub", ["-p", String(b.port), "-t", "m/x", "-m", "one"])).code, 0);
      assert.equal((await run("mosquitto_pub", ["-p", String(b.port), "-t", "other", "-m", "two", "-q", "1"])).code, 0);
      const r = await sub.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.out, "m/x one\nother two\n");
    } finally {
      await reap(sub);
    }
  });
});

test("umqtt sub --format json prints JSON lines, with hex for a binary payload", async () => {
  await withBroker(async (b) => {
    let sub: Proc | undefined;
    try {
      sub = await ourSub(b, "us2", ["-t", "j/#", "-C", "2", "--format", "json", "-q", "2"]);
      const file = join(b.dir, "bin");
      writeFileSync(file, new Uint8Array([0x00, 0xff, 0x80, 0x0a]));
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "j/bin", "-f", file, "-q", "1"]);
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "j/text", "-m", '{"v":1} "q"', "-q", "2"]);
      const r = await sub.done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.out,
        '{"topic":"j/bin","payload":"00ff800a","qos":1,"retain":false,"encoding":"hex"}\n' +
          '{"topic":"j/text","payload":"{\\"v\\":1} \\"q\\"","qos":2,"retain":false}\n',
      );
    } finally {
      await reap(sub);
    }
  });
});

test("umqtt sub --format hex, -F templates and -N format payloads exactly", async () => {
  await withBroker(async (b) => {
    const procs: Proc[] = [];
    try {
      procs.push(await ourSub(b, "hex", ["-t", "h", "-C", "1", "--format", "hex", "-v"]));
      procs.push(await ourSub(b, "tpl", ["-t", "h", "-C", "1", "-F", "%t|%q|%r|%l|%X|%p\\t%%"]));
      procs.push(await ourSub(b, "raw", ["-t", "h", "-C", "1", "-N"]));
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "h", "-m", "AZ"]);
      const [hex, tpl, raw] = await Promise.all(procs.map((p) => p.done));
      assert.equal(hex!.out, "h 415a\n");
      assert.equal(tpl!.out, "h|0|0|2|415A|AZ\t%\n");
      assert.deepEqual(raw!.stdout, new TextEncoder().encode("AZ"));
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt sub -W exits 27 when no message arrives in time", async () => {
  await withBroker(async (b) => {
    const r = await runCli(["sub", "-p", String(b.port), "-t", "quiet", "-W", "0.3"]);
    assert.equal(r.code, 27);
    assert.equal(r.out, "");
    assert.equal(r.stderr, "umqtt sub: timed out after 0.3 s (-W) with 0 message(s)\n");
  });
});

test("umqtt pub -r retains a message; sub shows retain, and -R skips it", async () => {
  await withBroker(async (b) => {
    const pub = await runCli(["pub", "-p", String(b.port), "-t", "st/dev", "-m", "online", "-r", "-q", "1"]);
    assert.equal(pub.code, 0, pub.stderr);
    const seen = await runCli(["sub", "-p", String(b.port), "-t", "st/#", "-C", "1", "--format", "json"]);
    assert.equal(seen.code, 0, seen.stderr);
    assert.equal(seen.out, '{"topic":"st/dev","payload":"online","qos":0,"retain":true}\n');
    const skipped = await runCli(["sub", "-p", String(b.port), "-t", "st/#", "-R", "-W", "0.4"]);
    assert.equal(skipped.code, 27);
    assert.equal(skipped.out, "");
    const viaMosq = await run("mosquitto_sub", ["-p", String(b.port), "-t", "st/dev", "-C", "1", "-F", "%r %p"]);
    assert.equal(viaMosq.out, "1 online\n");
  });
});

test("umqtt pub -q 2 arrives at QoS 2 in mosquitto_sub, and mosquitto_pub -q 2 in umqtt sub", async () => {
  await withBroker(async (b) => {
    const procs: Proc[] = [];
    try {
      procs.push(await mosquittoSub(b, "ms2", ["-t", "q2/ours", "-C", "1", "-q", "2", "-F", "%q %p"]));
      procs.push(await ourSub(b, "us3", ["-t", "q2/theirs", "-C", "1", "-q", "2", "-F", "%q %p"]));
      assert.equal((await runCli(["pub", "-p", String(b.port), "-t", "q2/ours", "-m", "A", "-q", "2"])).code, 0);
      await run("mosquitto_pub", ["-p", String(b.port), "-t", "q2/theirs", "-m", "B", "-q", "2"]);
      const [theirSub, ourSubResult] = await Promise.all(procs.map((p) => p.done));
      assert.equal(theirSub!.out, "2 A\n");
      assert.equal(ourSubResult!.out, "2 B\n");
      // The full QoS 2 exchanges happened: our pub sent PUBREL, our sub sent PUBREC.
      assert.ok(b.log.some((l) => /Received PUBREL from umqtt-pub-[0-9a-f]{8}/.test(l)), b.log.join("\n"));
      assert.ok(b.log.some((l) => l.includes("Received PUBREC from us3")));
    } finally {
      for (const p of procs) await reap(p);
    }
  });
});

test("umqtt pub -l sends one message per stdin line, empty lines included", async () => {
  await withBroker(async (b) => {
    let sub: Proc | undefined;
    try {
      sub = await mosquittoSub(b, "ms3", ["-t", "lines", "-C", "4", "-F", "[%p]", "-q", "1"]);
      const pub = await runCli(["pub", "-p", String(b.port), "-t", "lines", "-l", "-q", "1"], "first\n\nthird\nlast");
      assert.equal(pub.code, 0, pub.stderr);
      const r = await sub.done;
      assert.equal(r.out, "[first]\n[]\n[third]\n[last]\n");
    } finally {
      await reap(sub);
    }
  });
});

test("umqtt pub -f and -s send binary contents unchanged; -n sends an empty message", async () => {
  await withBroker(async (b) => {
    const bytes = new Uint8Array(3000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
    const file = join(b.dir, "payload.bin");
    writeFileSync(file, bytes);
    let sub: Proc | undefined;
    try {
      sub = await mosquittoSub(b, "ms4", ["-t", "bin/#", "-C", "3", "-N", "-q", "1"]);
      assert.equal((await runCli(["pub", "-p", String(b.port), "-t", "bin/f", "-f", file, "-q", "1"])).code, 0);
      assert.equal((await runCli(["pub", "-p", String(b.port), "-t", "bin/n", "-n", "-q", "1"])).code, 0);
      const s = await runCli(["pub", "-p", String(b.port), "-t", "bin/s", "-s", "-q", "1"], bytes.subarray(0, 10));
      assert.equal(s.code, 0, s.stderr);
      const r = await sub.done;
      const expected = new Uint8Array(3010);
      expected.set(bytes);
      expected.set(bytes.subarray(0, 10), 3000);
      assert.deepEqual(r.stdout, expected);
    } finally {
      await reap(sub);
    }
  });
});

test("umqtt pub authenticates with -u/-P and -L URLs; a wrong password exits 1", async () => {
  const pwDir = mkdtempSync(join(tmpdir(), "umqtt-cli-pw-"));
  try {
    const passwd = writePasswordFile(pwDir, { alice: "s3cret" });
    // mosquitto drops root privileges: let its user read the file.
    chmodSync(pwDir, 0o755);
    chmodSync(passwd, 0o644);
    await withBroker(async (b) => {
      const secured = String(b.extraPorts[0]);
      let sub: Proc | undefined;
      try {
        sub = start("mosquitto_sub", [
          "-p",
          secured,
          "-u",
          "alice",
          "-P",
          "s3cret",
          "-i",
          "ms5",
          "-t",
          "auth/#",
          "-C",
          "2",
          "-v",
        ]);
        await waitForLog(b, "Sending SUBACK to ms5");
        const ok = await runCli(["pub", "-p", secured, "-u", "alice", "-P", "s3cret", "-t", "auth/a", "-m", "1"]);
        assert.equal(ok.code, 0, ok.stderr);
        const url = await runCli([
          "pub",
          "-L",
          `mqtt://alice:s3cret@127.0.0.1:${secured}/auth/b`,
          "-m",
          "2",
          "-q",
          "1",
        ]);
        assert.equal(url.code, 0, url.stderr);
        assert.equal((await sub.done).out, "auth/a 1\nauth/b 2\n");
        const bad = await runCli(["pub", "-p", secured, "-u", "alice", "-P", "wrong", "-t", "auth/a", "-m", "1"]);
        assert.equal(bad.code, 1);
        assert.equal(bad.stderr, "umqtt pub: Connection refused: not authorized (CONNACK return code 5)\n");
        const anon = await runCli(["sub", "-p", secured, "-t", "auth/#"]);
        assert.equal(anon.code, 1);
        assert.match(anon.stderr, /^umqtt sub: Connection refused: not authorized/);
      } finally {
        await reap(sub);
      }
    }, { extraListeners: [{ lines: ["allow_anonymous false", `password_file ${passwd}`] }] });
  } finally {
    rmSync(pwDir, { recursive: true, force: true });
  }
});

test("umqtt sub --will-topic: the broker publishes the will when the process is killed", async () => {
  await withBroker(async (b) => {
    let watcher: Proc | undefined;
    let ours: Proc | undefined;
    try {
      watcher = await mosquittoSub(b, "ms6", ["-t", "will/#", "-C", "1", "-F", "%t %p %r"]);
      ours = await ourSub(b, "victim", [
        "-t",
        "nothing",
        "--will-topic",
        "will/victim",
        "--will-payload",
        "gone",
        "--will-qos",
        "1",
      ]);
      ours.child.kill("SIGKILL");
      assert.equal((await watcher.done).out, "will/victim gone 0\n");
    } finally {
      await reap(watcher);
      await reap(ours);
    }
  });
});

test("umqtt sub disconnects cleanly and exits 0 on SIGINT", async () => {
  await withBroker(async (b) => {
    let ours: Proc | undefined;
    try {
      ours = await ourSub(b, "polite", ["-t", "x/#", "--will-topic", "will/polite"]);
      // process.kill, not child.kill: Deno's child.kill() reports the signal instead of the exit status.
      process.kill(ours.child.pid!, "SIGINT");
      const r = await ours.done;
      assert.equal(r.code, 0, r.stderr);
      await waitForLog(b, "Received DISCONNECT from polite");
    } finally {
      await reap(ours);
    }
  });
});

test("umqtt pub --cafile/--cert/--key publishes over mutual TLS; an unknown CA exits 1; --insecure per runtime", async () => {
  const pki = makeTestPki();
  try {
    await withBroker(async (b) => {
      const tlsPort = String(b.extraPorts[0]);
      let sub: Proc | undefined;
      try {
        sub = await mosquittoSub(b, "ms7", ["-t", "tls/#", "-C", "1", "-v"]);
        const args = ["pub", "-p", tlsPort, "-t", "tls/a", "-m", "secret", "-q", "1", "--cafile", pki.files.ca];
        const ok = await runCli([...args, "--cert", pki.files.clientCert, "--key", pki.files.clientKey]);
        assert.equal(ok.code, 0, ok.stderr);
        assert.equal((await sub.done).out, "tls/a secret\n");
        const noCert = await runCli(["pub", "-p", tlsPort, "-t", "tls/b", "-m", "x", "--cafile", pki.files.otherCa]);
        assert.equal(noCert.code, 1);
        assert.match(noCert.stderr, /^umqtt pub: /);
        const insecure = await runCli([
          "pub",
          "-p",
          tlsPort,
          "-t",
          "tls/c",
          "-m",
          "x",
          "--insecure",
          "--cert",
          pki.files.clientCert,
          "--key",
          pki.files.clientKey,
        ]);
        if (IS_DENO) {
          assert.equal(insecure.code, 1);
          assert.match(insecure.stderr, /Cannot skip TLS certificate verification per connection on Deno/);
        } else {
          assert.equal(insecure.code, 0, insecure.stderr);
        }
      } finally {
        await reap(sub);
      }
    }, {
      extraListeners: [{
        lines: [
          "allow_anonymous true",
          `cafile ${pki.files.ca}`,
          `certfile ${pki.files.serverCert}`,
          `keyfile ${pki.files.serverKey}`,
          "require_certificate true",
        ],
      }],
    });
  } finally {
    pki.cleanup();
  }
});
