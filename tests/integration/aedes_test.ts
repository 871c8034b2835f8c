/**
 * The client against aedes (npm, dev-only) running in-process on
 * `node:net` at 127.0.0.1, under Deno and Bun.
 */
import { brokerSuite } from "./_suite.ts";

brokerSuite("aedes");
