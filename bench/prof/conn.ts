// Connections per second: ours vs raw, alternating in one process.
// deno run -A bench/prof/conn.ts PORT [n] [rounds] [ours,raw] [warm-up count]
import process from "node:process";
import { type ClientKind, connectClient } from "../clients.ts";

const args = (globalThis as { Deno?: { args: string[] } }).Deno?.args ??
  (globalThis as unknown as { process: { argv: string[] } }).process.argv.slice(2);
const port = Number(args[0] ?? 1883);
const n = Number(args[1] ?? 2000);
const rounds = Number(args[2] ?? 5);
const kinds = (args[3] ?? "ours,raw").split(",") as ClientKind[];
const warm = Number(args[4] ?? n);

const cpu: Record<string, number[]> = {};
async function rate(kind: ClientKind, count = n): Promise<number> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const c = await connectClient(kind, port, `p-${kind}-${i}`);
    await c.close();
  }
  const ms = performance.now() - t0;
  const c1 = process.cpuUsage(c0);
  (cpu[kind] ??= []).push((c1.user + c1.system) / count);
  return count / (ms / 1000);
}
for (const k of kinds) if (warm > 0) await rate(k, warm); // warm-up
const res: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) {
  for (const k of kinds) (res[k] ??= []).push(Math.round(await rate(k)));
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const k of kinds) {
  console.log(k, med(res[k]!), res[k]!.join(" "), "cpu µs/conn", med(cpu[k]!.slice(warm > 0 ? 1 : 0)).toFixed(1));
}
if (res.ours && res.raw) console.log("ratio", (med(res.ours) / med(res.raw)).toFixed(2));
