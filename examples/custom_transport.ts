/**
 * Bring your own transport: a `TransportFactory` that wraps the built-in
 * one and logs every byte in hex. The same shape fits a tunnel, a serial
 * bridge or an in-memory pipe: implement `read()`, `write()` and `close()`.
 *
 * Run: `deno run -A examples/custom_transport.ts mqtt://127.0.0.1:1883`
 * (or `bun examples/custom_transport.ts …`).
 *
 * @module
 */
import { MQTTClient } from "../mod.ts";
import type { Transport, TransportFactory } from "../mod.ts";
import { connectNative } from "../src/transport/mod.ts";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

/**
 * Wrap a transport factory so that every chunk sent and received is
 * reported to `log` as `"> 10 0c …"` (sent) or `"< 20 02 00 00"` (received).
 *
 * @param log Receives one line per chunk.
 * @param inner The factory that opens the real link. @default {connectNative}
 * @returns A factory to pass as the client's `transport` option.
 * @example
 * ```ts ignore
 * const client = new MQTTClient("demo", "mqtt://127.0.0.1", { transport: loggingTransport(console.log) });
 * ```
 */
export function loggingTransport(
  log: (line: string) => void,
  inner: TransportFactory = connectNative,
): TransportFactory {
  return async (options) => {
    const t = await inner(options);
    log(`connected to ${options.websocket?.url ?? `${options.host}:${options.port}`}${options.tls ? " (TLS)" : ""}`);
    const wrapped: Transport = {
      async read() {
        const chunk = await t.read();
        log(chunk ? `< ${hex(chunk)}` : "< end of stream");
        return chunk;
      },
      write(bytes) {
        log(`> ${hex(bytes)}`);
        return t.write(bytes);
      },
      close() {
        log("closed");
        t.close();
      },
    };
    return wrapped;
  };
}

if (import.meta.main) {
  const server = (globalThis as { process?: { argv: string[] } }).process?.argv[2] ?? "mqtt://127.0.0.1:1883";
  let received = 0;
  const client = new MQTTClient("custom-transport-demo", server, {
    transport: loggingTransport((line) => console.log(line)),
    callback: (msg) => {
      received++;
      console.log(`message on ${msg.topic}: ${msg.text()}`);
    },
  });
  await client.connect();
  await client.subscribe("umqtt/demo", 1);
  await client.publish("umqtt/demo", "bytes you can see", { qos: 1 });
  // The message may already have arrived while publish() waited for PUBACK.
  while (received === 0) await client.waitMsg();
  await client.disconnect();
}
