// Self time per function, µs per iteration, for two .cpuprofile files: deno run -A bench/prof/diff.ts A B itersA itersB
const [a, b, na, nb] = (globalThis as unknown as { Deno: { args: string[] } }).Deno.args;
const read = async (file: string, n: number) => {
  const prof = JSON.parse(
    await (globalThis as unknown as { Deno: { readTextFile(p: string): Promise<string> } }).Deno
      .readTextFile(file),
  );
  const byId = new Map<number, { callFrame: { functionName: string; url: string; lineNumber: number } }>();
  for (const x of prof.nodes) byId.set(x.id, x);
  const self = new Map<string, number>();
  for (let i = 0; i < prof.samples.length; i++) {
    const f = byId.get(prof.samples[i])!.callFrame;
    const key = `${f.functionName || "(anon)"} ${f.url.split("/").slice(-2).join("/")}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (prof.timeDeltas[i] ?? 0) / n);
  }
  return self;
};
const A = await read(a!, Number(na)), B = await read(b!, Number(nb));
const keys = new Set([...A.keys(), ...B.keys()]);
const rows = [...keys].map((k) => [k, A.get(k) ?? 0, B.get(k) ?? 0] as const).sort((x, y) =>
  Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2])
);
let ta = 0, tb = 0;
for (const [, x, y] of rows) (ta += x, tb += y);
console.log(`total ${ta.toFixed(1)} ${tb.toFixed(1)}`);
for (const [k, x, y] of rows.slice(0, 40)) console.log(`${x.toFixed(2).padStart(7)} ${y.toFixed(2).padStart(7)}  ${k}`);
