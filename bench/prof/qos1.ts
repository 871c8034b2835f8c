// QoS 1, windows of 64, against a broker: ours vs raw alternating, messages/s and CPU µs per message.
// deno run -A bench/prof/qos1.ts PORT [n] [rounds] [ours,raw]
import process from "node:process";
import { type ClientKind, connectClient } from "../clients.ts";
import { publishMany } from "../scenarios.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ?? process.argv.slice(2);
const port = Number(args[0] ?? 1883);
const n = Number(args[1] ?? 30_000);
const rounds = Number(args[2] ?? 5);
const kinds = (args[3] ?? "ours,raw").split(",") as ClientKind[];
const payload = new Uint8Array(64);
const clients = new Map<ClientKind, Awaited<ReturnType<typeof connectClient>>>();
for (const k of kinds) clients.set(k, await connectClient(k, port, `q1-${k}`));
for (const k of kinds) await publishMany(clients.get(k)!, `bench/q1/${k}`, payload, 1, n, 64);
const res: Record<string, string[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const k of kinds) {
    const x = await publishMany(clients.get(k)!, `bench/q1/${k}`, payload, 1, n, 64);
    (res[k] ??= []).push(`${Math.round(n / (x.ms / 1000))}/s ${(x.cpuUs / n).toFixed(2)}µs`);
  }
}
for (const k of kinds) console.log(k, res[k]!.join("  "));
for (const c of clients.values()) await c.close();
