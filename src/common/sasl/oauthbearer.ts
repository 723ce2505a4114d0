/**
 * OAUTHBEARER (RFC 7628): a GS2 header, then `^A`-separated key/value pairs with the host, port
 * and bearer token, ended by `^A^A`:
 * `n,a=user@example.com,^Ahost=server.example.com^Aport=143^Aauth=Bearer vF9d...^A^A`.
 *
 * When the token is refused, the server sends a JSON error challenge (RFC 7628 section 3.2.2) that
 * the client answers with a single `^A` (section 3.2.3); then the server fails the command. The
 * session keeps the JSON in {@link SaslSession.serverError} for the protocol client's error.
 *
 * The token travels as it is, so the protocol client uses OAUTHBEARER only over TLS (RFC 7628
 * section 5 requires it).
 *
 * @internal
 * @packageDocumentation
 */
import { InvalidArgumentError } from '../errors.js';
import type { Secret } from '../secret.js';
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import { decodeServerText, escapeSaslName, isControl, oauthServerError, rejectCharacters, requireAccessToken, saslFailure, utf8 } from './shared.js';

const KVSEP = '\x01';

/** An OAUTHBEARER exchange: the initial response, and the `^A` answer to an error challenge. */
export class OAuthBearerSession implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism = 'OAUTHBEARER';
  readonly #gs2Header: string;
  readonly #hostAndPort: string;
  readonly #accessToken: Secret;
  #state: 'start' | 'sent' | 'error-answered' = 'start';
  #serverError: SaslServerError | undefined;

  /**
   * @param credentials - `accessToken` is required. The GS2 authzid (`a=`) is `authzid` when given,
   *   else `username` (as in RFC 7628's examples), and is left out when both are empty. `host` and
   *   `port` become the `host=` and `port=` pairs when given.
   * @throws InvalidArgumentError when the token is missing, a field contains a control character,
   *   or the port is not an integer from 0 to 65535.
   */
  constructor(credentials: SaslCredentials) {
    this.#accessToken = requireAccessToken('OAUTHBEARER', credentials);
    const identity = credentials.authzid ?? credentials.username;
    rejectCharacters('OAUTHBEARER', 'authorization identity', identity, isControl);
    this.#gs2Header = identity === '' ? 'n,,' : `n,a=${escapeSaslName(identity)},`;

    let pairs = '';
    if (credentials.host !== undefined) {
      rejectCharacters('OAUTHBEARER', 'host', credentials.host, isControl);
      pairs += `host=${credentials.host}${KVSEP}`;
    }
    if (credentials.port !== undefined) {
      const { port } = credentials;
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new InvalidArgumentError(`SASL OAUTHBEARER: port ${String(port)} is not an integer from 0 to 65535`);
      }
      pairs += `port=${port}${KVSEP}`;
    }
    this.#hostAndPort = pairs;
  }

  /** {@inheritDoc SaslSession.serverError} */
  get serverError(): SaslServerError | undefined {
    return this.#serverError;
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): Uint8Array {
    // RFC 7628 section 3.1: client-resp = gs2-header kvsep *kvpair kvsep
    return utf8(`${this.#gs2Header}${KVSEP}${this.#hostAndPort}auth=Bearer ${this.#accessToken.reveal()}${KVSEP}${KVSEP}`);
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(challenge: Uint8Array): Uint8Array {
    if (this.#state === 'start' && challenge.length === 0) {
      // The protocol could not carry an initial response: the server asks for it.
      this.#state = 'sent';
      return this.initialResponse();
    }
    if (this.#state === 'error-answered') {
      throw saslFailure('OAUTHBEARER', `the server went on after its error challenge (status ${this.#serverError?.status ?? 'unknown'})`);
    }
    this.#state = 'error-answered';
    this.#serverError = oauthServerError(decodeServerText('OAUTHBEARER', challenge, 'the error challenge'));
    // RFC 7628 section 3.2.3: answer with a single kvsep so the server can end the exchange.
    return utf8(KVSEP);
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(_serverFinal: Uint8Array | null): void {
    // RFC 7628 defines no additional data with success.
  }
}
