/**
 * SASL (RFC 4422) as pure mechanisms: each session turns server challenges into client responses,
 * with no socket, no base64 and no protocol syntax. IMAP's `AUTHENTICATE` and POP3's `AUTH` drive
 * the same sessions; {@link encodeSaslResponse} and {@link decodeSaslChallenge} do the base64.
 *
 * Which mechanisms may be used on a connection is the protocol client's policy, not this module's:
 * PLAIN and LOGIN send the password itself, XOAUTH2 and OAUTHBEARER the bearer token, so the
 * protocol client picks them only over TLS, or without TLS when its caller explicitly allowed
 * cleartext (see {@link SASL_CLEARTEXT_MECHANISMS} and {@link ChooseSaslMechanismOptions.allowCleartext}).
 *
 * @example
 * ```ts
 * const credentials = { username: 'tim', password: new Secret('tanstaaftanstaaf') };
 * const mechanism = chooseSaslMechanism(['PLAIN', 'SCRAM-SHA-256'], credentials); // 'SCRAM-SHA-256'
 * const session = createSaslSession(mechanism!, credentials);
 * // send session.initialResponse(); for every "+ <challenge>" line:
 * //   send encodeSaslResponse(session.respond(decodeSaslChallenge(challenge)))
 * // on success: session.complete(null)  (throws if the server did not prove itself, SCRAM)
 * ```
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, UnsupportedError } from '../errors.js';
import type { Secret } from '../secret.js';
import { CramMd5Session } from './cram-md5.js';
import { ExternalSession } from './external.js';
import { LoginSession } from './login.js';
import { OAuthBearerSession } from './oauthbearer.js';
import { PlainSession } from './plain.js';
import { checkCredentials } from './shared.js';
import { DEFAULT_SCRAM_MAX_ITERATIONS, DEFAULT_SCRAM_MIN_ITERATIONS, ScramSession } from './scram.js';
import { XOAuth2Session } from './xoauth2.js';

export { DEFAULT_SCRAM_MAX_ITERATIONS, DEFAULT_SCRAM_MIN_ITERATIONS };
export { decodeSaslChallenge, encodeSaslResponse, type EncodeSaslResponseOptions } from './wire.js';

/** The SASL mechanisms mailwire implements. */
export type SaslMechanismName =
  | 'PLAIN'
  | 'LOGIN'
  | 'CRAM-MD5'
  | 'SCRAM-SHA-1'
  | 'SCRAM-SHA-256'
  | 'XOAUTH2'
  | 'OAUTHBEARER'
  | 'EXTERNAL';

/** What a SASL exchange may authenticate with. Which fields a mechanism needs is listed on each. */
export interface SaslCredentials {
  /**
   * The authentication identity: the login name (every mechanism but EXTERNAL, which ignores it).
   * OAUTHBEARER sends it as its authorization identity unless {@link SaslCredentials.authzid} is set.
   */
  readonly username: string;
  /** The password (PLAIN, LOGIN, CRAM-MD5, SCRAM-*). Wrapped as a {@link Secret} at once. */
  readonly password?: string | Secret | undefined;
  /**
   * The authorization identity: the user to act as, when it differs from the one authenticated
   * (PLAIN, SCRAM-*, OAUTHBEARER, EXTERNAL). Usually left out. CRAM-MD5, LOGIN and XOAUTH2 have no
   * field for it: they refuse one other than `username`, so they are never chosen for it.
   */
  readonly authzid?: string | undefined;
  /** The OAuth 2.0 access token (XOAUTH2, OAUTHBEARER). Wrapped as a {@link Secret} at once. */
  readonly accessToken?: string | Secret | undefined;
  /** The server's host name, sent by OAUTHBEARER as `host=` (RFC 7628 section 3.1). */
  readonly host?: string | undefined;
  /** The server's port, sent by OAUTHBEARER as `port=` (RFC 7628 section 3.1). */
  readonly port?: number | undefined;
}

/** What a server said about its refusal inside the exchange, before failing the command. */
export interface SaslServerError {
  /**
   * The short status: the `status` of an OAuth JSON error (`401`, `invalid_token`; `unknown` when
   * the server sent no usable JSON) or the value of SCRAM's `e=` (`invalid-proof`).
   */
  readonly status: string;
  /** The server's data as text (the JSON, the SCRAM message), control characters escaped, capped at 200 characters. */
  readonly detail: string;
}

/**
 * One SASL exchange, client side. It holds no socket: the protocol client passes it the decoded
 * challenges and sends what it returns.
 *
 * Protocols that cannot carry an initial response send the command alone; the server answers with
 * an empty challenge, and {@link SaslSession.respond} then returns the initial response.
 *
 * When `respond` or `complete` throws, the protocol client cancels the exchange (`*` in IMAP and
 * POP3), waits for the server's refusal and rejects with the thrown error.
 */
export interface SaslSession {
  /** The mechanism this session speaks. */
  readonly mechanism: SaslMechanismName;
  /**
   * The initial response (IMAP SASL-IR, RFC 4959; POP3 `AUTH`, RFC 5034) or null when the
   * mechanism starts with a server challenge (LOGIN, CRAM-MD5). An empty initial response is a
   * zero-length array. Calling it has no side effect; it returns the same bytes every time.
   */
  initialResponse(): Uint8Array | null;
  /**
   * Answers one server challenge (already base64-decoded).
   *
   * @throws AuthenticationError (status `SASL`) when the server's data is wrong: a bad SCRAM
   *   nonce, salt, iteration count or signature, an `e=` error, a challenge the mechanism does not have.
   */
  respond(challenge: Uint8Array): Uint8Array;
  /**
   * The server said success, with its final data if any (SCRAM's server-final message may arrive
   * there rather than as a challenge); null or an empty array when there was none.
   *
   * @throws AuthenticationError when the server signature does not verify or never arrived (SCRAM).
   */
  complete(serverFinal: Uint8Array | null): void;
  /**
   * What the server said inside the exchange before failing, or undefined: the JSON error
   * challenge of XOAUTH2 and OAUTHBEARER (which are answered, not thrown, so the server can end
   * the exchange), SCRAM's `e=`. The protocol client adds it to the AuthenticationError it raises
   * for the server's refusal, which otherwise says only `NO` or `-ERR`.
   */
  readonly serverError: SaslServerError | undefined;
}

/** Options of {@link createSaslSession}. */
export interface SaslSessionOptions {
  /**
   * The largest SCRAM iteration count accepted from the server; default
   * {@link DEFAULT_SCRAM_MAX_ITERATIONS}. A larger one fails the exchange with an
   * AuthenticationError caused by a LimitExceededError (`scramMaxIterations`).
   */
  readonly scramMaxIterations?: number | undefined;
  /**
   * The smallest SCRAM iteration count accepted from the server; default
   * {@link DEFAULT_SCRAM_MIN_ITERATIONS} (4096, RFC 7677 section 4). A smaller one fails the
   * exchange with an AuthenticationError before any proof is computed.
   */
  readonly scramMinIterations?: number | undefined;
}

/** Every mechanism name, in {@link SASL_PREFERENCE_ORDER} followed by EXTERNAL. */
const ALL_MECHANISMS: readonly SaslMechanismName[] = [
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
  'CRAM-MD5',
  'PLAIN',
  'LOGIN',
  'OAUTHBEARER',
  'XOAUTH2',
  'EXTERNAL',
];

/**
 * The order in which {@link chooseSaslMechanism} tries mechanisms by default, strongest first:
 * the password mechanisms `SCRAM-SHA-256`, `SCRAM-SHA-1`, `CRAM-MD5`, `PLAIN`, `LOGIN`, then the
 * token mechanisms `OAUTHBEARER`, `XOAUTH2`. Credentials hold either a password or a token in
 * practice; when they hold both, the password mechanisms come first. EXTERNAL is not in the list:
 * it is used only when the caller names it.
 */
export const SASL_PREFERENCE_ORDER: readonly SaslMechanismName[] = Object.freeze(ALL_MECHANISMS.filter((name) => name !== 'EXTERNAL'));

/**
 * The mechanisms that send the secret itself (PLAIN, LOGIN: the password; XOAUTH2, OAUTHBEARER:
 * the bearer token). A protocol client uses them only over TLS, or when its caller allowed cleartext.
 */
export const SASL_CLEARTEXT_MECHANISMS: readonly SaslMechanismName[] = Object.freeze(['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']);

/**
 * The mechanism name matching `name` case-insensitively (as servers advertise it in `AUTH=...` or
 * `SASL` capabilities), or undefined for a mechanism mailwire does not implement.
 *
 * @example
 * ```ts
 * toSaslMechanismName('scram-sha-256'); // 'SCRAM-SHA-256'
 * toSaslMechanismName('GSSAPI');        // undefined
 * ```
 */
export function toSaslMechanismName(name: string): SaslMechanismName | undefined {
  const upper = name.trim().toUpperCase();
  return ALL_MECHANISMS.find((mechanism) => mechanism === upper);
}

/**
 * The login method a caller named, in any case (SASL mechanism names are case-insensitive, RFC 4422
 * section 3.1, and so are the others): `'auto'`, one of the protocol's own `commands` (IMAP's
 * LOGIN, POP3's USER and APOP), which win over a SASL mechanism of the same name, or a SASL
 * mechanism. Undefined for anything else, a value that is no string included.
 *
 * @internal
 */
export function loginMethodNamed<Command extends string>(method: unknown, commands: readonly Command[]): 'auto' | Command | SaslMechanismName | undefined {
  if (typeof method !== 'string') return undefined;
  const upper = method.trim().toUpperCase();
  if (upper === 'AUTO') return 'auto';
  const command = commands.find((name) => name === upper);
  return command ?? toSaslMechanismName(upper);
}

/**
 * Starts a SASL exchange.
 *
 * Credentials are checked here, before anything is sent: PLAIN, LOGIN, CRAM-MD5 and SCRAM need a
 * non-empty `username` and `password`; XOAUTH2 needs `username` and `accessToken`; OAUTHBEARER
 * needs `accessToken`; EXTERNAL needs nothing. SCRAM prepares the user name and password with
 * SASLprep (RFC 4013); PLAIN sends them as given (RFC 4616 leaves preparation to the server).
 *
 * @param mechanism - the mechanism, usually from {@link chooseSaslMechanism}.
 * @param credentials - what to authenticate with.
 * @param options - limits.
 * @throws InvalidArgumentError when a credential the mechanism needs is missing or contains a
 *   character it cannot carry (NUL in a PLAIN user name, a control character in a token, a
 *   character SASLprep prohibits), or when any credential holds a lone UTF-16 surrogate (it has
 *   no UTF-8 form). The message never contains the password or token.
 * @throws UnsupportedError for a mechanism name mailwire does not implement.
 */
export function createSaslSession(mechanism: SaslMechanismName, credentials: SaslCredentials, options: SaslSessionOptions = {}): SaslSession {
  checkCredentials(credentials);
  switch (mechanism) {
    case 'PLAIN':
      return new PlainSession(credentials);
    case 'LOGIN':
      return new LoginSession(credentials);
    case 'CRAM-MD5':
      return new CramMd5Session(credentials);
    case 'SCRAM-SHA-1':
    case 'SCRAM-SHA-256':
      return new ScramSession(mechanism, credentials, { maxIterations: options.scramMaxIterations, minIterations: options.scramMinIterations });
    case 'XOAUTH2':
      return new XOAuth2Session(credentials);
    case 'OAUTHBEARER':
      return new OAuthBearerSession(credentials);
    case 'EXTERNAL':
      return new ExternalSession(credentials);
    default:
      // Reachable only from untyped callers.
      throw new UnsupportedError(`SASL mechanism ${String(mechanism)} is not implemented`);
  }
}

/** Options of {@link chooseSaslMechanism}. */
export interface ChooseSaslMechanismOptions {
  /**
   * The mechanisms the caller allows, in its order of preference; default
   * {@link SASL_PREFERENCE_ORDER}. Name `EXTERNAL` here to have it chosen.
   */
  readonly mechanisms?: readonly SaslMechanismName[] | undefined;
  /**
   * Whether the {@link SASL_CLEARTEXT_MECHANISMS} may be chosen; default true. The protocol client
   * passes false on a connection without TLS unless its caller allowed cleartext.
   */
  readonly allowCleartext?: boolean | undefined;
}

/**
 * The strongest mechanism both sides offer and the credentials allow, or undefined.
 *
 * Mechanisms are tried in {@link SASL_PREFERENCE_ORDER} (or the caller's order); one is taken when
 * the server offers it (names compared case-insensitively) and {@link createSaslSession} accepts
 * the credentials for it: a password for SCRAM, CRAM-MD5, PLAIN and LOGIN; an access token for
 * OAUTHBEARER and XOAUTH2. So a password that SASLprep refuses skips SCRAM for CRAM-MD5 or PLAIN,
 * and an `authzid` skips the mechanisms that cannot carry it (CRAM-MD5, LOGIN, XOAUTH2).
 *
 * PLAIN and LOGIN send the password itself: the protocol client lets them be chosen only over TLS
 * or when its caller allowed cleartext, through {@link ChooseSaslMechanismOptions.allowCleartext}.
 *
 * @param offered - the mechanisms the server advertises (IMAP `AUTH=` capabilities, POP3 `SASL`).
 * @param credentials - what the caller can authenticate with.
 * @param options - the caller's allowed mechanisms and cleartext policy.
 *
 * @example
 * ```ts
 * chooseSaslMechanism(['PLAIN', 'LOGIN', 'CRAM-MD5'], { username: 'tim', password: 'secret' }); // 'CRAM-MD5'
 * chooseSaslMechanism(['XOAUTH2', 'PLAIN'], { username: 'a@example.com', accessToken: token }); // 'XOAUTH2'
 * chooseSaslMechanism(['EXTERNAL', 'PLAIN'], { username: '' }, { mechanisms: ['EXTERNAL'] }); // 'EXTERNAL'
 * ```
 */
export function chooseSaslMechanism(
  offered: readonly string[],
  credentials: SaslCredentials,
  options: ChooseSaslMechanismOptions = {},
): SaslMechanismName | undefined {
  const offeredNames = new Set(offered.map((name) => name.trim().toUpperCase()));
  const allowCleartext = options.allowCleartext ?? true;
  for (const mechanism of options.mechanisms ?? SASL_PREFERENCE_ORDER) {
    if (!offeredNames.has(mechanism)) continue;
    if (!allowCleartext && SASL_CLEARTEXT_MECHANISMS.includes(mechanism)) continue;
    if (acceptsCredentials(mechanism, credentials)) return mechanism;
  }
  return undefined;
}

function acceptsCredentials(mechanism: SaslMechanismName, credentials: SaslCredentials): boolean {
  try {
    createSaslSession(mechanism, credentials);
    return true;
  } catch (error) {
    if (error instanceof InvalidArgumentError || error instanceof UnsupportedError) return false;
    throw error;
  }
}
