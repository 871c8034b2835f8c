/**
 * Server strings and URLs.
 *
 * @module
 */
import type { TlsOptions, WebSocketEndpoint } from "./types.ts";
import { show } from "../codec/_show.ts";

/** Where to connect. */
export interface Endpoint {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** TLS settings, or undefined for plain TCP (or `ws://`). */
  tls: TlsOptions | undefined;
  /** Set for `ws://` and `wss://` URLs: the WebSocket URL (without credentials) and subprotocols. */
  websocket?: WebSocketEndpoint | undefined;
  /** User name from the URL, if any. */
  user?: string | undefined;
  /** Password from the URL, if any. */
  password?: string | undefined;
}

const TLS_SCHEMES = new Set(["mqtts", "ssl", "tls"]);
const TCP_SCHEMES = new Set(["mqtt", "tcp"]);

/**
 * Parse a server argument: a host name, an IP address, or a URL
 * (`mqtt://`, `mqtts://`, `ws://`, `wss://`). Credentials in a URL are
 * returned separately and never appear in error messages or in
 * `websocket.url`.
 *
 * Default ports: 1883 (`mqtt:`), 8883 (`mqtts:` or TLS), 80 (`ws:`), 443
 * (`wss:`). An explicit `portOption` wins over the URL's port.
 *
 * @param server Host, address or URL.
 * @param portOption Explicit port (0 or undefined: from the URL or the default).
 * @param tlsOption Explicit TLS setting (`true` or settings; `wss:` and `mqtts:` imply `true`).
 * @returns Where to connect.
 * @example Ports and credentials from URLs
 * ```ts
 * import { parseServer } from "./endpoint.ts";
 * console.log(parseServer("mqtts://broker.example:8884", 0, undefined).port); // 8884
 * console.log(parseServer("wss://user:pw@broker.example/mqtt", 0, undefined).websocket?.url);
 * // "wss://broker.example/mqtt"
 * ```
 */
export function parseServer(
  server: string,
  portOption: number | undefined,
  tlsOption: boolean | TlsOptions | undefined,
): Endpoint {
  if (typeof server !== "string" || server.length === 0) {
    throw new TypeError(`server must be a host name, IP address or URL, got ${JSON.stringify(server)}`);
  }
  let port = portOption ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer in 0..65535, got ${show(port)}`);
  }
  let tlsOpt = tlsOption;
  let host = server;
  let urlPort = 0;
  let user: string | undefined;
  let password: string | undefined;
  let ws: URL | undefined;
  if (server.includes("://")) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new TypeError(`Invalid server URL ${JSON.stringify(redact(server))}`);
    }
    const scheme = url.protocol.slice(0, -1).toLowerCase();
    if (TLS_SCHEMES.has(scheme) || scheme === "wss") tlsOpt = tlsOpt || true;
    else if (!TCP_SCHEMES.has(scheme) && scheme !== "ws") {
      throw new TypeError(
        `Unsupported URL scheme ${JSON.stringify(scheme + ":")} in ${
          JSON.stringify(redact(server))
        }: use mqtt:, mqtts:, ws: or wss:`,
      );
    }
    if (url.hostname === "") throw new TypeError(`Invalid server URL ${JSON.stringify(redact(server))}: no host`);
    host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    urlPort = url.port ? Number(url.port) : 0;
    if (url.username) user = decodeURIComponent(url.username);
    if (url.password) password = decodeURIComponent(url.password);
    if (scheme === "ws" || scheme === "wss") {
      if (scheme === "ws" && tlsOpt) {
        throw new TypeError(
          `Cannot use TLS settings with ${JSON.stringify(redact(server))}: use a wss: URL for WebSockets over TLS`,
        );
      }
      url.username = "";
      url.password = "";
      url.hash = "";
      ws = url;
    }
  }
  const tls: TlsOptions | undefined = tlsOpt === true ? {} : tlsOpt ? tlsOpt : undefined;
  if (port === 0) port = urlPort || (ws ? (tls ? 443 : 80) : tls ? 8883 : 1883);
  if (!ws) return { host, port, tls, user, password };
  ws.port = String(port); // URL drops the scheme's default port by itself
  return { host, port, tls, websocket: { url: ws.href, protocols: ["mqtt"] }, user, password };
}

/** Hide credentials in a URL. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
