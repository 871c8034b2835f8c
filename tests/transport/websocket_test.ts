import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { MQTTClient } from "../../src/client.ts";
import { ConnectionClosedError } from "../../src/codec/errors.ts";
import type { Message } from "../../src/message.ts";
import { makeTestPki } from "../_tls.ts";
import { startAedesWs } from "./_aedes_ws.ts";
import { roundTrip, runtime, startBroker, wsListener } from "./_helpers.ts";

test("MQTTClient over ws:// round-trips a message through mosquitto", async () => {
  const m = await startBroker({ extraListeners: [{ lines: wsListener() }] });
  try {
    await roundTrip(`ws://127.0.0.1:${m.extraPorts[0]}/mqtt`);
  } finally {
    await m.stop();
  }
});

test("MQTTClient over wss:// verifies mosquitto against caCerts and round-trips a message", async () => {
  const pki = makeTestPki();
  try {
    const m = await startBroker({ extraListeners: [{ lines: wsListener(pki) }] });
    try {
      await roundTrip(`wss://localhost:${m.extraPorts[0]}/mqtt`, { tls: { caCerts: [pki.caPem] } });
    } finally {
      await m.stop();
    }
  } finally {
    pki.cleanup();
  }
});

test("MQTTClient over wss:// rejects a certificate from an untrusted CA", async () => {
  const pki = makeTestPki();
  try {
    const m = await startBroker({ extraListeners: [{ lines: wsListener(pki) }] });
    try {
      const port = m.extraPorts[0]!;
      const client = new MQTTClient(`wss-${runtime}`, `wss://localhost:${port}/mqtt`, {
        tls: { caCerts: [pki.otherCaPem] },
      });
      await assert.rejects(client.connect({ timeout: 10_000 }), (e: unknown) => {
        assert.ok(e instanceof ConnectionClosedError, String(e));
        assert.match(
          e.message,
          new RegExp(`^Cannot connect to localhost:${port}: TLS certificate verification failed: `),
        );
        return true;
      });
    } finally {
      await m.stop();
    }
  } finally {
    pki.cleanup();
  }
});

test("MQTTClient over ws:// round-trips a message through aedes on the ws package, offering subprotocol mqtt", async () => {
  const a = await startAedesWs();
  try {
    await roundTrip(`ws://127.0.0.1:${a.port}/`);
    assert.deepEqual(a.protocols, ["mqtt"]);
  } finally {
    await a.stop();
  }
});

test("MQTTClient over ws:// moves a 3 MiB payload both ways through aedes", async () => {
  const a = await startAedesWs();
  try {
    const big = new Uint8Array(3 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 8)) & 0xff;
    await roundTrip(`ws://127.0.0.1:${a.port}/`, {}, big);
  } finally {
    await a.stop();
  }
});

/** A WebSocket server that answers with scripted frames and records what it saw. */
async function scriptedServer(
  answer: (frame: Uint8Array, send: (bytes: number[]) => void) => void,
): Promise<{ port: number; urls: string[]; frames: Uint8Array[]; stop(): Promise<void> }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, handleProtocols: () => "mqtt" });
  const urls: string[] = [];
  const frames: Uint8Array[] = [];
  wss.on("connection", (socket, req: IncomingMessage) => {
    urls.push(req.url ?? "");
    socket.on("message", (data: Uint8Array) => {
      const f = new Uint8Array(data);
      frames.push(f);
      answer(f, (bytes) => socket.send(new Uint8Array(bytes)));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    port: (http.address() as AddressInfo).port,
    urls,
    frames,
    async stop(): Promise<void> {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

test("MQTTClient over ws:// decodes a packet split across frames and several packets in one frame", async () => {
  const srv = await scriptedServer((f, send) => {
    if (f[0] === 0x10) {
      // CONNACK in three frames.
      send([0x20]);
      send([0x02, 0x00]);
      send([0x00]);
    } else if (f[0] === 0x82) {
      // SUBACK for the packet id, then PUBLISH "a/b" "hi" at QoS 0, in one frame.
      send([0x90, 0x03, f[2]!, f[3]!, 0x00, 0x30, 0x07, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x68, 0x69]);
    }
  });
  try {
    const got: Message[] = [];
    const client = new MQTTClient("split", `ws://127.0.0.1:${srv.port}/mqtt`, {
      callback: (m) => got.push(m),
      keepalive: 0,
    });
    await client.connect({ timeout: 10_000 });
    try {
      assert.equal(await client.subscribe("a/#", 0), 0);
      while (got.length === 0) await client.waitMsg();
    } finally {
      await client.disconnect();
    }
    assert.equal(got[0]!.topic, "a/b");
    assert.equal(got[0]!.text(), "hi");
    // Each packet went out as one binary frame: CONNECT, SUBSCRIBE, (DISCONNECT).
    assert.deepEqual(srv.frames.slice(0, 2).map((f) => f[0]), [0x10, 0x82]);
  } finally {
    await srv.stop();
  }
});

test("MQTTClient over ws:// sends URL credentials in CONNECT, not in the upgrade request", async () => {
  const srv = await scriptedServer((f, send) => {
    if (f[0] === 0x10) send([0x20, 0x02, 0x00, 0x00]);
  });
  try {
    const client = new MQTTClient("cred", `ws://alice:s3cret@127.0.0.1:${srv.port}/mqtt?x=1`, { keepalive: 0 });
    assert.doesNotMatch(String(client), /s3cret/);
    await client.connect({ timeout: 10_000 });
    await client.disconnect();
    assert.deepEqual(srv.urls, ["/mqtt?x=1"]);
    const connect = new TextDecoder().decode(srv.frames[0]!);
    assert.ok(connect.includes("alice") && connect.includes("s3cret"), "CONNECT carries user and password");
  } finally {
    await srv.stop();
  }
});

test("MQTTClient over ws:// fails the connection when the server sends a text frame", async () => {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, handleProtocols: () => "mqtt" });
  wss.on("connection", (socket) => socket.on("message", () => socket.send("not binary")));
  try {
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const port = (http.address() as AddressInfo).port;
    const client = new MQTTClient("text", `ws://127.0.0.1:${port}/`, { keepalive: 0 });
    await assert.rejects(client.connect({ timeout: 10_000 }), /text WebSocket frame: MQTT needs binary frames/);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});

test("MQTTClient over wss:// presents a client certificate to a mutual-TLS WebSocket listener", async () => {
  const pki = makeTestPki();
  try {
    const m = await startBroker({
      extraListeners: [{ lines: [...wsListener(pki), "require_certificate true", "use_identity_as_username true"] }],
    });
    try {
      const server = `wss://localhost:${m.extraPorts[0]}/mqtt`;
      await roundTrip(server, { tls: { caCerts: [pki.caPem], cert: pki.clientCert, key: pki.clientKey } });
      const client = new MQTTClient(`wss-nocert-${runtime}`, server, { tls: { caCerts: [pki.caPem] } });
      await assert.rejects(client.connect({ timeout: 10_000 }), ConnectionClosedError);
    } finally {
      await m.stop();
    }
  } finally {
    pki.cleanup();
  }
});
