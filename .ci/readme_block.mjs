// Print the Nth (1-based) fenced block of the given language in one section of README.md:
//   node .ci/readme_block.mjs README.md "## Use it from a checkout today" json 2
// Exits 1, naming what is missing, when the section or the block is not there.
import { readFileSync } from "node:fs";

const [file, heading, lang, nth] = process.argv.slice(2);
const text = readFileSync(file, "utf8");
const start = text.split("\n").findIndex((l) => l.trim() === heading);
if (start < 0) {
  console.error(`${file} has no section "${heading}"`);
  process.exit(1);
}
const lines = text.split("\n").slice(start + 1);
const end = lines.findIndex((l) => /^#{1,2} /.test(l));
const section = (end < 0 ? lines : lines.slice(0, end)).join("\n");
const blocks = [...section.matchAll(new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm"))].map((m) => m[1]);
const block = blocks[Number(nth) - 1];
if (block === undefined) {
  console.error(`Section "${heading}" of ${file} has ${blocks.length} \`\`\`${lang} block(s), not ${nth}`);
  process.exit(1);
}
process.stdout.write(block);
