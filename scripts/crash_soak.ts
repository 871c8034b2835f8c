/**
 * The long crash soak: `deno task crash-soak [--messages=N] [--kills=N]
 * [--no-sync] [--seed=N]` (also `bun run scripts/crash_soak.ts ...`). A
 * publisher and a subscriber with `FileStore`s are killed with SIGKILL at
 * random moments while QoS 1 and QoS 2 messages stream through a private
 * mosquitto; prints the counts and exits 1 if a QoS 1 message was lost or
 * a QoS 2 message lost or doubled.
 *
 * @module
 */
import process from "node:process";
import { crashSoak } from "../tests/store/_crash.ts";

const arg = (name: string, fallback: number): number => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};
const seedArg = process.argv.find((x) => x.startsWith("--seed="));
const r = await crashSoak({
  messages: arg("messages", 20_000),
  kills: arg("kills", 200),
  sync: !process.argv.includes("--no-sync"),
  ...(seedArg ? { seed: Number(seedArg.slice(7)) } : {}),
  timeoutMs: 3_600_000,
  log: (l) => console.log(l),
});
console.log(JSON.stringify(r));
const bad = r.lostQos1 + r.lostQos2 + r.duplicateQos2;
console.log(
  `${r.messages} messages, ${r.publisherKills} publisher and ${r.subscriberKills} subscriber SIGKILLs in ` +
    `${r.seconds.toFixed(0)} s: QoS 1 lost ${r.lostQos1} (received twice ${r.duplicateQos1}), QoS 2 lost ` +
    `${r.lostQos2}, doubled ${r.duplicateQos2}`,
);
process.exit(bad === 0 ? 0 : 1);
