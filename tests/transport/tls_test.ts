import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:tls";
import type { AddressInfo } from "node:net";
import { MQTTClient } from "../../src/client.ts";
import { ConnectionClosedError } from "../../src/codec/errors.ts";
import { connectNative } from "../../src/transport/mod.ts";
import { makeTestPki, type TestPki } from "../_tls.ts";
import { roundTrip, runtime, startBroker, tlsListener } from "./_helpers.ts";

interface Rig {
  pki: TestPki;
  /** Server-verified TLS listener. */
  tls: number;
  /** Mutual TLS listener (client certificate required, CN becomes the user name). */
  mtls: number;
}

/** Run `fn` against a fresh broker; resolves to the broker's log (complete only once it stopped). */
async function withBroker(fn: (rig: Rig) => Promise<void>): Promise<string[]> {
  const pki = makeTestPki();
  try {
    const m = await startBroker({
      extraListeners: [{ lines: tlsListener(pki) }, { lines: tlsListener(pki, true) }],
    });
    try {
      await fn({ pki, tls: m.extraPorts[0]!, mtls: m.extraPorts[1]! });
    } finally {
      await m.stop();
    }
    return m.log;
  } finally {
    pki.cleanup();
  }
}

async function connectError(server: string, options: ConstructorParameters<typeof MQTTClient>[2]): Promise<Error> {
  const client = new MQTTClient(`tls-${runtime}`, server, options);
  try {
    await client.connect({ timeout: 10_000 });
  } catch (e) {
    assert.ok(e instanceof Error);
    return e;
  }
  await client.disconnect();
  assert.fail("connect() succeeded but should have been refused");
}

test("MQTTClient over mqtts:// verifies the broker against caCerts and round-trips a message", async () => {
  await withBroker(async ({ pki, tls }) => {
    await roundTrip(`mqtts://127.0.0.1:${tls}`, { tls: { caCerts: [pki.caPem] } });
  });
});

test("MQTTClient with tls.serverName dials 127.0.0.1 but verifies the name localhost", async () => {
  await withBroker(async ({ pki, tls }) => {
    await roundTrip("127.0.0.1", { port: tls, tls: { caCerts: [pki.caPem], serverName: "localhost" } });
  });
});

test("MQTTClient.connect() rejects a broker certificate signed by another CA", async () => {
  await withBroker(async ({ pki, tls }) => {
    const e = await connectError(`mqtts://127.0.0.1:${tls}`, { tls: { caCerts: [pki.otherCaPem] } });
    assert.ok(e instanceof ConnectionClosedError, String(e));
    assert.match(
      e.message,
      new RegExp(`^Cannot connect to 127\\.0\\.0\\.1:${tls}: TLS certificate verification failed: `),
    );
  });
});

test("MQTTClient.connect() rejects the system CA store for a private CA's certificate", async () => {
  await withBroker(async ({ tls }) => {
    const e = await connectError(`mqtts://127.0.0.1:${tls}`, {});
    assert.ok(e instanceof ConnectionClosedError, String(e));
    assert.match(e.message, /: TLS certificate verification failed: /);
  });
});

test("MQTTClient.connect() rejects a certificate for another host name", async () => {
  await withBroker(async ({ pki, tls }) => {
    const e = await connectError(`mqtts://127.0.0.1:${tls}`, {
      tls: { caCerts: [pki.caPem], serverName: "wrong.example" },
    });
    assert.ok(e instanceof ConnectionClosedError, String(e));
    assert.match(e.message, /: TLS certificate verification failed: .*wrong\.example/);
  });
});

test("MQTTClient with a client certificate is accepted by a mutual-TLS broker as its CN", async () => {
  let name = "";
  const log = await withBroker(async ({ pki, mtls }) => {
    name = pki.clientName;
    await roundTrip(`mqtts://127.0.0.1:${mtls}`, {
      tls: { caCerts: [pki.caPem], cert: pki.clientCert, key: pki.clientKey },
    });
  });
  // use_identity_as_username: the broker took the certificate's CN as the user name.
  assert.ok(log.some((l) => l.includes(`u'${name}'`)), log.join("\n"));
});

test("MQTTClient without a client certificate is refused by a mutual-TLS broker", async () => {
  await withBroker(async ({ pki, mtls }) => {
    const e = await connectError(`mqtts://127.0.0.1:${mtls}`, { tls: { caCerts: [pki.caPem] } });
    assert.ok(e instanceof ConnectionClosedError, String(e));
    assert.match(e.message, /TLS handshake refused by the server/);
  });
});

test("MQTTClient with a client certificate from an unknown CA is refused by a mutual-TLS broker", async () => {
  const stranger = makeTestPki();
  try {
    await withBroker(async ({ pki, mtls }) => {
      const e = await connectError(`mqtts://127.0.0.1:${mtls}`, {
        tls: { caCerts: [pki.caPem], cert: stranger.clientCert, key: stranger.clientKey },
      });
      assert.ok(e instanceof ConnectionClosedError, String(e));
      assert.match(e.message, /TLS handshake refused by the server/);
    });
  } finally {
    stranger.cleanup();
  }
});

test("tls.insecureSkipVerify connects on Bun and is refused with a reason on Deno", async () => {
  await withBroker(async ({ tls }) => {
    const opts = { tls: { insecureSkipVerify: true } };
    if (runtime === "deno") {
      const e = await connectError(`mqtts://127.0.0.1:${tls}`, opts);
      assert.match(e.message, /Cannot skip TLS certificate verification per connection on Deno/);
      assert.match(e.message, /--unsafely-ignore-certificate-errors/);
    } else {
      await roundTrip(`mqtts://127.0.0.1:${tls}`, opts);
    }
  });
});

test("connectNative() offers tls.alpnProtocols and carries bytes both ways", async () => {
  const pki = makeTestPki();
  const seen: (string | false | null | undefined)[] = [];
  const server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ALPNProtocols: ["mqtt"] },
    (s) => {
      seen.push(s.alpnProtocol);
      s.on("data", (d: Uint8Array) => s.write(d));
      s.on("error", () => {});
    },
  );
  try {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const t = await connectNative({
      host: "127.0.0.1",
      port,
      tls: { caCerts: [pki.caPem], serverName: "localhost", alpnProtocols: ["mqtt"] },
    });
    try {
      await t.write(new Uint8Array([0xc0, 0x00]));
      const back = await t.read();
      assert.deepEqual(back && Array.from(back), [0xc0, 0x00]);
    } finally {
      t.close();
    }
    assert.deepEqual(seen, ["mqtt"]);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    pki.cleanup();
  }
});

test("connectNative() refuses a client certificate without its key", async () => {
  await assert.rejects(
    connectNative({ host: "127.0.0.1", port: 1, tls: { cert: "x" } }),
    (e: unknown) => e instanceof TypeError && /needs both `cert` and `key`/.test(e.message),
  );
});
