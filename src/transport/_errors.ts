/**
 * Turn runtime-specific TLS failures into errors that say what went wrong.
 *
 * @module
 */

// Deno (rustls) and Bun/Node (OpenSSL/BoringSSL) phrase the same failures
// differently; these are the markers of a certificate the client refused.
const VERIFY_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "HOSTNAME_MISMATCH",
]);

/** The same failures as phrased in messages (e.g. Bun's WebSocket, which gives no code). */
const VERIFY_TEXT =
  /invalid peer certificate|certificate verify failed|self[- ]signed certificate|unable to (?:get|verify) (?:local )?issuer|certificate has expired|not in the cert's altnames|certificate is not yet valid/i;

/** Markers of the server refusing the client's certificate (or its absence). */
const PEER_REFUSED =
  /CertificateRequired|BadCertificate|UnknownCA|HandshakeFailure|CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|HANDSHAKE_FAILURE|alert (?:certificate required|bad certificate|unknown ca|handshake failure)/;

/**
 * Wrap a TLS failure in an error whose message names the problem:
 * `TLS certificate verification failed: …` when the client refused the
 * server's certificate, `TLS handshake refused by the server: …` when the
 * server refused the client (e.g. no or unknown client certificate).
 * Other errors are returned as they are.
 *
 * @param e What the runtime threw.
 * @returns An `Error` with the original as `cause`.
 */
export function tlsError(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  const msg = err.message;
  if (
    (typeof code === "string" && VERIFY_CODES.has(code)) ||
    VERIFY_TEXT.test(msg)
  ) {
    return new Error(`TLS certificate verification failed: ${msg}${typeof code === "string" ? ` (${code})` : ""}`, {
      cause: e,
    });
  }
  if (PEER_REFUSED.test(msg)) {
    return new Error(
      `TLS handshake refused by the server (is a client certificate required, or not trusted?): ${msg}`,
      { cause: e },
    );
  }
  return err;
}
