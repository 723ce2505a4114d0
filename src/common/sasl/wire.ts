/**
 * Base64 framing of SASL data, shared by IMAP (`AUTHENTICATE`, RFC 9051 section 6.2.2) and POP3
 * (`AUTH`, RFC 5034): server challenges arrive base64-encoded after `+ `, and client responses
 * leave base64-encoded, as {@link Secret}s so the wire log redacts them.
 *
 * @packageDocumentation
 */
import { ProtocolError } from '../errors.js';
import { Secret } from '../secret.js';

const WHITESPACE = /[\t\n\v\f\r ]+/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes strict base64 (RFC 4648 section 4 alphabet), padding optional; undefined when invalid.
 *
 * @internal
 */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const padded = text.endsWith('=');
  // With padding the length is a multiple of 4; without it, a remainder of 1 is impossible.
  if (padded ? text.length % 4 !== 0 : text.length % 4 === 1) return undefined;
  return Buffer.from(text, 'base64');
}

/**
 * Decodes a server challenge: the base64 text after `+ ` in IMAP or POP3.
 *
 * Whitespace inside or around the text is ignored (some servers fold long challenges), and a lone
 * `=` is read as an empty challenge (servers that mirror RFC 4959's empty initial response).
 *
 * @param text - the challenge text, as a string or as the bytes of the line.
 * @returns the decoded challenge, for {@link SaslSession.respond}.
 * @throws ProtocolError when the text is not base64.
 *
 * @example
 * ```ts
 * const challenge = decodeSaslChallenge('PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+');
 * const response = session.respond(challenge);
 * ```
 */
export function decodeSaslChallenge(text: string | Uint8Array): Uint8Array {
  const raw = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1');
  const compact = raw.replace(WHITESPACE, '');
  if (compact === '' || compact === '=') return new Uint8Array(0);
  const decoded = decodeBase64(compact);
  if (decoded === undefined) {
    throw new ProtocolError('SASL challenge is not valid base64', { snippet: raw.length > 40 ? `${raw.slice(0, 40)}...` : raw });
  }
  return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.byteLength);
}

/** Options of {@link encodeSaslResponse}. */
export interface EncodeSaslResponseOptions {
  /**
   * True when the response is the initial response sent with the command (IMAP SASL-IR, RFC 4959;
   * POP3 `AUTH`, RFC 5034): there an empty response is written `=`, because nothing at all would
   * mean "no initial response". Default false: an empty answer to a challenge is an empty line.
   */
  readonly initialResponse?: boolean | undefined;
}

/**
 * Base64-encodes a client response for the wire, as a {@link Secret}: responses carry passwords,
 * tokens and proofs, and a Secret part is written as `<redacted>` in the wire log.
 *
 * @param response - what {@link SaslSession.initialResponse} or {@link SaslSession.respond} returned.
 * @param options - whether this is the initial response.
 * @returns the base64 text, without CRLF.
 *
 * @example
 * ```ts
 * const initial = session.initialResponse();
 * transport.write(initial === null
 *   ? [`A1 AUTHENTICATE ${session.mechanism}\r\n`]
 *   : [`A1 AUTHENTICATE ${session.mechanism} `, encodeSaslResponse(initial, { initialResponse: true }), '\r\n']);
 * ```
 */
export function encodeSaslResponse(response: Uint8Array, options: EncodeSaslResponseOptions = {}): Secret {
  if (response.length === 0) return new Secret(options.initialResponse === true ? '=' : '');
  return new Secret(Buffer.from(response.buffer, response.byteOffset, response.byteLength).toString('base64'));
}
