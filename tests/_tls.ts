/**
 * Test helper: a throwaway public-key infrastructure made with the `openssl`
 * command line tool, in a fresh temp directory. Works under Deno, Bun and
 * Node (it uses only `node:` built-ins).
 *
 * - a CA (`caPem`, file `ca.pem`),
 * - a server certificate signed by it for `localhost` and `127.0.0.1`
 *   (`serverCert`/`serverKey`, files `server.pem`/`server.key`),
 * - a client certificate signed by it with common name `client1`
 *   (`clientCert`/`clientKey`, files `client.pem`/`client.key`),
 * - an unrelated CA (`otherCaPem`, file `other_ca.pem`) that trusts nothing
 *   above, for "wrong CA" tests.
 *
 * @example
 * ```ts ignore
 * import { makeTestPki } from "./_tls.ts";
 * const pki = makeTestPki();
 * try {
 *   // mosquitto: `cafile ${pki.files.ca}`, `certfile ${pki.files.serverCert}`, ...
 * } finally {
 *   pki.cleanup();
 * }
 * ```
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Paths of the files written by {@linkcode makeTestPki}. */
export interface TestPkiFiles {
  /** CA certificate (PEM). */
  ca: string;
  /** Server certificate (PEM), SAN `DNS:localhost, IP:127.0.0.1`. */
  serverCert: string;
  /** Server private key (PEM). */
  serverKey: string;
  /** Client certificate (PEM), CN `client1`. */
  clientCert: string;
  /** Client private key (PEM). */
  clientKey: string;
  /** A second, unrelated CA certificate (PEM). */
  otherCa: string;
}

/** A throwaway PKI; see {@linkcode makeTestPki}. */
export interface TestPki {
  /** The temp directory holding every file. */
  dir: string;
  /** File paths (for broker configs). */
  files: TestPkiFiles;
  /** CA certificate, PEM text. */
  caPem: string;
  /** Server certificate, PEM text. */
  serverCert: string;
  /** Server private key, PEM text. */
  serverKey: string;
  /** Client certificate, PEM text (CN `client1`). */
  clientCert: string;
  /** Client private key, PEM text. */
  clientKey: string;
  /** A CA that signed none of the above, PEM text. */
  otherCaPem: string;
  /** Common name of the client certificate (`"client1"`). */
  clientName: string;
  /** Delete the directory. Idempotent. */
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  if (r.error) throw new Error(`Cannot run openssl (apt-get install -y openssl): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.stderr}`);
}

/**
 * Make a CA, a server certificate for `localhost`/`127.0.0.1`, a client
 * certificate and an unrelated CA, with P-256 keys, valid for 2 days.
 * The directory and files are made world-readable (they are throwaway test
 * material) so a broker that drops privileges can read them.
 *
 * @param dir Directory to write into; a fresh temp dir when absent.
 * @returns The PEM texts, file paths and a `cleanup()`.
 */
export function makeTestPki(dir?: string): TestPki {
  const d = dir ?? mkdtempSync(join(tmpdir(), "umqtt-pki-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  const ca = (name: string, cn: string): void =>
    openssl(d, [
      "req",
      "-x509",
      ...ec,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "2",
      "-subj",
      `/CN=${cn}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]); // deno-fmt-ignore
  const leaf = (name: string, cn: string, ext: string): void => {
    openssl(d, ["req", "-new", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`]);
    writeFileSync(join(d, `${name}.ext`), ext);
    openssl(d, [
      "x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", `${name}.pem`, "-days", "2", "-sha256", "-extfile", `${name}.ext`,
    ]); // deno-fmt-ignore
  };
  try {
    ca("ca", "umqtt test CA");
    ca("other_ca", "umqtt unrelated CA");
    leaf(
      "server",
      "localhost",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n" +
        "extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n",
    );
    leaf(
      "client",
      "client1",
      "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n",
    );
  } catch (e) {
    if (!dir) rmSync(d, { recursive: true, force: true });
    throw e;
  }
  // A broker started as root (mosquitto) drops privileges before it reads
  // certificates: make the throwaway files world-readable.
  chmodSync(d, 0o755);
  for (const f of readdirSync(d)) chmodSync(join(d, f), 0o644);
  const files: TestPkiFiles = {
    ca: join(d, "ca.pem"),
    serverCert: join(d, "server.pem"),
    serverKey: join(d, "server.key"),
    clientCert: join(d, "client.pem"),
    clientKey: join(d, "client.key"),
    otherCa: join(d, "other_ca.pem"),
  };
  const read = (p: string): string => readFileSync(p, "utf8");
  let cleaned = false;
  return {
    dir: d,
    files,
    caPem: read(files.ca),
    serverCert: read(files.serverCert),
    serverKey: read(files.serverKey),
    clientCert: read(files.clientCert),
    clientKey: read(files.clientKey),
    otherCaPem: read(files.otherCa),
    clientName: "client1",
    cleanup(): void {
      if (cleaned) return;
      cleaned = true;
      rmSync(d, { recursive: true, force: true });
    },
  };
}
