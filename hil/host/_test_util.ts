/** Shared helpers for the host tests. @module */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { crc32Hex } from "./crc32.ts";
import type { TraceFile } from "./observed.ts";
import { HIL_DIR } from "./rig.ts";

/** The reference traces directory: the copy in the repository, `hil/traces/`. */
export const TRACES: string = join(HIL_DIR, "traces");

/** A record line with its CRC, as the rig writes it. */
export function rec(body: string): string {
  return `${body} ${crc32Hex(body)}`;
}

/** Load every reference trace. */
export function loadTraces(): TraceFile[] {
  return readdirSync(TRACES).filter((f) => f.endsWith(".json")).sort().map((f) =>
    JSON.parse(readFileSync(join(TRACES, f), "utf8")) as TraceFile
  );
}
