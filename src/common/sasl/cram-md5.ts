/**
 * CRAM-MD5 (RFC 2195): the server sends a challenge (a msg-id such as
 * `<1896.697170952@postoffice.reston.mci.net>`), the client answers with its user name, a space
 * and the lower-case hex HMAC-MD5 of the challenge keyed with the password.
 *
 * The password never travels, but the exchange is open to offline dictionary attack and gives no
 * server authentication: prefer SCRAM where the server offers it.
 *
 * @internal
 * @packageDocumentation
 */
import { createHmac } from 'node:crypto';
import { UnsupportedError } from '../errors.js';
import { md5Available } from '../md5.js';
import type { Secret } from '../secret.js';
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import { isControl, rejectAuthzid, rejectCharacters, requirePassword, requireUsername, saslFailure, utf8 } from './shared.js';

/** A CRAM-MD5 exchange: no initial response; one challenge, one answer. */
export class CramMd5Session implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism = 'CRAM-MD5';
  /** {@inheritDoc SaslSession.serverError} */
  readonly serverError: SaslServerError | undefined = undefined;
  readonly #username: string;
  readonly #password: Secret;
  #answered = false;

  /**
   * @param credentials - `username` and `password` are required; CRAM-MD5 has no `authzid`.
   * @throws InvalidArgumentError when one is missing, the user name contains a control character,
   *   or an `authzid` other than the user name is given.
   * @throws UnsupportedError when this Node.js has no MD5 (FIPS mode); chooseSaslMechanism then skips CRAM-MD5.
   */
  constructor(credentials: SaslCredentials) {
    this.#username = requireUsername('CRAM-MD5', credentials);
    rejectAuthzid('CRAM-MD5', credentials);
    this.#password = requirePassword('CRAM-MD5', credentials);
    rejectCharacters('CRAM-MD5', 'username', this.#username, isControl);
    if (!md5Available()) {
      throw new UnsupportedError('CRAM-MD5 needs MD5, which this Node.js build does not provide (FIPS mode?)');
    }
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): null {
    return null;
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(challenge: Uint8Array): Uint8Array {
    if (this.#answered) throw saslFailure('CRAM-MD5', 'the server sent a second challenge; CRAM-MD5 has one');
    if (challenge.length === 0) throw saslFailure('CRAM-MD5', 'the server sent an empty challenge');
    this.#answered = true;
    const digest = createHmac('md5', this.#password.reveal()).update(challenge).digest('hex');
    return utf8(`${this.#username} ${digest}`);
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(_serverFinal: Uint8Array | null): void {
    // CRAM-MD5 defines no additional data with success.
  }
}
