/**
 * A benchmark worker: runs one client kind on whatever runtime started it
 * (`deno run -A bench/worker.ts <kind> <port>` or `bun run bench/worker.ts
 * <kind> <port>`). It reads one JSON command per line on stdin and answers
 * each with one JSON line on stdout, so the orchestrator can arm its
 * counting subscriber between commands.
 *
 * Commands: `{op: "connect"}`, `{op: "publish", topic, size, qos, n, window, warm}`,
 * `{op: "rtt", ping, pong, size, n}`, `{op: "connrate", n}`,
 * `{op: "memory", n}`, `{op: "exit"}`.
 *
 * @module
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { type BenchClient, type ClientKind, connectClient } from "./clients.ts";
import { connectionRate, idleClients, publishMany, roundTrips } from "./scenarios.ts";

/** One command from the orchestrator. */
export type WorkerCommand =
  | { op: "connect" }
  | { op: "publish"; topic: string; size: number; qos: 0 | 1 | 2; n: number; window: number; warm: number }
  | { op: "subscribe"; topic: string }
  | { op: "rtt"; ping: string; size: number; n: number; warm: number }
  | { op: "connrate"; n: number }
  | { op: "memory"; n: number }
  | { op: "exit" };

const kind = process.argv[2] as ClientKind;
const port = Number(process.argv[3]);
const tag = `${kind}-${process.pid}`;
let client: BenchClient | null = null;

async function run(cmd: WorkerCommand): Promise<unknown> {
  switch (cmd.op) {
    case "connect":
      client = await connectClient(kind, port, `bench-${tag}`);
      return { ok: true };
    case "publish": {
      const payload = new Uint8Array(cmd.size).fill(0x61);
      if (cmd.warm > 0) await publishMany(client!, "bench/warm", payload, cmd.qos, cmd.warm, cmd.window);
      return await publishMany(client!, cmd.topic, payload, cmd.qos, cmd.n, cmd.window);
    }
    case "subscribe":
      await client!.subscribe(cmd.topic);
      return { ok: true };
    case "rtt": {
      const payload = new Uint8Array(cmd.size).fill(0x62);
      if (cmd.warm > 0) await roundTrips(client!, cmd.ping, payload, cmd.warm);
      return await roundTrips(client!, cmd.ping, payload, cmd.n);
    }
    case "connrate":
      // Warm up with as many connections as are measured: the steady state, as for the publish figures.
      await connectionRate(kind, port, cmd.n, `warm-${tag}`);
      return await connectionRate(kind, port, cmd.n, `cr-${tag}`);
    case "memory":
      return await idleClients(kind, port, cmd.n, `idle-${tag}`);
    case "exit":
      await client?.close();
      client = null;
      return { ok: true };
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const cmd = JSON.parse(line) as WorkerCommand;
  let reply: unknown;
  try {
    reply = await run(cmd);
  } catch (e) {
    reply = { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
  process.stdout.write(JSON.stringify(reply) + "\n");
  if (cmd.op === "exit") break;
}
process.exit(0);
