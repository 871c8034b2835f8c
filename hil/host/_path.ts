/** Minimal path helpers (node:path plus file-URL conversion) for Deno and Bun. @module */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export { dirname, join };

/** Convert a file: URL to a path. */
export function fromFileUrl(url: string | URL): string {
  return fileURLToPath(url);
}
