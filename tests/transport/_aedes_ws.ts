/**
 * Test helper: an aedes broker served over WebSockets by the `ws` package
 * (both dev-only npm packages), in-process on 127.0.0.1 with a free port.
 *
 * @module
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Aedes } from "aedes";
import { createWebSocketStream, WebSocketServer } from "ws";

/** A running aedes-over-WebSocket broker. */
export interface AedesWs {
  /** Port of the HTTP server that upgrades to WebSocket (any path). */
  port: number;
  /** Subprotocols clients asked for, one entry per connection. */
  protocols: string[];
  /** Stop the broker and close every connection. */
  stop(): Promise<void>;
}

/**
 * Start aedes behind a `ws` WebSocket server on 127.0.0.1.
 *
 * @returns The port and a `stop()`.
 */
export async function startAedesWs(): Promise<AedesWs> {
  const broker = await Aedes.createBroker();
  const http = createServer();
  const protocols: string[] = [];
  const wss = new WebSocketServer({
    server: http,
    handleProtocols: (offered: Set<string>) => (offered.has("mqtt") ? "mqtt" : false),
  });
  wss.on("connection", (socket, req) => {
    protocols.push(String(req.headers["sec-websocket-protocol"] ?? ""));
    broker.handle(createWebSocketStream(socket), req);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    port,
    protocols,
    async stop(): Promise<void> {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
