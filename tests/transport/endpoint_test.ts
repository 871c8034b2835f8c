import { test } from "node:test";
import assert from "node:assert/strict";
import { parseServer } from "../../src/transport/endpoint.ts";

test("parseServer() maps ws:// to a WebSocket endpoint on port 80 with subprotocol mqtt", () => {
  assert.deepEqual(parseServer("ws://broker.example", 0, undefined), {
    host: "broker.example",
    port: 80,
    tls: undefined,
    websocket: { url: "ws://broker.example/", protocols: ["mqtt"] },
    user: undefined,
    password: undefined,
  });
});

test("parseServer() maps wss:// to TLS on port 443 and keeps path and query", () => {
  const e = parseServer("wss://broker.example/mqtt?token=1", 0, undefined);
  assert.equal(e.port, 443);
  assert.deepEqual(e.tls, {});
  assert.equal(e.websocket?.url, "wss://broker.example/mqtt?token=1");
});

test("parseServer() takes the port option over the ws:// URL's port", () => {
  assert.equal(parseServer("ws://h:9001/x", 1234, undefined).websocket?.url, "ws://h:1234/x");
  assert.equal(parseServer("ws://h:9001/x", 0, undefined).websocket?.url, "ws://h:9001/x");
});

test("parseServer() removes credentials from the WebSocket URL and returns them apart", () => {
  const e = parseServer("wss://al%40ice:p%3Ass@[::1]:8443/mqtt#frag", 0, { caCerts: ["pem"] });
  assert.equal(e.host, "::1");
  assert.equal(e.user, "al@ice");
  assert.equal(e.password, "p:ss");
  assert.equal(e.websocket?.url, "wss://[::1]:8443/mqtt");
  assert.deepEqual(e.tls, { caCerts: ["pem"] });
});

test("parseServer() rejects TLS settings on a ws:// URL without echoing the password", () => {
  assert.throws(
    () => parseServer("ws://u:secret@h/", 0, { caCerts: [] }),
    (e: unknown) => e instanceof TypeError && /use a wss: URL/.test(e.message) && !e.message.includes("secret"),
  );
});

test("parseServer() rejects an unknown scheme without echoing the password", () => {
  assert.throws(
    () => parseServer("http://u:secret@h/", 0, undefined),
    (e: unknown) =>
      e instanceof TypeError && e.message.includes('"http:"') && e.message.includes("ws:") &&
      !e.message.includes("secret"),
  );
});

test("parseServer() keeps mqtt:// and mqtts:// on raw sockets with ports 1883 and 8883", () => {
  assert.equal(parseServer("mqtt://h", 0, undefined).port, 1883);
  assert.equal(parseServer("mqtt://h", 0, undefined).websocket, undefined);
  assert.equal(parseServer("mqtts://h", 0, undefined).port, 8883);
  assert.equal(parseServer("h", 0, true).port, 8883);
});
