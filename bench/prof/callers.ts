// Callers (stack paths) of a function's self time in a .cpuprofile: deno run -A bench/prof/callers.ts FILE NAME [iters]
const [file, name, iters] = (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;
const prof = JSON.parse(
  await (globalThis as unknown as { Deno: { readTextFile(p: string): Promise<string> } }).Deno
    .readTextFile(file!),
);
type N = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
const byId = new Map<number, N>();
const parent = new Map<number, number>();
for (const n of prof.nodes as N[]) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}
const label = (n: N) =>
  `${n.callFrame.functionName || "(anon)"}@${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
const paths = new Map<string, number>();
for (let i = 0; i < prof.samples.length; i++) {
  const n = byId.get(prof.samples[i])!;
  if (n.callFrame.functionName !== name) continue;
  const chain: string[] = [];
  let p = parent.get(n.id);
  while (p !== undefined && chain.length < 6) {
    chain.push(label(byId.get(p)!));
    p = parent.get(p);
  }
  const k = chain.join(" < ");
  paths.set(k, (paths.get(k) ?? 0) + (prof.timeDeltas[i] ?? 0) / Number(iters ?? 1));
}
for (const [k, v] of [...paths].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(v.toFixed(2).padStart(8), k);
