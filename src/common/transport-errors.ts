/**
 * How the transport words socket and TLS failures: readable reasons for the codes Node and OpenSSL
 * report. Split from transport.ts.
 *
 * @internal
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, MailwireError } from './errors.js';

/**
 * OpenSSL errors that mean "what arrived is not a TLS record". During a STARTTLS handshake they
 * can only come from bytes the server sent after its go-ahead instead of (or before) its
 * ServerHello.
 */
export const NOT_TLS_RECORD_CODES = new Set([
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_HTTPS_PROXY_REQUEST',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNKNOWN_PROTOCOL',
]);

export const SOCKET_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'temporary DNS failure',
  EAI_FAIL: 'DNS failure',
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'connection broken',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

export const TLS_REASONS: Readonly<Record<string, string>> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed and not trusted (pass its CA in tlsOptions.ca)',
  SELF_SIGNED_CERT_IN_CHAIN: 'the certificate chain ends in an untrusted self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the certificate issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT: 'the certificate issuer is unknown',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the certificate issuer is unknown',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not yet valid',
  CERT_REVOKED: 'the server certificate is revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not match the host name',
  ECONNRESET: 'the server closed the connection during the handshake',
};

/** Our own code throws only MailwireErrors; anything else is a bug reported as such. */
export function toMailwireError(error: unknown): MailwireError {
  return error instanceof MailwireError
    ? error
    : new InvalidArgumentError(`Invalid transport options: ${messageOf(error)}`, { cause: error });
}

export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The message of an error, or the value as text. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A readable reason: our wording for known codes, OpenSSL's short `reason` rather than its long message. */
export function describe(error: Error, reasons: Readonly<Record<string, string>>): string {
  const code = errorCode(error);
  const openSslReason = 'reason' in error && typeof error.reason === 'string' ? error.reason : undefined;
  const detail = openSslReason ?? (error.message.split('\n', 1)[0] ?? '');
  const known = code === undefined ? undefined : reasons[code];
  if (known !== undefined) return detail === '' ? `${known} (${code})` : `${known} (${code}: ${detail})`;
  if (code === undefined) return detail === '' ? 'unknown error' : detail;
  return detail === '' ? code : `${detail} (${code})`;
}
