/**
 * Brokers for the integration tests, behind one small interface: a private
 * mosquitto (anonymous listener, password listener, dynamic-security
 * listener denying SUBSCRIBE to `forbidden/#`) and an in-process aedes on
 * `node:net` with the same users and the same denial.
 *
 * @module
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Aedes } from "aedes";
import { type Mosquitto, startMosquitto, writePasswordFile } from "../../scripts/mosquitto.ts";

/** A running broker. */
export interface Broker {
  name: "mosquitto" | "aedes";
  /** Anonymous listener. */
  port: number;
  /** Listener that requires user `u` with password `p`. */
  authPort: number;
  /** Anonymous listener that refuses SUBSCRIBE to `forbidden/#` (SUBACK 0x80). */
  denyPort: number;
  /** CONNACK code for a wrong password: mosquitto answers 5, aedes 4 (set by our authenticate hook). */
  badPasswordCode: number;
  /** Log lines (mosquitto only). */
  log: string[];
  stop(): Promise<void>;
}

/** Name of the runtime running the test. */
export const runtime: "bun" | "deno" | "node" = "Bun" in globalThis ? "bun" : "Deno" in globalThis ? "deno" : "node";

const DYNSEC = {
  defaultACLAccess: { publishClientSend: true, publishClientReceive: true, subscribe: true, unsubscribe: true },
  clients: [],
  groups: [{ groupname: "anon", roles: [{ rolename: "deny-forbidden" }] }],
  roles: [{
    rolename: "deny-forbidden",
    acls: [{ acltype: "subscribePattern", topic: "forbidden/#", priority: 0, allow: false }],
  }],
  anonymousGroup: "anon",
};

/** Start mosquitto with the three listeners; `global`/`firstListener` lines are passed through. */
export async function startMosquittoBroker(extra: { firstListener?: string[] } = {}): Promise<Broker> {
  const { mkdtempSync, chmodSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "umqtt-int-"));
  chmodSync(dir, 0o755);
  const passwd = writePasswordFile(dir, { u: "p" });
  chmodSync(passwd, 0o644);
  const dynsec = join(dir, "dynsec.json");
  writeFileSync(dynsec, JSON.stringify(DYNSEC));
  chmodSync(dynsec, 0o666);
  let m: Mosquitto;
  try {
    m = await startMosquitto({
      dir,
      firstListener: extra.firstListener ?? [],
      extraListeners: [
        { lines: ["allow_anonymous false", `password_file ${passwd}`] },
        {
          lines: [
            "allow_anonymous true",
            "plugin /usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
            `plugin_opt_config_file ${dynsec}`,
          ],
        },
      ],
    });
  } catch (e) {
    const { rmSync } = await import("node:fs");
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    name: "mosquitto",
    port: m.port,
    authPort: m.extraPorts[0]!,
    denyPort: m.extraPorts[1]!,
    badPasswordCode: 5,
    log: m.log,
    async stop(): Promise<void> {
      await m.stop();
      const { rmSync } = await import("node:fs");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type AuthError = Error & { returnCode?: number };

async function listen(broker: Aedes): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** Start three in-process aedes brokers (anonymous, password, deny-subscribe) on free ports. */
export async function startAedesBroker(): Promise<Broker> {
  const anon = await Aedes.createBroker();
  const auth = await Aedes.createBroker({
    authenticate: (_client, username, password, done) => {
      if (username === "u" && password?.toString() === "p") return done(null, true);
      const e: AuthError = new Error("Bad user name or password");
      e.returnCode = 4;
      done(e as never, false);
    },
  });
  const deny = await Aedes.createBroker({
    authorizeSubscribe: (_client, sub, done) => done(null, sub.topic.startsWith("forbidden/") ? null : sub),
  });
  const brokers = [anon, auth, deny];
  const listeners: Awaited<ReturnType<typeof listen>>[] = [];
  for (const b of brokers) listeners.push(await listen(b));
  return {
    name: "aedes",
    port: listeners[0]!.port,
    authPort: listeners[1]!.port,
    denyPort: listeners[2]!.port,
    badPasswordCode: 4,
    log: [],
    async stop(): Promise<void> {
      for (const l of listeners) {
        for (const s of l.sockets) s.destroy();
        await new Promise<void>((resolve) => l.server.close(() => resolve()));
      }
      for (const b of brokers) await new Promise<void>((resolve) => b.close(() => resolve()));
    },
  };
}

/** Start a broker by name. */
export function startBroker(name: "mosquitto" | "aedes"): Promise<Broker> {
  return name === "mosquitto" ? startMosquittoBroker() : startAedesBroker();
}

/** Poll `check` until it returns true or `ms` pass; throws with `what` on timeout. */
export async function until(check: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
