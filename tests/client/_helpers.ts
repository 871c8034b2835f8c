/**
 * Shared setup for the client tests: a client wired to a scripted fake
 * transport that answers CONNECT with CONNACK.
 *
 * @module
 */
import { type ClientOptions, MQTTClient } from "../../src/client.ts";
import type { Message } from "../../src/message.ts";
import { fakeFactory, FakeTransport, flush } from "../_fake.ts";

/** A connected client and its fake link. */
export interface Rig {
  client: MQTTClient;
  t: FakeTransport;
  factory: ReturnType<typeof fakeFactory>;
  messages: Message[];
}

/**
 * Connect a client over a fake transport (CONNACK accepted) and forget the
 * CONNECT bytes, so `t.writtenHex` shows only what the test caused.
 */
export async function connected(options: ClientOptions = {}, clientId = "c"): Promise<Rig> {
  const factory = fakeFactory((t) => {
    t.onWrite = (b) => {
      if (b[0] === 0x10) t.receive("20020000");
    };
  });
  const messages: Message[] = [];
  const client = new MQTTClient(clientId, "127.0.0.1", {
    transport: factory,
    keepalive: 0,
    callback: (m) => messages.push(m),
    ...options,
  });
  await client.connect();
  const t = factory.transports[0]!;
  t.onWrite = null;
  t.takeWritten();
  return { client, t, factory, messages };
}

/** Answer every client packet whose hex starts with a key with the mapped broker bytes. */
export function answer(t: FakeTransport, replies: Record<string, string>): void {
  t.onWrite = (b) => {
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    for (const [prefix, reply] of Object.entries(replies)) {
      if (h.startsWith(prefix)) t.receive(reply);
    }
  };
}

/** Settle a promise that must already be able to settle; fails instead of hanging. */
export async function settled<T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let out: { ok: true; value: T } | { ok: false; error: unknown } | null = null;
  p.then((value) => (out = { ok: true, value }), (error) => (out = { ok: false, error }));
  for (let i = 0; i < 10 && out === null; i++) await flush();
  if (out === null) throw new Error("The call is still pending");
  return out;
}

/** Whether a promise is still pending after the event loop drained. */
export async function isPending(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await flush();
  await flush();
  return !done;
}

export { fakeFactory, FakeTransport, flush };
