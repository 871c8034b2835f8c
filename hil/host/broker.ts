/**
 * A fresh mosquitto per scenario with the listeners the reference traces
 * used: anonymous, password file + ACL (u/p), and dynamic security denying
 * SUBSCRIBE to forbidden/#. Started with the project's scripts/mosquitto.ts.
 *
 * @module
 */
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Mosquitto, startMosquitto, writePasswordFile } from "../../scripts/mosquitto.ts";

/** Which broker listener a scenario talks to (the trace's `endpoint`). */
export type Endpoint = "anon" | "auth" | "dynsec" | "tls";

/** A running broker and the port of each listener. */
export interface Broker {
  mosquitto: Mosquitto;
  ports: { anon: number; auth: number; dynsec: number };
  /** The listener port for an endpoint (tls uses anon behind a TLS terminator). */
  portFor(e: Endpoint): number;
  stop(): Promise<void>;
}

const DYNSEC_PLUGIN = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so";

/** The dynamic-security config: anonymous clients may do anything except subscribe to forbidden/#. */
export const DYNSEC_CONFIG = {
  defaultACLAccess: { publishClientSend: true, publishClientReceive: true, subscribe: true, unsubscribe: true },
  clients: [],
  groups: [{ groupname: "anonymous", roles: [{ rolename: "deny-forbidden" }], clients: [] }],
  roles: [{
    rolename: "deny-forbidden",
    acls: [{ acltype: "subscribePattern", topic: "forbidden/#", priority: 0, allow: false }],
  }],
  anonymousGroup: "anonymous",
};

/**
 * Start mosquitto with anon (first), auth and dynsec listeners on 127.0.0.1.
 *
 * @param lanListeners Extra config lines placed before the first listener
 *   (board mode: a listener on the LAN address the board can reach).
 * @returns The broker.
 */
export async function startBroker(lanListeners: string[] = []): Promise<Broker> {
  const { mkdtempSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "hil-mosq-"));
  // mosquitto started as root drops to the "mosquitto" user: it must be able to read these.
  chmodSync(dir, 0o755);
  const passwd = writePasswordFile(dir, { u: "p" });
  const acl = join(dir, "acl");
  writeFileSync(acl, "user u\ntopic readwrite #\n");
  const dyn = join(dir, "dynsec.json");
  writeFileSync(dyn, JSON.stringify(DYNSEC_CONFIG));
  for (const f of [passwd, acl, dyn]) chmodSync(f, 0o644);
  const m = await startMosquitto({
    dir,
    global: lanListeners,
    extraListeners: [
      { lines: ["allow_anonymous false", `password_file ${passwd}`, `acl_file ${acl}`] },
      { lines: ["allow_anonymous true", `plugin ${DYNSEC_PLUGIN}`, `plugin_opt_config_file ${dyn}`] },
    ],
  });
  const ports = { anon: m.port, auth: m.extraPorts[0]!, dynsec: m.extraPorts[1]! };
  return {
    mosquitto: m,
    ports,
    portFor: (e) => (e === "auth" ? ports.auth : e === "dynsec" ? ports.dynsec : ports.anon),
    async stop() {
      await m.stop();
      const { rmSync } = await import("node:fs");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
