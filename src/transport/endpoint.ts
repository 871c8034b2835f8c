/**
 * Server strings and URLs.
 *
 * @module
 */
import type { TlsOptions } from "./types.ts";

/** Where to connect. */
export interface Endpoint {
  /** Host name or IP address (IPv6 without brackets). */
  host: string;
  /** TCP port. */
  port: number;
  /** TLS settings, or undefined for plain TCP. */
  tls: TlsOptions | undefined;
  /** User name from the URL, if any. */
  user?: string | undefined;
  /** Password from the URL, if any. */
  password?: string | undefined;
}

/**
 * Parse a server argument: a host name, an IP address, or a URL
 * (`mqtt://`, `mqtts://`). Credentials in a URL are returned separately
 * and never appear in error messages.
 *
 * @param server Host, address or URL.
 * @param portOption Explicit port (0 or undefined: from the URL or the default).
 * @param tlsOption Explicit TLS setting.
 * @returns Where to connect.
 * @example
 * ```ts
 * import { parseServer } from "./endpoint.ts";
 * console.log(parseServer("mqtts://broker.example:8884", 0, undefined).port); // 8884
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
  let tlsOpt = tlsOption;
  let host = server;
  let urlPort = 0;
  let user: string | undefined;
  let password: string | undefined;
  if (server.includes("://")) {
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw new TypeError(`Invalid server URL ${JSON.stringify(redact(server))}`);
    }
    const scheme = url.protocol.slice(0, -1);
    if (scheme === "mqtts" || scheme === "ssl" || scheme === "tls") tlsOpt = tlsOpt || true;
    else if (scheme !== "mqtt" && scheme !== "tcp") {
      throw new TypeError(
        `Unsupported URL scheme ${JSON.stringify(scheme + ":")} in ${
          JSON.stringify(redact(server))
        }: use mqtt: or mqtts:`,
      );
    }
    host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    urlPort = url.port ? Number(url.port) : 0;
    if (url.username) user = decodeURIComponent(url.username);
    if (url.password) password = decodeURIComponent(url.password);
  }
  const tls: TlsOptions | undefined = tlsOpt === true ? {} : tlsOpt ? tlsOpt : undefined;
  let port = portOption ?? 0;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer in 0..65535, got ${String(port)}`);
  }
  if (port === 0) port = urlPort || (tls ? 8883 : 1883);
  return { host, port, tls, user, password };
}

/** Hide credentials in a URL. */
function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}
