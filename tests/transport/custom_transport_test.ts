import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { MQTTClient } from "../../src/client.ts";
import { loggingTransport } from "../../examples/custom_transport.ts";
import { startBroker, wsListener } from "./_helpers.ts";

test("loggingTransport() from examples/custom_transport.ts carries a session and logs the exact bytes", async () => {
  const m = await startBroker({ extraListeners: [{ lines: wsListener() }] });
  try {
    for (const server of [`mqtt://127.0.0.1:${m.port}`, `ws://127.0.0.1:${m.extraPorts[0]}/mqtt`]) {
      const lines: string[] = [];
      const client = new MQTTClient("log1", server, {
        keepalive: 30,
        transport: loggingTransport((l) => lines.push(l)),
      });
      await client.connect({ timeout: 10_000 });
      await client.disconnect();
      const where = server.startsWith("ws") ? server : `127.0.0.1:${m.port}`;
      assert.equal(lines[0], `connected to ${where}`);
      // CONNECT: MQTT 3.1.1, clean session, keepalive 30, client id "log1".
      assert.equal(lines[1], "> 10 10 00 04 4d 51 54 54 04 02 00 1e 00 04 6c 6f 67 31");
      assert.equal(lines[2], "< 20 02 00 00");
      assert.ok(lines.includes("> e0 00"), lines.join("\n")); // DISCONNECT
      assert.ok(lines.includes("closed"), lines.join("\n"));
    }
  } finally {
    await m.stop();
  }
});

test("examples/custom_transport.ts runs as a program and shows its traffic", async () => {
  const m = await startBroker();
  try {
    const exe = "Bun" in globalThis
      ? process.execPath
      : (globalThis as { Deno?: { execPath(): string } }).Deno!.execPath();
    const args = "Bun" in globalThis ? [] : ["run", "-A"];
    const file = fileURLToPath(new URL("../../examples/custom_transport.ts", import.meta.url));
    const child = spawn(exe, [...args, file, `mqtt://127.0.0.1:${m.port}`], { stdio: ["ignore", "pipe", "pipe"] });
    const r = { stdout: "", stderr: "", status: null as number | null };
    child.stdout.on("data", (d) => (r.stdout += String(d)));
    child.stderr.on("data", (d) => (r.stderr += String(d)));
    const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    r.status = await new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
    clearTimeout(killer);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^connected to 127\.0\.0\.1:\d+$/m);
    assert.match(r.stdout, /^< 20 02 00 00$/m);
    assert.match(r.stdout, /^message on umqtt\/demo: bytes you can see$/m);
  } finally {
    await m.stop();
  }
});
