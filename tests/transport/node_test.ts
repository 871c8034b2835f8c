import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle } from "../../scripts/build_bundle.ts";
import { makeTestPki } from "../_tls.ts";
import { startBroker, tlsListener, wsListener } from "./_helpers.ts";

const SMOKE = fileURLToPath(new URL("./_node_smoke.mjs", import.meta.url));

interface Result {
  name: string;
  ok: boolean;
  error?: string;
}

function runNode(bundle: string, cases: unknown[], flags: string[] = [], env: Record<string, string> = {}): Result[] {
  const r = spawnSync("node", [...flags, SMOKE, bundle, JSON.stringify({ cases })], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
  if (r.error) throw new Error(`Cannot run node (is Node installed?): ${r.error.message}`);
  assert.equal(r.status, 0, `node exited ${r.status}:\n${r.stderr}`);
  return r.stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Result);
}

test("the bundled client on Node round-trips over TCP, TLS, mutual TLS and WebSockets against mosquitto", async () => {
  const out = mkdtempSync(join(tmpdir(), "umqtt-bundle-"));
  const pki = makeTestPki();
  try {
    const bundle = buildBundle(join(out, "umqtt.js"));
    const m = await startBroker({
      extraListeners: [
        { lines: tlsListener(pki) },
        { lines: tlsListener(pki, true) },
        { lines: wsListener() },
        { lines: wsListener(pki) },
      ],
    });
    try {
      const [tls, mtls, ws, wss] = m.extraPorts;
      const ca = { caFile: pki.files.ca };
      const results = runNode(bundle, [
        { name: "tcp", server: `mqtt://127.0.0.1:${m.port}`, options: {} },
        { name: "tls", server: `mqtts://127.0.0.1:${tls}`, options: { tls: ca } },
        {
          name: "tls-servername",
          server: "127.0.0.1",
          options: { port: tls, tls: { ...ca, serverName: "localhost" } },
        },
        {
          name: "mtls",
          server: `mqtts://127.0.0.1:${mtls}`,
          options: { tls: { ...ca, certFile: pki.files.clientCert, keyFile: pki.files.clientKey } },
        },
        { name: "wrong-ca", server: `mqtts://127.0.0.1:${tls}`, options: { tls: { caFile: pki.files.otherCa } } },
        {
          name: "wrong-name",
          server: `mqtts://127.0.0.1:${tls}`,
          options: { tls: { ...ca, serverName: "wrong.example" } },
        },
        { name: "mtls-no-cert", server: `mqtts://127.0.0.1:${mtls}`, options: { tls: ca } },
      ]);
      const byName = Object.fromEntries(results.map((r) => [r.name, r]));
      for (const name of ["tcp", "tls", "tls-servername", "mtls"]) {
        assert.deepEqual(byName[name], { name, ok: true }, JSON.stringify(results));
      }
      assert.match(byName["wrong-ca"]?.error ?? "", /^ConnectionClosedError: .*TLS certificate verification failed/);
      assert.match(byName["wrong-name"]?.error ?? "", /^ConnectionClosedError: .*TLS certificate verification failed/);
      assert.match(
        byName["mtls-no-cert"]?.error ?? "",
        /^ConnectionClosedError: .*TLS handshake refused by the server/,
      );
      // Node 20 has WebSocket behind a flag (Node 22+ has it by default).
      const wsResults = runNode(bundle, [{ name: "ws", server: `ws://127.0.0.1:${ws}/mqtt`, options: {} }], [
        "--experimental-websocket",
      ]);
      assert.deepEqual(wsResults, [{ name: "ws", ok: true }]);
      // WSS: Node's WebSocket takes no TLS options; it trusts NODE_EXTRA_CA_CERTS, and verifies by default.
      const wssResults = runNode(
        bundle,
        [{ name: "wss", server: `wss://127.0.0.1:${wss}/mqtt`, options: {} }],
        ["--experimental-websocket"],
        { NODE_EXTRA_CA_CERTS: pki.files.ca },
      );
      assert.deepEqual(wssResults, [{ name: "wss", ok: true }]);
      const untrusted = runNode(
        bundle,
        [{ name: "wss-untrusted", server: `wss://127.0.0.1:${wss}/mqtt`, options: {} }],
        [
          "--experimental-websocket",
        ],
      );
      assert.equal(untrusted[0]?.ok, false, "an untrusted certificate is refused over WSS too");
    } finally {
      await m.stop();
    }
  } finally {
    pki.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
});
