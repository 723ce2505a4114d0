/**
 * Helpers shared by the SASL mechanisms: UTF-8 conversion, credential checks and the errors.
 *
 * @internal
 * @packageDocumentation
 */
import { AuthenticationError, InvalidArgumentError } from '../errors.js';
import { Secret } from '../secret.js';
import { hasLoneSurrogate } from '../text.js';
import { describeValue } from '../transport-options.js';
import type { SaslCredentials, SaslMechanismName, SaslServerError } from './index.js';

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** An empty response, answered where a mechanism has nothing (more) to say. */
export const EMPTY: Uint8Array = new Uint8Array(0);

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Decodes server data as strict UTF-8.
 *
 * @throws AuthenticationError when the bytes are not UTF-8.
 */
export function decodeServerText(mechanism: SaslMechanismName, bytes: Uint8Array, what: string): string {
  try {
    return strictDecoder.decode(bytes);
  } catch (error) {
    throw saslFailure(mechanism, `${what} is not valid UTF-8`, error);
  }
}

/**
 * The error for bad or failing server data inside the exchange: the client side of a SASL
 * failure, as opposed to the server's tagged `NO`, which the protocol client reports itself.
 * `serverText` must never contain a secret.
 */
export function saslFailure(mechanism: SaslMechanismName, serverText: string, cause?: unknown): AuthenticationError {
  return new AuthenticationError(
    { command: `AUTHENTICATE ${mechanism}`, status: 'SASL', serverText },
    cause === undefined ? undefined : { cause },
  );
}

/** The credential fields both clients and every SASL mechanism read. */
export interface CredentialText {
  readonly username: string;
  readonly password?: string | Secret | undefined;
  readonly accessToken?: string | Secret | undefined;
  readonly authzid?: string | undefined;
}

/**
 * Checks credentials as a caller gave them, before any login method is chosen or anything is sent,
 * so that a JavaScript caller's mistake is this error rather than a TypeError from inside a
 * mechanism (or a command written with `5` as the user name): an object whose `username` (and
 * `authzid`, when given) is a string, and whose `password` and `accessToken`, when given, are each
 * a string or a {@link Secret}. A field holding a lone UTF-16 surrogate (half of an emoji cut off)
 * is refused too: it has no UTF-8 form, and would go out as U+FFFD, a different password. Messages
 * name the field, and a secret's type, never its value.
 *
 * @throws InvalidArgumentError
 */
export function checkCredentials(credentials: unknown): asserts credentials is CredentialText {
  if (typeof credentials !== 'object' || credentials === null) {
    throw new InvalidArgumentError(`credentials must be an object with a username, got ${describeValue(credentials)}`);
  }
  const { username, password, accessToken, authzid } = credentials as Record<string, unknown>;
  const fields: [string, unknown, 'text' | 'secret'][] = [
    ['username', username, 'text'],
    ['password', password, 'secret'],
    ['accessToken', accessToken, 'secret'],
    ['authzid', authzid, 'text'],
  ];
  for (const [name, value, kind] of fields) {
    if (value === undefined && name !== 'username') continue;
    const text = value instanceof Secret && kind === 'secret' ? value.reveal() : value;
    if (typeof text !== 'string') {
      throw new InvalidArgumentError(
        kind === 'secret'
          ? `${name} must be a string or a Secret, got ${typeOfValue(value)}`
          : `${name} must be a string, got ${describeValue(value)}`,
      );
    }
    if (hasLoneSurrogate(text)) throw new InvalidArgumentError(`The ${name} holds half of a UTF-16 surrogate pair, which has no UTF-8 form`);
  }
}

/** What a value is, without its value (which may be a secret). */
function typeOfValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The password, wrapped at once; InvalidArgumentError when it is missing or empty. */
export function requirePassword(mechanism: SaslMechanismName, credentials: SaslCredentials): Secret {
  if (credentials.password === undefined) {
    throw new InvalidArgumentError(`SASL ${mechanism} needs a password`);
  }
  const password = Secret.from(credentials.password);
  if (password.reveal() === '') throw new InvalidArgumentError(`SASL ${mechanism} needs a non-empty password`);
  return password;
}

/** The access token, wrapped at once; InvalidArgumentError when it is missing, empty or has control characters. */
export function requireAccessToken(mechanism: SaslMechanismName, credentials: SaslCredentials): Secret {
  if (credentials.accessToken === undefined) {
    throw new InvalidArgumentError(`SASL ${mechanism} needs an accessToken`);
  }
  const token = Secret.from(credentials.accessToken);
  const value = token.reveal();
  if (value === '') throw new InvalidArgumentError(`SASL ${mechanism} needs a non-empty accessToken`);
  // The token is framed by ^A and spaces (RFC 7628 section 3.1, b64token of RFC 6750): a control
  // character or space would end it early.
  rejectSecretCharacters(mechanism, 'accessToken', token, isControlOrSpace);
  return token;
}

/** The username, which must be non-empty; InvalidArgumentError otherwise. */
export function requireUsername(mechanism: SaslMechanismName, credentials: SaslCredentials): string {
  const { username } = credentials;
  if (typeof username !== 'string' || username === '') {
    throw new InvalidArgumentError(`SASL ${mechanism} needs a non-empty username`);
  }
  return username;
}

/**
 * Whether the credentials ask to act as another user: a non-empty `authzid` other than the user
 * name. A login method without a field for it (CRAM-MD5, LOGIN, XOAUTH2; IMAP's LOGIN command,
 * POP3's USER/PASS and APOP) must then refuse rather than ignore it: ignoring it would log in as
 * the user name itself, and every later call would act on that user's mailbox.
 */
export function actsAsAnotherUser(credentials: { readonly username: string; readonly authzid?: string | undefined }): boolean {
  const { authzid } = credentials;
  return authzid !== undefined && authzid !== '' && authzid !== credentials.username;
}

/** Throws InvalidArgumentError when {@link actsAsAnotherUser}: the mechanism has no authzid. */
export function rejectAuthzid(mechanism: SaslMechanismName, credentials: SaslCredentials): void {
  if (!actsAsAnotherUser(credentials)) return;
  throw new InvalidArgumentError(`SASL ${mechanism} cannot carry an authorization identity (authzid): use PLAIN, SCRAM or OAUTHBEARER`);
}

/** A test of one code point. */
export type CodePointTest = (codePoint: number) => boolean;

/** NUL, which separates PLAIN's fields and ends C strings. */
export const isNul: CodePointTest = (codePoint) => codePoint === 0;
/** NUL, CR or LF: a server decoding LOGIN's answers ends the string there. */
export const isNulOrLineEnd: CodePointTest = (codePoint) => codePoint === 0 || codePoint === 0x0a || codePoint === 0x0d;
/** C0 controls and DEL: they would break `^A`-framed fields and mislead logs. */
export const isControl: CodePointTest = (codePoint) => codePoint < 0x20 || codePoint === 0x7f;
/** C0 controls, DEL and space (bearer tokens, RFC 6750 `b64token`). */
export const isControlOrSpace: CodePointTest = (codePoint) => codePoint <= 0x20 || codePoint === 0x7f;

function firstMatch(value: string, forbidden: CodePointTest): number | undefined {
  for (const char of value) {
    const codePoint = char.codePointAt(0)!;
    if (forbidden(codePoint)) return codePoint;
  }
  return undefined;
}

/**
 * Throws InvalidArgumentError when `value` (a username or authzid, never a secret) contains a
 * character that `forbidden` refuses, naming the first one as U+XXXX.
 */
export function rejectCharacters(mechanism: SaslMechanismName, what: string, value: string, forbidden: CodePointTest): void {
  const codePoint = firstMatch(value, forbidden);
  if (codePoint === undefined) return;
  throw new InvalidArgumentError(`SASL ${mechanism}: the ${what} contains the forbidden character ${codePointName(codePoint)}`);
}

/**
 * Throws InvalidArgumentError when the secret contains a character matched by `forbidden`,
 * without naming the character or its position, either of which would reveal part of the secret.
 */
export function rejectSecretCharacters(mechanism: SaslMechanismName, what: string, secret: Secret, forbidden: CodePointTest): void {
  if (firstMatch(secret.reveal(), forbidden) !== undefined) {
    throw new InvalidArgumentError(`SASL ${mechanism}: the ${what} contains a character that ${mechanism} cannot carry`);
  }
}

/** RFC 5802 section 5.1 `saslname` (also RFC 5801's, for GS2 headers): `=` as `=3D`, `,` as `=2C`. */
export function escapeSaslName(name: string): string {
  return name.replace(/[=,]/g, (char) => (char === '=' ? '=3D' : '=2C'));
}

/** The `U+0000`-style name of a code point. */
export function codePointName(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Server text made safe to put in an error message: controls escaped, at most `max` characters. */
export function printable(text: string, max = 200): string {
  let escaped = '';
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    escaped += isControl(codePoint) ? `\\x${codePoint.toString(16).padStart(2, '0')}` : char;
  }
  return escaped.length > max ? `${escaped.slice(0, max)}...` : escaped;
}

/**
 * Reads the error a server sends as a JSON challenge (XOAUTH2, OAUTHBEARER: RFC 7628 section 3.2.2)
 * into a {@link SaslServerError}. Data that is not a JSON object still yields an error, with
 * status `unknown`, so the caller can surface whatever the server said.
 */
export function oauthServerError(text: string): SaslServerError {
  let status = 'unknown';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'status' in parsed) {
      const value: unknown = parsed.status;
      if (typeof value === 'string' || typeof value === 'number') status = printable(String(value), 64);
    }
  } catch {
    // Not JSON: keep status 'unknown' and report the text as it came.
  }
  return { status, detail: printable(text.trim()) };
}
