/**
 * Connection options shared by `umqtt pub` and `umqtt sub`, and building a
 * client from them.
 *
 * @module
 */
import { type ClientOptions, MQTTClient } from "../client.ts";
import type { QoS } from "../codec/packets.ts";
import { validateTopicFilter, validateTopicName } from "../codec/topic.ts";
import type { TlsOptions } from "../transport/types.ts";
import { intOption, last, type OptionSpec, type Parsed, UsageError } from "./_args.ts";
import type { Runtime } from "./_runtime.ts";

/** Options every command accepts. */
export const CONNECTION_OPTIONS: OptionSpec[] = [
  { key: "host", names: ["-h", "--host"], value: true },
  { key: "port", names: ["-p", "--port"], value: true },
  { key: "url", names: ["-L", "--url"], value: true },
  { key: "user", names: ["-u", "--username"], value: true },
  { key: "password", names: ["-P", "--pw"], value: true },
  { key: "id", names: ["-i", "--id"], value: true },
  { key: "keepalive", names: ["-k", "--keepalive"], value: true },
  { key: "qos", names: ["-q", "--qos"], value: true },
  { key: "topic", names: ["-t", "--topic"], value: true },
  { key: "noClean", names: ["-c", "--disable-clean-session"], value: false },
  { key: "version", names: ["-V", "--protocol-version"], value: true },
  { key: "tls", names: ["--tls"], value: false },
  { key: "cafile", names: ["--cafile"], value: true },
  { key: "cert", names: ["--cert"], value: true },
  { key: "key", names: ["--key"], value: true },
  { key: "insecure", names: ["--insecure"], value: false },
  { key: "willTopic", names: ["--will-topic"], value: true },
  { key: "willPayload", names: ["--will-payload"], value: true },
  { key: "willQos", names: ["--will-qos"], value: true },
  { key: "willRetain", names: ["--will-retain"], value: false },
  { key: "debug", names: ["-d", "--debug"], value: false },
  { key: "quiet", names: ["--quiet"], value: false },
  { key: "help", names: ["--help"], value: false },
];

/** Help text for the options above. */
export const CONNECTION_HELP = `Connection:
  -h, --host HOST          broker host (default 127.0.0.1)
  -p, --port PORT          broker port (default 1883, or 8883 with TLS)
  -L, --url URL            mqtt[s]://[user[:password]@]host[:port]/topic, or
                           ws[s]://[user[:password]@]host[:port]/path (MQTT over
                           WebSocket; the path is the WebSocket path, topics need -t)
  -u, --username USER      user name
  -P, --pw PASSWORD        password (needs -u)
  -i, --id ID              client id (default umqtt-<command>-<random>)
  -k, --keepalive SECONDS  keepalive, 0..65535 (default 60)
  -c, --disable-clean-session
                           keep the session on the broker (needs -i)
  -V, --protocol-version V only mqttv311 (MQTT 3.1.1) is supported
  -d, --debug              print every packet sent and received (as mosquitto -d)
  --quiet                  do not print error messages (the exit status still tells)
TLS:
  --tls                    connect with TLS, trusting the system CAs
  --cafile FILE            trust the CA certificate(s) in FILE (PEM; implies --tls)
  --cert FILE, --key FILE  client certificate and key (PEM) for mutual TLS
  --insecure               do not verify the broker's certificate (implies --tls; tests
                           only; Bun only: Deno cannot skip verification per connection)
Last will:
  --will-topic TOPIC       topic the broker publishes to if we vanish
  --will-payload TEXT      will message (default empty)
  --will-qos QOS           will QoS, 0..2 (default 0)
  --will-retain            retain the will message`;

/** Everything needed to open a connection. */
export interface ConnectionSettings {
  /** Broker host (`-h`, or the host of `-L`); 127.0.0.1 by default. */
  host: string;
  /** For a `ws://`/`wss://` `-L` URL: the WebSocket path (`/mqtt`); undefined for raw MQTT. */
  websocketPath: string | undefined;
  /** Broker port (`-p`, or the port of `-L`); 1883, or 8883 with TLS, by default. */
  port: number;
  /** User name (`-u`, or from `-L`). */
  user: string | undefined;
  /** Password (`-P`, or from `-L`); only with a user name. */
  password: string | undefined;
  /** Client id (`-i`), or a random `umqtt-<command>-<8 hex digits>`. */
  clientId: string;
  /** Keepalive in seconds (`-k`); 60 by default. */
  keepalive: number;
  /** False with `-c` (keep the session; needs `-i`). */
  cleanSession: boolean;
  /** QoS for publishing or subscribing (`-q`); 0 by default. */
  qos: QoS;
  /** Topics (`-t`, and the path of `-L`), validated as names for pub and filters for sub. */
  topics: string[];
  /** TLS settings when any TLS option or an `mqtts://` URL was given. */
  tls: TlsOptions | undefined;
  /** Last will from `--will-*`, if `--will-topic` was given. */
  will: { topic: string; payload: string; qos: QoS; retain: boolean } | undefined;
  /** `-d`: print each packet as mosquitto's clients do. */
  debug: boolean;
}

/**
 * Parse a QoS option.
 *
 * @param opt The option as given.
 * @returns 0, 1 or 2.
 */
export function qosOption(opt: { name: string; value: string }): QoS {
  if (opt.value !== "0" && opt.value !== "1" && opt.value !== "2") {
    throw new UsageError(`${opt.name} must be 0, 1 or 2, got ${opt.value}`);
  }
  return Number(opt.value) as QoS;
}

/** The parts of an `-L` URL. */
export interface UrlParts {
  tls: boolean;
  /** For `ws:`/`wss:`: the WebSocket path (at least `/`); undefined for `mqtt:`/`mqtts:`. */
  websocketPath: string | undefined;
  host: string;
  port: number | undefined;
  user: string | undefined;
  password: string | undefined;
  topic: string | undefined;
}

/**
 * Parse `mqtt[s]://[user[:password]@]host[:port][/topic]` or
 * `ws[s]://[user[:password]@]host[:port][/path]`. The topic is taken
 * verbatim (so `#` and `+` work); for WebSocket URLs the path is the
 * WebSocket path instead; credentials are percent-decoded.
 *
 * @param opt The option as given.
 * @returns The parts.
 */
export function parseUrl(opt: { name: string; value: string }): UrlParts {
  const m = /^(mqtts?|mqtt|tcp|ssl|tls|wss?):\/\/(.*)$/i.exec(opt.value);
  if (!m) {
    throw new UsageError(
      `${opt.name} must be a URL like mqtt://host:1883/topic or ws://host:8080/mqtt, got ${redact(opt.value)}`,
    );
  }
  const scheme = m[1]!.toLowerCase();
  const ws = scheme === "ws" || scheme === "wss";
  let rest = m[2]!;
  let topic: string | undefined;
  let websocketPath: string | undefined;
  const slash = rest.indexOf("/");
  if (slash >= 0) {
    if (ws) websocketPath = rest.slice(slash);
    else topic = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  if (ws && websocketPath === undefined) websocketPath = "/";
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const cred = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = cred.indexOf(":");
    try {
      user = decodeURIComponent(colon >= 0 ? cred.slice(0, colon) : cred);
      if (colon >= 0) password = decodeURIComponent(cred.slice(colon + 1));
    } catch {
      throw new UsageError(`${opt.name}: bad percent-encoding in the user name or password`);
    }
  }
  let host = rest;
  let port: number | undefined;
  const pm = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(rest);
  if (pm) {
    host = pm[1]!.replace(/^\[(.*)\]$/, "$1");
    if (pm[2] !== undefined) port = intOption({ name: `${opt.name} port`, value: pm[2] }, 1, 65535, "a port number");
  }
  if (host === "") throw new UsageError(`${opt.name} has no host in ${redact(opt.value)}`);
  return {
    tls: scheme === "mqtts" || scheme === "ssl" || scheme === "tls" || scheme === "wss",
    websocketPath,
    host,
    port,
    user,
    password,
    topic: topic === "" ? undefined : topic,
  };
}

function redact(url: string): string {
  return JSON.stringify(url.replace(/\/\/[^@/]*@/, "//***@"));
}

function randomId(command: string): string {
  const b = crypto.getRandomValues(new Uint8Array(4));
  return `umqtt-${command}-${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;
}

async function readText(rt: Runtime, opt: { name: string; value: string }): Promise<string> {
  try {
    return new TextDecoder().decode(await rt.readFile(opt.value));
  } catch (e) {
    throw new UsageError(`cannot read ${opt.name} ${JSON.stringify(opt.value)}: ${e instanceof Error ? e.message : e}`);
  }
}

/**
 * Turn parsed options into connection settings, validating each.
 *
 * @param p Parsed options.
 * @param command "pub" or "sub" (for the default client id and topic rules).
 * @param rt Runtime (to read TLS files).
 * @returns The settings.
 */
export async function connectionSettings(p: Parsed, command: "pub" | "sub", rt: Runtime): Promise<ConnectionSettings> {
  const v = last(p, "version");
  if (v && !["mqttv311", "311", "4"].includes(v.value)) {
    throw new UsageError(`${v.name}: only mqttv311 (MQTT 3.1.1) is supported, got ${v.value}`);
  }
  let host = "127.0.0.1";
  let port: number | undefined;
  let user: string | undefined;
  let password: string | undefined;
  let tlsWanted = false;
  let websocketPath: string | undefined;
  const topics: string[] = [];
  // -L first, so explicit -h/-p/-u/-P override what the URL says.
  const url = last(p, "url");
  if (url) {
    const u = parseUrl(url);
    host = u.host;
    port = u.port;
    user = u.user;
    password = u.password;
    tlsWanted = u.tls;
    websocketPath = u.websocketPath;
    if (u.topic !== undefined) topics.push(u.topic);
  }
  const h = last(p, "host");
  if (h) {
    if (h.value === "") throw new UsageError(`${h.name} must not be empty`);
    host = h.value;
  }
  const po = last(p, "port");
  if (po) port = intOption(po, 1, 65535, "a port number");
  const uo = last(p, "user");
  if (uo) user = uo.value;
  const pw = last(p, "password");
  if (pw) password = pw.value;
  if (password !== undefined && user === undefined) {
    throw new UsageError("-P needs -u: a password requires a user name");
  }
  for (const t of p.get("topic") ?? []) topics.push(t.value);
  for (const t of topics) {
    try {
      if (command === "pub") validateTopicName(t);
      else validateTopicFilter(t);
    } catch (e) {
      throw new UsageError(`-t ${JSON.stringify(t)}: ${(e as Error).message}`);
    }
  }
  const ko = last(p, "keepalive");
  const keepalive = ko ? intOption(ko, 0, 65535, "a number of seconds") : 60;
  const qo = last(p, "qos");
  const qos = qo ? qosOption(qo) : 0;
  const io = last(p, "id");
  if (io && io.value === "") throw new UsageError(`${io.name} must not be empty`);
  if (io && new TextEncoder().encode(io.value).length > 65535) throw new UsageError(`${io.name} is too long`);
  const cleanSession = !p.has("noClean");
  if (!cleanSession && !io) throw new UsageError("-c needs a client id (-i): the broker keeps the session under it");
  const clientId = io ? io.value : randomId(command);

  const insecure = p.has("insecure");
  const cafile = last(p, "cafile");
  const cert = last(p, "cert");
  const key = last(p, "key");
  if ((cert === undefined) !== (key === undefined)) throw new UsageError("--cert and --key must be given together");
  let tls: TlsOptions | undefined;
  if (tlsWanted || p.has("tls") || cafile || cert || insecure) {
    tls = {};
    if (insecure) tls.insecureSkipVerify = true;
    if (cafile) tls.caCerts = [await readText(rt, cafile)];
    if (cert && key) {
      tls.cert = await readText(rt, cert);
      tls.key = await readText(rt, key);
    }
  }
  if (port === undefined) port = websocketPath === undefined ? (tls ? 8883 : 1883) : (tls ? 443 : 80);

  let will: ConnectionSettings["will"];
  const wt = last(p, "willTopic");
  const wp = last(p, "willPayload");
  const wq = last(p, "willQos");
  if (wt) {
    try {
      validateTopicName(wt.value);
    } catch (e) {
      throw new UsageError(`${wt.name} ${JSON.stringify(wt.value)}: ${(e as Error).message}`);
    }
    will = { topic: wt.value, payload: wp?.value ?? "", qos: wq ? qosOption(wq) : 0, retain: p.has("willRetain") };
  } else if (wp || wq || p.has("willRetain")) {
    throw new UsageError("--will-payload, --will-qos and --will-retain need --will-topic");
  }
  const debug = p.has("debug");
  return {
    host,
    websocketPath,
    port,
    user,
    password,
    clientId,
    keepalive,
    cleanSession,
    qos,
    topics,
    tls,
    will,
    debug,
  };
}

/**
 * The server argument for the client: the host, or the WebSocket URL
 * (without credentials) for `ws://`/`wss://`.
 *
 * @param s Settings.
 * @returns Host or URL.
 */
export function serverOf(s: ConnectionSettings): string {
  if (s.websocketPath === undefined) return s.host;
  const host = s.host.includes(":") ? `[${s.host}]` : s.host;
  return `${s.tls ? "wss" : "ws"}://${host}:${s.port}${s.websocketPath}`;
}

/**
 * Create (not connect) a client for the settings.
 *
 * @param s Settings.
 * @param extra More client options (the message callback, a watching transport).
 * @returns The client.
 */
export function createClient(s: ConnectionSettings, extra: ClientOptions = {}): MQTTClient {
  const client = new MQTTClient(s.clientId, serverOf(s), {
    ...extra,
    port: s.port,
    user: s.user,
    password: s.password,
    keepalive: s.keepalive,
    tls: s.tls,
  });
  if (s.will) client.setLastWill(s.will.topic, s.will.payload, { qos: s.will.qos, retain: s.will.retain });
  return client;
}
