/**
 * XOAUTH2 (Google, "OAuth 2.0 Mechanism", https://developers.google.com/gmail/imap/xoauth2-protocol):
 * `user={User}^Aauth=Bearer {Access Token}^A^A` in one message.
 *
 * When the token is refused, the server does not fail at once: it sends a challenge holding a JSON
 * error (`{"status":"401","schemes":"bearer mac","scope":"https://mail.google.com/"}`), which the
 * client must answer with an empty response; then the server fails the command. The session keeps
 * the JSON in {@link SaslSession.serverError} for the protocol client's error.
 *
 * The token travels as it is, so the protocol client uses XOAUTH2 only over TLS.
 *
 * @internal
 * @packageDocumentation
 */
import type { Secret } from '../secret.js';
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import {
  decodeServerText,
  EMPTY,
  isControl,
  oauthServerError,
  rejectAuthzid,
  rejectCharacters,
  requireAccessToken,
  requireUsername,
  saslFailure,
  utf8,
} from './shared.js';

/** An XOAUTH2 exchange: the initial response, and the empty answer to an error challenge. */
export class XOAuth2Session implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism = 'XOAUTH2';
  readonly #username: string;
  readonly #accessToken: Secret;
  #state: 'start' | 'sent' | 'error-answered' = 'start';
  #serverError: SaslServerError | undefined;

  /**
   * @param credentials - `username` (the mailbox address) and `accessToken` are required; XOAUTH2
   *   has no `authzid`.
   * @throws InvalidArgumentError when one is missing or contains a control character, or an
   *   `authzid` other than the user name is given.
   */
  constructor(credentials: SaslCredentials) {
    this.#username = requireUsername('XOAUTH2', credentials);
    rejectAuthzid('XOAUTH2', credentials);
    this.#accessToken = requireAccessToken('XOAUTH2', credentials);
    rejectCharacters('XOAUTH2', 'username', this.#username, isControl);
  }

  /** {@inheritDoc SaslSession.serverError} */
  get serverError(): SaslServerError | undefined {
    return this.#serverError;
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): Uint8Array {
    return utf8(`user=${this.#username}\x01auth=Bearer ${this.#accessToken.reveal()}\x01\x01`);
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(challenge: Uint8Array): Uint8Array {
    if (this.#state === 'start' && challenge.length === 0) {
      // The protocol could not carry an initial response: the server asks for it.
      this.#state = 'sent';
      return this.initialResponse();
    }
    if (this.#state === 'error-answered') {
      throw saslFailure('XOAUTH2', `the server went on after its error challenge (status ${this.#serverError?.status ?? 'unknown'})`);
    }
    this.#state = 'error-answered';
    this.#serverError = oauthServerError(decodeServerText('XOAUTH2', challenge, 'the error challenge'));
    // Google's protocol: answer the error challenge with an empty response; the server then fails.
    return EMPTY;
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(_serverFinal: Uint8Array | null): void {
    // XOAUTH2 defines no additional data with success.
  }
}
