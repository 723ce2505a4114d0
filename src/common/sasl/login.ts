/**
 * LOGIN (draft-murchison-sasl-login-00): the server asks twice and the client answers with the
 * user name, then the password.
 *
 * The draft says the challenges SHOULD read "User Name" and "Password", and that their contents
 * are ignored. Servers vary ("Username:", "VXNlcm5hbWU6" decoded, localised prompts, or nothing),
 * so the answer depends only on the order of the challenges.
 *
 * The password travels as it is, so the protocol client offers LOGIN only over TLS or when its
 * caller allowed cleartext.
 *
 * @internal
 * @packageDocumentation
 */
import type { Secret } from '../secret.js';
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import { isNulOrLineEnd, rejectAuthzid, rejectCharacters, rejectSecretCharacters, requirePassword, requireUsername, saslFailure, utf8 } from './shared.js';

/** A LOGIN exchange: no initial response; the first challenge gets the user name, the second the password. */
export class LoginSession implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism = 'LOGIN';
  /** {@inheritDoc SaslSession.serverError} */
  readonly serverError: SaslServerError | undefined = undefined;
  readonly #username: string;
  readonly #password: Secret;
  #challengesAnswered = 0;

  /**
   * @param credentials - `username` and `password` are required; LOGIN has no `authzid`.
   * @throws InvalidArgumentError when one is missing, or contains NUL, CR or LF (servers end the
   *   decoded string there), or an `authzid` other than the user name is given.
   */
  constructor(credentials: SaslCredentials) {
    this.#username = requireUsername('LOGIN', credentials);
    rejectAuthzid('LOGIN', credentials);
    this.#password = requirePassword('LOGIN', credentials);
    rejectCharacters('LOGIN', 'username', this.#username, isNulOrLineEnd);
    rejectSecretCharacters('LOGIN', 'password', this.#password, isNulOrLineEnd);
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): null {
    return null;
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(_challenge: Uint8Array): Uint8Array {
    this.#challengesAnswered += 1;
    if (this.#challengesAnswered === 1) return utf8(this.#username);
    if (this.#challengesAnswered === 2) return utf8(this.#password.reveal());
    throw saslFailure('LOGIN', 'the server sent a third challenge; LOGIN has two');
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(_serverFinal: Uint8Array | null): void {
    // LOGIN defines no additional data with success.
  }
}
