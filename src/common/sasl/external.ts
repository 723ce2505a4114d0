/**
 * EXTERNAL (RFC 4422 appendix A): the identity was established outside SASL, typically by the TLS
 * client certificate. The client sends only the authorization identity it wants, or nothing to
 * act as the identity the server derived.
 *
 * @internal
 * @packageDocumentation
 */
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import { EMPTY, isNul, rejectCharacters, saslFailure, utf8 } from './shared.js';

/** An EXTERNAL exchange: the authzid (possibly empty) as initial response or answer to the empty challenge. */
export class ExternalSession implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism = 'EXTERNAL';
  /** {@inheritDoc SaslSession.serverError} */
  readonly serverError: SaslServerError | undefined = undefined;
  readonly #authzid: string;
  #answered = false;

  /**
   * @param credentials - only `authzid` is used; `username` is ignored, as the identity comes from
   *   outside the exchange.
   * @throws InvalidArgumentError when the authzid contains NUL (RFC 4422 appendix A.1, `UTF8-char`s except NUL).
   */
  constructor(credentials: SaslCredentials) {
    this.#authzid = credentials.authzid ?? '';
    rejectCharacters('EXTERNAL', 'authzid', this.#authzid, isNul);
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): Uint8Array {
    return this.#authzid === '' ? EMPTY : utf8(this.#authzid);
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(challenge: Uint8Array): Uint8Array {
    if (challenge.length !== 0 || this.#answered) {
      throw saslFailure('EXTERNAL', 'the server sent a challenge, but EXTERNAL has none');
    }
    this.#answered = true;
    return this.initialResponse();
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(_serverFinal: Uint8Array | null): void {
    // EXTERNAL defines no additional data with success.
  }
}
