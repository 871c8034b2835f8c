// Self time by function from a .cpuprofile: deno run -A bench/prof/top.ts FILE [n]
const [file, nArg] = (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;
const prof = JSON.parse(
  await (globalThis as unknown as { Deno: { readTextFile(p: string): Promise<string> } }).Deno
    .readTextFile(file!),
);
const byId = new Map<number, { callFrame: { functionName: string; url: string; lineNumber: number } }>();
for (const n of prof.nodes) byId.set(n.id, n);
const self = new Map<string, number>();
const dt: number[] = prof.timeDeltas;
let total = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i])!;
  const f = n.callFrame;
  const key = `${f.functionName || "(anon)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
  const d = dt[i] ?? 0;
  self.set(key, (self.get(key) ?? 0) + d);
  total += d;
}
const rows = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg ?? 40));
for (const [k, v] of rows) console.log(`${(100 * v / total).toFixed(1).padStart(5)}%  ${k}`);
