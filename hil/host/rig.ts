/**
 * The emulated rig: rig-sim (the firmware core on POSIX sockets) inside a pty
 * made by socat, so the host reads it exactly like a USB serial device.
 * Also the TLS terminator used for n2-tls (socat OPENSSL-LISTEN in front of
 * the tap, so the tap sees the plaintext inside TLS, like the reference
 * recorder's TLS proxy).
 *
 * @module
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, fromFileUrl, join } from "./_path.ts";

/** Repository paths. */
export const HIL_DIR: string = join(dirname(fromFileUrl(import.meta.url)), "..");
export const FIRMWARE_DIR: string = join(HIL_DIR, "firmware");
export const RIG_SIM: string = join(FIRMWARE_DIR, "build", "rig-sim");

/** Build rig-sim with make (a no-op when it is up to date). */
export function buildRigSim(): void {
  const r = spawnSync("make", ["-s", "-C", FIRMWARE_DIR, "rig-sim"], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(`Cannot build rig-sim (make -C ${FIRMWARE_DIR} rig-sim):\n${r.stdout}${r.stderr}`);
  }
}

/** A running child process we started, stopped by its PID. */
export interface Child {
  pid: number;
  stop(): Promise<void>;
}

function track(p: ChildProcess, what: string): Child {
  let exited = p.exitCode !== null;
  const done = new Promise<void>((resolve) =>
    p.once("exit", () => {
      exited = true;
      resolve();
    })
  );
  if (p.pid === undefined) throw new Error(`Cannot start ${what}`);
  return {
    pid: p.pid,
    async stop() {
      if (exited) return;
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 2000);
      await done;
      clearTimeout(t);
    },
  };
}

/** An emulated rig: the pty path and the processes behind it. */
export interface EmulatedRig {
  tty: string;
  socat: Child;
  stop(): Promise<void>;
}

/**
 * Start rig-sim behind a socat pty.
 *
 * @param upstreamPort Broker port on 127.0.0.1.
 * @param extraArgs More rig-sim arguments (e.g. --fault corrupt@5).
 * @returns The rig; open `tty` with SerialLink.
 */
export async function startEmulatedRig(upstreamPort: number, extraArgs: string[] = []): Promise<EmulatedRig> {
  const dir = mkdtempSync(join(tmpdir(), "hil-rig-"));
  const tty = join(dir, "ttyRIG");
  const exec = [RIG_SIM, "--upstream-host", "127.0.0.1", "--upstream-port", String(upstreamPort), ...extraArgs].join(
    " ",
  );
  if (/[,:!]/.test(exec)) throw new Error(`rig-sim arguments must not contain socat separators (,:!): ${exec}`);
  const p = spawn("socat", [`pty,raw,echo=0,link=${tty}`, `EXEC:${exec},pty,raw,echo=0,stderr`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  p.stderr?.on("data", (d: Uint8Array) => (err += new TextDecoder().decode(d)));
  const socat = track(p, "socat");
  const deadline = Date.now() + 5000;
  while (!existsSync(tty)) {
    if (p.exitCode !== null || Date.now() > deadline) {
      await socat.stop();
      throw new Error(`socat did not create the rig pty ${tty}: ${err.trim() || "timeout"}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    tty,
    socat,
    async stop() {
      await socat.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A self-signed certificate for 127.0.0.1 (PEM) and its files. */
export interface TestCert {
  certPem: string;
  certFile: string;
  keyFile: string;
  dir: string;
}

/**
 * Make a test CA and a server certificate for 127.0.0.1 (SAN IP:127.0.0.1)
 * signed by it. rustls (Deno) refuses a CA certificate used as the server's
 * own certificate, so unlike the reference recorder's single self-signed
 * certificate this is a two-level chain; the MQTT bytes are not affected.
 */
export function makeCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), "hil-tls-"));
  const f = (n: string): string => join(dir, n);
  writeFileSync(
    f("leaf.ext"),
    "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  const steps: string[][] = [
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      "/CN=hil test CA",
      "-keyout",
      f("ca.key"),
      "-out",
      f("ca.pem"),
    ],
    ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", f("key.pem"), "-out", f("leaf.csr")],
    [
      "x509",
      "-req",
      "-in",
      f("leaf.csr"),
      "-CA",
      f("ca.pem"),
      "-CAkey",
      f("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      f("leaf.ext"),
      "-out",
      f("cert.pem"),
    ],
  ];
  for (const args of steps) {
    const r = spawnSync("openssl", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`Cannot create the test certificates (openssl ${args[0]}): ${r.stderr}`);
  }
  return { certPem: readFileSync(f("ca.pem"), "utf8"), certFile: f("cert.pem"), keyFile: f("key.pem"), dir };
}

/**
 * Start a TLS terminator: TLS server on `listenPort`, plaintext to `toPort`.
 *
 * @param cert The server certificate.
 * @param listenPort Port for TLS clients.
 * @param toPort Plain TCP port (the tap).
 * @param toHost Address of the tap (the board's IP in board mode).
 * @returns The socat process.
 */
export async function startTlsTerminator(
  cert: TestCert,
  listenPort: number,
  toPort: number,
  toHost = "127.0.0.1",
): Promise<Child> {
  const p = spawn("socat", [
    `OPENSSL-LISTEN:${listenPort},bind=127.0.0.1,reuseaddr,fork,cert=${cert.certFile},key=${cert.keyFile},verify=0`,
    `TCP:${toHost}:${toPort},nodelay`,
  ], { stdio: "ignore" });
  const c = track(p, "socat TLS terminator");
  // Wait for the listening socket without connecting to it: a probe connection
  // would be forwarded into the tap and show up in the capture.
  const hexPort = listenPort.toString(16).toUpperCase().padStart(4, "0");
  const deadline = Date.now() + 5000;
  while (!/^\s*\d+: 0100007F:/m.test(listeningLines(hexPort))) {
    if (Date.now() > deadline) {
      await c.stop();
      throw new Error(`TLS terminator did not listen on 127.0.0.1:${listenPort}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return c;
}

function listeningLines(hexPort: string): string {
  try {
    return readFileSync("/proc/net/tcp", "utf8").split("\n").filter((l) => l.includes(`:${hexPort} 00000000:0000 0A`))
      .join("\n");
  } catch {
    return "";
  }
}

/** Write a file (helper for artefacts). */
export function writeText(path: string, text: string): void {
  writeFileSync(path, text);
}
