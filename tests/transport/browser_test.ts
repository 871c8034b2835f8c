import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, X509Certificate } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { buildBundle } from "../../scripts/build_bundle.ts";
import { makeTestPki } from "../_tls.ts";
import { startAedesWs } from "./_aedes_ws.ts";
import { startBroker, wsListener } from "./_helpers.ts";

const CHROMIUM = "/usr/bin/chromium";
const EXAMPLE = fileURLToPath(new URL("../../examples/browser/", import.meta.url));
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Serve the example page, its module and the bundle from 127.0.0.1. */
async function servePage(bundle: string): Promise<{ origin: string; server: Server }> {
  const files: Record<string, [string, string]> = {
    "/": [join(EXAMPLE, "index.html"), "text/html"],
    "/index.html": [join(EXAMPLE, "index.html"), "text/html"],
    "/app.js": [join(EXAMPLE, "app.js"), "text/javascript"],
    "/umqtt.js": [bundle, "text/javascript"],
  };
  const server = createServer((req, res) => {
    const f = files[new URL(req.url ?? "/", "http://x").pathname];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": f[1], "cache-control": "no-store" }).end(readFileSync(f[0]));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test("examples/browser round-trips messages in headless Chromium over ws:// (mosquitto, aedes) and wss:// (mosquitto)", async () => {
  // No skipping: without Chromium this test fails.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  const out = mkdtempSync(join(tmpdir(), "umqtt-browser-"));
  const pki = makeTestPki();
  // Chromium trusts no private CA; accept exactly this server key for wss://.
  const spki = createHash("sha256")
    .update(new X509Certificate(pki.serverCert).publicKey.export({ type: "spki", format: "der" }))
    .digest("base64");
  const cleanups: (() => Promise<void> | void)[] = [
    () => rmSync(out, { recursive: true, force: true }),
    () => pki.cleanup(),
  ];
  try {
    const bundle = buildBundle(join(out, "umqtt.js"));
    const m = await startBroker({ extraListeners: [{ lines: wsListener() }, { lines: wsListener(pki) }] });
    cleanups.push(() => m.stop());
    const aedes = await startAedesWs();
    cleanups.push(() => aedes.stop());
    const { origin, server } = await servePage(bundle);
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [...ARGS, `--ignore-certificate-errors-spki-list=${spki}`],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage();
    const brokers = {
      "mosquitto ws": `ws://127.0.0.1:${m.extraPorts[0]}/mqtt`,
      "mosquitto wss": `wss://localhost:${m.extraPorts[1]}/mqtt`,
      "aedes ws": `ws://127.0.0.1:${aedes.port}/`,
    };
    for (const [name, broker] of Object.entries(brokers)) {
      const message = `hello ${name} ${Date.now()}`;
      const q = new URLSearchParams({ broker, topic: `umqtt/browser/${name.replace(" ", "-")}`, message, auto: "1" });
      await page.goto(`${origin}/?${q}`);
      // Page-side code is passed as text: it runs in Chromium, not here.
      await page.waitForFunction('["ok", "error"].includes(document.body.dataset.status)', null, {
        timeout: 15_000,
      });
      const result = await page.evaluate<Record<string, string | undefined>>("({ ...document.body.dataset })");
      assert.deepEqual(
        { status: result.status, received: result.received },
        { status: "ok", received: message },
        `${name}: ${result.error ?? ""}`,
      );
    }
    assert.ok(aedes.protocols.length === 1 && aedes.protocols[0] === "mqtt", String(aedes.protocols));
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        // keep cleaning up
      }
    }
  }
});
