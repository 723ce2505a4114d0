/**
 * PLAIN (RFC 4616): `[authzid] NUL authcid NUL passwd` in one message.
 *
 * The password travels as it is, so the protocol client offers PLAIN only over TLS or when its
 * caller allowed cleartext. The strings are sent as given: RFC 4616 section 2 leaves their
 * preparation (SASLprep) to the server, which compares them.
 *
 * @internal
 * @packageDocumentation
 */
import type { Secret } from '../secret.js';
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import { isNul, rejectCharacters, rejectSecretCharacters, requirePassword, requireUsername, saslFailure, utf8 } from './shared.js';

/** A PLAIN exchange: the message is the initial response, or the answer to an empty challenge. */
export class PlainSession implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism = 'PLAIN';
  /** {@inheritDoc SaslSession.serverError} */
  readonly serverError: SaslServerError | undefined = undefined;
  readonly #authzid: string;
  readonly #username: string;
  readonly #password: Secret;
  #answered = false;

  /**
   * @param credentials - `username` and `password` are required; `authzid` is optional.
   * @throws InvalidArgumentError when one is missing or contains NUL (RFC 4616 section 2, `UTF8SAFE`).
   */
  constructor(credentials: SaslCredentials) {
    this.#username = requireUsername('PLAIN', credentials);
    this.#password = requirePassword('PLAIN', credentials);
    this.#authzid = credentials.authzid ?? '';
    rejectCharacters('PLAIN', 'username', this.#username, isNul);
    rejectCharacters('PLAIN', 'authzid', this.#authzid, isNul);
    rejectSecretCharacters('PLAIN', 'password', this.#password, isNul);
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): Uint8Array {
    return utf8(`${this.#authzid}\0${this.#username}\0${this.#password.reveal()}`);
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(challenge: Uint8Array): Uint8Array {
    // RFC 4616 section 2: the server's only possible challenge is the empty one that asks for the
    // message when the protocol could not carry it as an initial response.
    if (challenge.length !== 0 || this.#answered) {
      throw saslFailure('PLAIN', 'the server sent a challenge, but PLAIN has none');
    }
    this.#answered = true;
    return this.initialResponse();
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(_serverFinal: Uint8Array | null): void {
    // PLAIN defines no additional data with success; a server that sends some is ignored.
  }
}
