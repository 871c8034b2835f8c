/**
 * Turns {@linkcode Results} into the Markdown table of `BENCHMARKS.md` and a
 * hand-written SVG chart (no dependencies).
 *
 * @module
 */
import type { ClientKind } from "./clients.ts";
import { FIGURES, type FigureSpec, type Runtime } from "./figures.ts";
import type { Results } from "./main.ts";
import type { Summary } from "./stats.ts";
import { type EntrySize, MAIN_TARGET } from "./size.ts";

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

const KIND_LABEL: Record<ClientKind, string> = { ours: "ours", mqttjs: "MQTT.js", raw: "raw" };
const RT_LABEL: Record<Runtime, string> = { deno: "Deno", bun: "Bun", node: "Node" };

function fmt(x: number): string {
  if (!Number.isFinite(x)) return "–";
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString("en-US");
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

function cell(s: Summary | undefined): string {
  if (!s || !Number.isFinite(s.median)) return "–";
  return `${fmt(s.median)} ±${s.spreadPct.toFixed(0)}%`;
}

/** ours ÷ raw for a figure on one runtime (NaN when either is missing). */
export function ratioToRaw(r: Results, fig: FigureSpec, rt: Runtime, kind: ClientKind = "ours"): number {
  const row = r.figures[fig.id]?.[rt];
  const a = row?.[kind]?.median;
  const b = row?.raw?.median;
  return a !== undefined && b !== undefined && b !== 0 ? a / b : NaN;
}

/** Whether a ratio meets the figure's target (undefined when there is none). */
export function meetsTarget(fig: FigureSpec, ratio: number): boolean | undefined {
  if (fig.target === undefined || !Number.isFinite(ratio)) return undefined;
  return fig.better === "lower" ? ratio <= fig.target : ratio >= fig.target;
}

function ratioCell(fig: FigureSpec, ratio: number): string {
  if (!Number.isFinite(ratio)) return "–";
  const met = meetsTarget(fig, ratio);
  const s = `${ratio.toFixed(2)}×`;
  return met === undefined ? s : met ? `${s} ✓` : `**${s} ✗**`;
}

/** The results section of `BENCHMARKS.md`. */
export function renderMarkdown(r: Results): string {
  const rts = r.runtimes;
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Run: ${r.date} (${r.mode} mode, ${r.durationS} s; ${r.config.reps} repetitions per figure, ` +
      `${r.config.memReps} for memory, ${r.config.importReps} for cold start).`,
    "",
    `Machine: ${m.nproc} × ${m.cpu}, ${m.memoryGiB} GiB RAM, ${m.kernel}; load average at the end: ${m.loadavg}. ` +
      `Shared with other work, so absolute numbers move between runs; ratios within one run are the figures to read.`,
    "",
    `Versions: ${Object.entries(r.versions).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
    "",
    "Cells are the median over repetitions, ± half the range between the smallest and largest repetition. " +
      "`ours ÷ raw` compares medians on the same runtime; ✓/✗ marks the project's target where there is one.",
    "",
  );
  const head = ["Figure", "Unit"];
  const sep = ["---", "---"];
  for (const rt of rts) {
    for (const k of ["ours", "mqttjs", "raw"] as ClientKind[]) {
      head.push(`${RT_LABEL[rt]} ${KIND_LABEL[k]}`);
      sep.push("---:");
    }
    head.push(`${RT_LABEL[rt]} ours ÷ raw`);
    sep.push("---:");
  }
  head.push("Target (ours ÷ raw)");
  sep.push("---");
  out.push(`| ${head.join(" | ")} |`, `| ${sep.join(" | ")} |`);
  for (const fig of FIGURES) {
    const row = [fig.label, fig.unit];
    for (const rt of rts) {
      for (const k of ["ours", "mqttjs", "raw"] as ClientKind[]) row.push(cell(r.figures[fig.id]?.[rt]?.[k]));
      row.push(ratioCell(fig, ratioToRaw(r, fig, rt)));
    }
    row.push(fig.target === undefined ? "" : `${fig.better === "lower" ? "≤" : "≥"} ${fig.target}`);
    out.push(`| ${row.join(" | ")} |`);
  }
  const s = r.size;
  const kib = (n: number): string => `${fmt(n / 1024)} KiB`;
  const tr = (e: EntrySize, k: keyof EntrySize["withTransport"]): string => {
    const b = e.withTransport[k];
    return b ? kib(b.gzip) : "–";
  };
  out.push(
    "",
    "Published size, minified + gzip -9. _one file_: everything in one bundle (dynamic imports inlined). _split_: " +
      "a code-splitting bundle; _at import_ is what loading the entry point costs (its chunk and the chunks it " +
      "imports statically), _+ Deno_ … _+ WebSocket_ add what the first connection loads on that runtime. " +
      `Target for \`.\` at import: ≤ ${MAIN_TARGET / 1024} KiB.`,
    "",
    "| Entry point | Bundler | one file | split: at import | + Deno | + Bun | + Node | + WebSocket |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (const e of s.ours.entries) {
    const mark = e.entry === "." ? (e.main.gzip <= MAIN_TARGET ? " ✓" : " **✗**") : "";
    out.push(
      `| \`${e.entry}\` | ${e.bundler} | ${kib(e.single.gzip)} | ${kib(e.main.gzip)}${mark} | ${tr(e, "deno")} | ${
        tr(e, "bun")
      } | ${tr(e, "node")} | ${tr(e, "websocket")} |`,
    );
  }
  const total = s.ours.modules.reduce((n, m) => n + m.bytes, 0);
  out.push(
    "",
    "| Client | minified | min + gzip | production dependencies |",
    "| --- | ---: | ---: | ---: |",
    ...s.ours.entries.filter((e) => e.entry === "." && e.bundler === "esbuild").map((e) =>
      `| ours (\`mod.ts\`, one file, esbuild) | ${kib(e.single.minified)} | ${kib(e.single.gzip)} | ${s.ours.deps} |`
    ),
    `| MQTT.js ${r.versions.mqttjs} | ${kib(s.mqttjs.minified)} | ${kib(s.mqttjs.gzip)} | ${s.mqttjs.deps} |`,
    "",
    `What \`.\` loads at import, by module (esbuild, minified bytes before gzip, ${kib(total)} in all): ` +
      s.ours.modules.map((m) => `${m.path} ${fmt(m.bytes / 1024)} KiB (${(100 * m.bytes / total).toFixed(0)} %)`)
        .join(", ") +
      ".",
    "",
    `Sizes: ${s.ours.how}. MQTT.js is ${s.mqttjs.how}. MQTT.js dependencies (transitive, production): ` +
      `${s.mqttjs.depNames.join(", ")}.`,
  );
  const lost = r.delivery.filter((d) => d.arrived !== d.sent);
  out.push(
    "",
    lost.length === 0
      ? `Delivery check: the counting subscriber received every message in every run (${r.delivery.length} runs).`
      : `Delivery check: ${lost.length} of ${r.delivery.length} runs lost messages: ${
        lost.map((d) => `${d.runtime} ${d.client} ${d.figure} ${d.arrived}/${d.sent}`).join("; ")
      }.`,
  );
  if (r.errors.length) out.push("", "Errors during the run:", "", ...r.errors.map((e) => `- ${e}`));
  out.push("", "![ours and MQTT.js relative to the raw client](bench/results/chart.svg)");
  return out.join("\n");
}

/** Replace the generated section of `BENCHMARKS.md` (or append one). */
export function updateBenchmarksMd(before: string, section: string): string {
  const block = `${START}\n${section}\n${END}`;
  const a = before.indexOf(START);
  const b = before.indexOf(END);
  if (a >= 0 && b > a) return before.slice(0, a) + block + before.slice(b + END.length);
  return (before ? before.trimEnd() + "\n\n" : "# Benchmarks\n\n") + block + "\n";
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A bar chart of each client's cost relative to the raw client on the same
 * runtime (log scale; 1 = raw; for rates the inverse ratio, so shorter is
 * always better), with the target marked.
 */
export function renderSvg(r: Results): string {
  const rts = r.runtimes;
  const series: { rt: Runtime; kind: ClientKind; color: string }[] = [];
  const colors: Record<string, string> = {
    "deno-ours": "#1f77b4",
    "deno-mqttjs": "#aec7e8",
    "bun-ours": "#d62728",
    "bun-mqttjs": "#ff9896",
    "node-ours": "#2ca02c",
    "node-mqttjs": "#98df8a",
  };
  for (const rt of rts) {
    for (const kind of ["ours", "mqttjs"] as ClientKind[]) {
      series.push({ rt, kind, color: colors[`${rt}-${kind}`] ?? "#888" });
    }
  }
  const barH = 11;
  const groupH = series.length * barH + 14;
  const left = 250;
  const plotW = 520;
  const top = 70;
  const width = left + plotW + 90;
  const height = top + FIGURES.length * groupH + 40;
  const lo = Math.log(0.5);
  const hi = Math.log(32);
  const x = (v: number): number => left + ((Math.log(Math.min(32, Math.max(0.5, v))) - lo) / (hi - lo)) * plotW;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Cost relative to the raw client on the same runtime (log scale, 1 = raw, shorter is better)</text>`,
    `<text x="10" y="38" fill="#444">${
      esc(
        `${r.mode} run ${
          r.date.slice(0, 16)
        }, ${r.machine.nproc} × ${r.machine.cpu}; rates are shown as raw ÷ client, costs as client ÷ raw; ▏= target`,
      )
    }</text>`,
  );
  let lx = 10;
  for (const s of series) {
    o.push(
      `<rect x="${lx}" y="48" width="10" height="10" fill="${s.color}"/>`,
      `<text x="${lx + 14}" y="57">${RT_LABEL[s.rt]} ${KIND_LABEL[s.kind]}</text>`,
    );
    lx += 110;
  }
  for (const t of [0.5, 1, 2, 4, 8, 16, 32]) {
    const xx = x(t).toFixed(1);
    o.push(
      `<line x1="${xx}" y1="${top - 4}" x2="${xx}" y2="${height - 30}" stroke="${t === 1 ? "#000" : "#ddd"}"/>`,
      `<text x="${xx}" y="${height - 16}" text-anchor="middle">${t}×</text>`,
    );
  }
  FIGURES.forEach((fig, gi) => {
    const y0 = top + gi * groupH;
    o.push(`<text x="${left - 8}" y="${y0 + groupH / 2}" text-anchor="end">${esc(fig.label)}</text>`);
    series.forEach((s, si) => {
      const ratio = ratioToRaw(r, fig, s.rt, s.kind);
      const cost = fig.better === "lower" ? ratio : 1 / ratio;
      const y = y0 + 4 + si * barH;
      if (!Number.isFinite(cost)) return;
      const x1 = x(1);
      const x2 = x(cost);
      o.push(
        `<rect x="${Math.min(x1, x2).toFixed(1)}" y="${y}" width="${
          Math.max(1, Math.abs(x2 - x1)).toFixed(1)
        }" height="${barH - 2}" fill="${s.color}"><title>${
          esc(`${RT_LABEL[s.rt]} ${KIND_LABEL[s.kind]}: ${fig.label} ${cost.toFixed(2)}× raw`)
        }</title></rect>`,
        `<text x="${(Math.max(x1, x2) + 3).toFixed(1)}" y="${y + barH - 3}" font-size="9">${cost.toFixed(2)}</text>`,
      );
    });
    if (fig.target !== undefined) {
      const t = fig.better === "lower" ? fig.target : 1 / fig.target;
      const xt = x(t).toFixed(1);
      o.push(
        `<line x1="${xt}" y1="${y0 + 2}" x2="${xt}" y2="${
          y0 + groupH - 8
        }" stroke="#000" stroke-width="2" stroke-dasharray="3 2"/>`,
      );
    }
  });
  o.push("</svg>");
  return o.join("\n") + "\n";
}
