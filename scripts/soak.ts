/**
 * The long soak: `deno task soak [--messages 100000] [--drops 20] [--restarts 20]`.
 * Prints the counts as JSON; exits non-zero if a QoS 1 message was lost or a
 * QoS 2 message was lost or duplicated.
 *
 * @module
 */
import { runSoak } from "../tests/resilience/_soak.ts";

function arg(name: string, dflt: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : dflt;
}

const r = await runSoak({
  messages: arg("messages", 100_000),
  drops: arg("drops", 20),
  restarts: arg("restarts", 20),
  deadline: 300_000,
  log: (l) => console.error(l),
});
console.log(JSON.stringify(r, null, 2));
if (r.lostQos1 || r.lostQos2 || r.duplicatedQos2) Deno.exit(1);
