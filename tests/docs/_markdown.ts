/**
 * Find the code blocks of a markdown file, with the `<!-- snippet: … -->`
 * markers placed before each of them.
 *
 * A marker is an HTML comment on its own line(s), followed by the fenced
 * block it describes (blank lines in between are allowed). Its body is a
 * list of `key`, `key=value`, `key="value"` or `key='value'` items; a key
 * may repeat (`expect`, `seed`). Several markers in a row add up.
 *
 * @module
 */

/** Languages whose blocks are run; anything else (`python`, `json`, …) is prose. */
export const RUN_LANGUAGES: Record<string, "ts" | "js" | "sh"> = {
  ts: "ts",
  typescript: "ts",
  js: "js",
  javascript: "js",
  mjs: "js",
  sh: "sh",
  bash: "sh",
  shell: "sh",
};

/** One `key=value` item of a marker, in order. */
export interface MarkerItem {
  key: string;
  /** `true` for a bare `key`. */
  value: string | true;
}

/** A fenced code block. */
export interface CodeBlock {
  /** Path relative to the repository root, e.g. `docs/api.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** First word of the info string (`ts`, `sh`, `python`, … or `""`). */
  lang: string;
  /** The block's text, without the fences, ending with a newline. */
  code: string;
  /** Marker items placed before it. */
  marker: MarkerItem[];
}

/** A marker that precedes something other than a code block, or does not parse. */
export interface MarkerProblem {
  file: string;
  line: number;
  problem: string;
}

const MARKER_START = /^\s*<!--\s*snippet:/;

/** Parse the body of a marker (`skip reason="…"`, `expect='…'`, `kill-after=2000`). */
export function parseMarkerBody(body: string): MarkerItem[] {
  const items: MarkerItem[] = [];
  const re = /\s*([a-z][a-z0-9-]*)(?:=(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s"']+)))?/y;
  let rest = body.trim();
  while (rest.length > 0) {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw new SyntaxError(`Cannot parse marker text ${JSON.stringify(rest)}`);
    const raw = m[2] ?? m[3] ?? m[4];
    const value = raw === undefined ? true : raw.replace(/\\(.)/g, "$1");
    items.push({ key: m[1]!, value });
    rest = rest.slice(m[0].length).trimStart();
  }
  return items;
}

/**
 * Every fenced code block of `text`, with its markers, and the markers that
 * are not followed by a code block.
 */
export function extractBlocks(file: string, text: string): { blocks: CodeBlock[]; problems: MarkerProblem[] } {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  const problems: MarkerProblem[] = [];
  let pending: MarkerItem[] = [];
  let pendingLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (MARKER_START.test(line)) {
      // The comment may span lines; it ends at the first "-->".
      let j = i;
      let body = line.replace(MARKER_START, "");
      while (!body.includes("-->") && j + 1 < lines.length) body += "\n" + lines[++j];
      if (!body.includes("-->")) {
        problems.push({ file, line: i + 1, problem: "marker comment is not closed with -->" });
        break;
      }
      try {
        pending.push(...parseMarkerBody(body.slice(0, body.indexOf("-->"))));
      } catch (e) {
        problems.push({ file, line: i + 1, problem: (e as Error).message });
      }
      if (pendingLine === 0) pendingLine = i + 1;
      i = j;
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (fence) {
      const [, indent, marks, info] = fence;
      const close = new RegExp(`^\\s*${marks![0] === "`" ? "`" : "~"}{${marks!.length},}\\s*$`);
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !close.test(lines[j]!)) {
        const l = lines[j]!;
        body.push(l.startsWith(indent!) ? l.slice(indent!.length) : l.trimStart());
        j++;
      }
      blocks.push({ file, line: i + 1, lang: info!.toLowerCase(), code: body.join("\n") + "\n", marker: pending });
      pending = [];
      pendingLine = 0;
      i = j;
      continue;
    }
    if (line.trim() !== "" && pending.length > 0) {
      problems.push({ file, line: pendingLine, problem: "snippet marker is not followed by a code block" });
      pending = [];
      pendingLine = 0;
    }
  }
  if (pending.length > 0) problems.push({ file, line: pendingLine, problem: "snippet marker at the end of the file" });
  return { blocks, problems };
}
