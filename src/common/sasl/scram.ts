/**
 * SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677), without channel binding (GS2 flag `n`):
 *
 * ```
 * C: n,,n=user,r=<client nonce>                               client-first-message
 * S: r=<client nonce><server nonce>,s=<salt>,i=<iterations>   server-first-message
 * C: c=biws,r=<nonce>,p=<client proof>                        client-final-message
 * S: v=<server signature>  or  e=<error>                      server-final-message
 * ```
 *
 * The server-final message arrives either as a last challenge (IMAP and POP3 have no "success with
 * data", so servers send it as a challenge and the client answers it with an empty response) or
 * with the success itself; {@link ScramSession.respond} and {@link ScramSession.complete} both
 * verify it, and `complete` refuses a success whose signature was never seen: without it the
 * server has not proved that it knows the password.
 *
 * @internal
 * @packageDocumentation
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { type AuthenticationError, InvalidArgumentError, LimitExceededError } from '../errors.js';
import { Secret } from '../secret.js';
import type { SaslCredentials, SaslServerError, SaslSession } from './index.js';
import { saslPrep, type SaslPrepFailure } from './saslprep.js';
import {
  codePointName,
  decodeServerText,
  EMPTY,
  escapeSaslName,
  isNul,
  printable,
  rejectCharacters,
  requirePassword,
  requireUsername,
  saslFailure,
  utf8,
} from './shared.js';
import { decodeBase64 } from './wire.js';

/** The SCRAM mechanisms mailwire implements. */
export type ScramMechanismName = 'SCRAM-SHA-1' | 'SCRAM-SHA-256';

/**
 * The default cap on the server's iteration count. RFC 7677 asks for at least 4096; servers use
 * 4096 to a few hundred thousand. Each iteration is one HMAC computed synchronously, so the cap
 * bounds how long a hostile server can block the event loop (2 to 3 seconds at the cap on a current CPU).
 */
export const DEFAULT_SCRAM_MAX_ITERATIONS = 10_000_000;

/**
 * The default floor of the server's iteration count: RFC 7677 section 4 asks servers for at least
 * 4096 (the minimum the IANA SCRAM registry records for both mechanisms; Dovecot and Cyrus use
 * it). The client proof costs that many rounds to recompute per guessed password, so a server-first
 * message tampered down to `i=1` would make a captured proof cheap to crack offline: below the
 * floor, the exchange fails before any proof is computed.
 */
export const DEFAULT_SCRAM_MIN_ITERATIONS = 4096;

/** Options of a SCRAM exchange. */
export interface ScramOptions {
  /** Largest iteration count accepted from the server; default {@link DEFAULT_SCRAM_MAX_ITERATIONS}. */
  readonly maxIterations?: number | undefined;
  /** Smallest iteration count accepted from the server; default {@link DEFAULT_SCRAM_MIN_ITERATIONS}. */
  readonly minIterations?: number | undefined;
  /**
   * The client nonce, for tests against published vectors only: a fixed nonce lets a recorded
   * exchange be replayed. Default: 24 random bytes from `node:crypto`, base64-encoded.
   */
  readonly clientNonce?: string | undefined;
}

const HASHES: Readonly<Record<ScramMechanismName, { readonly algorithm: string; readonly size: number }>> = {
  'SCRAM-SHA-1': { algorithm: 'sha1', size: 20 },
  'SCRAM-SHA-256': { algorithm: 'sha256', size: 32 },
};

// RFC 5802 section 7: printable = %x21-2B / %x2D-7E (no comma).
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
const ITERATION_COUNT = /^[0-9]+$/;

/** One `attr=value` of a SCRAM message, in the order sent. */
interface Attribute {
  readonly name: string;
  readonly value: string;
}

/** A SCRAM-SHA-1 or SCRAM-SHA-256 exchange (client side). */
export class ScramSession implements SaslSession {
  /** {@inheritDoc SaslSession.mechanism} */
  readonly mechanism: ScramMechanismName;
  readonly #hash: { readonly algorithm: string; readonly size: number };
  readonly #gs2Header: string;
  readonly #clientNonce: string;
  readonly #clientFirstBare: string;
  readonly #password: Secret;
  readonly #maxIterations: number;
  readonly #minIterations: number;
  #state: 'client-first' | 'server-final' | 'verified' | 'failed' = 'client-first';
  #expectedServerSignature: Buffer | undefined;
  #serverError: SaslServerError | undefined;

  /**
   * @param mechanism - `SCRAM-SHA-1` or `SCRAM-SHA-256`.
   * @param credentials - `username` and `password` are required (both are prepared with SASLprep,
   *   RFC 4013); `authzid` goes into the GS2 header as `a=`.
   * @param options - iteration cap and, for tests, the client nonce.
   * @throws InvalidArgumentError when a credential is missing or SASLprep refuses it, or when an
   *   option is out of range.
   */
  constructor(mechanism: ScramMechanismName, credentials: SaslCredentials, options: ScramOptions = {}) {
    this.mechanism = mechanism;
    this.#hash = HASHES[mechanism];

    const username = prepare(mechanism, 'username', requireUsername(mechanism, credentials), false);
    const password = requirePassword(mechanism, credentials);
    this.#password = new Secret(prepare(mechanism, 'password', password.reveal(), true));

    const authzid = credentials.authzid ?? '';
    rejectCharacters(mechanism, 'authzid', authzid, isNul);
    // RFC 5802 section 7: gs2-header = gs2-cbind-flag "," [ authzid ] ","; "n": no channel binding.
    this.#gs2Header = authzid === '' ? 'n,,' : `n,a=${escapeSaslName(authzid)},`;

    const maxIterations = options.maxIterations ?? DEFAULT_SCRAM_MAX_ITERATIONS;
    if (!Number.isSafeInteger(maxIterations) || maxIterations < 1) {
      throw new InvalidArgumentError(`SASL ${mechanism}: maxIterations must be a positive integer, not ${maxIterations}`);
    }
    this.#maxIterations = maxIterations;
    const minIterations = options.minIterations ?? DEFAULT_SCRAM_MIN_ITERATIONS;
    if (!Number.isSafeInteger(minIterations) || minIterations < 1) {
      throw new InvalidArgumentError(`SASL ${mechanism}: minIterations must be a positive integer, not ${minIterations}`);
    }
    if (minIterations > maxIterations) throw new InvalidArgumentError(floorAboveCap(minIterations, maxIterations));
    this.#minIterations = minIterations;

    this.#clientNonce = options.clientNonce ?? randomBytes(24).toString('base64');
    if (!PRINTABLE.test(this.#clientNonce)) {
      throw new InvalidArgumentError(`SASL ${mechanism}: the client nonce must be printable ASCII without commas`);
    }
    // RFC 5802 section 7: client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
    this.#clientFirstBare = `n=${escapeSaslName(username)},r=${this.#clientNonce}`;
  }

  /** {@inheritDoc SaslSession.serverError} */
  get serverError(): SaslServerError | undefined {
    return this.#serverError;
  }

  /** {@inheritDoc SaslSession.initialResponse} */
  initialResponse(): Uint8Array {
    return utf8(this.#gs2Header + this.#clientFirstBare);
  }

  /** {@inheritDoc SaslSession.respond} */
  respond(challenge: Uint8Array): Uint8Array {
    switch (this.#state) {
      case 'client-first':
        // The protocol could not carry an initial response: the server asks for it.
        if (challenge.length === 0) return this.initialResponse();
        return this.#answerServerFirst(challenge);
      case 'server-final':
        this.#verifyServerFinal(challenge);
        // The server-final message came as a challenge; the answer is empty (RFC 4422 section 5).
        return EMPTY;
      case 'verified':
        throw this.#fail('the server sent another challenge after its final message');
      case 'failed':
        throw this.#fail('the exchange has already failed');
    }
  }

  /** {@inheritDoc SaslSession.complete} */
  complete(serverFinal: Uint8Array | null): void {
    if (serverFinal !== null && serverFinal.length !== 0) {
      if (this.#state === 'server-final') {
        this.#verifyServerFinal(serverFinal);
        return;
      }
      if (this.#state === 'verified') return; // the same message again, already verified
    }
    if (this.#state === 'verified') return;
    throw this.#fail(
      this.#state === 'server-final'
        ? 'the server reported success without its signature (no server-final-message)'
        : 'the server reported success before the exchange ended',
    );
  }

  #answerServerFirst(challenge: Uint8Array): Uint8Array {
    const serverFirst = this.#decode(challenge, 'server-first-message');
    const attributes = this.#parse(serverFirst, 'server-first-message');
    const nonce = find(attributes, 'r');
    const saltText = find(attributes, 's');
    const iterationText = find(attributes, 'i');
    if (nonce === undefined || saltText === undefined || iterationText === undefined) {
      throw this.#fail(`malformed server-first-message, r=, s= and i= are required: "${printable(serverFirst, 80)}"`);
    }
    // RFC 5802 section 5.1: the server's nonce is the client's with the server's part appended.
    if (!nonce.startsWith(this.#clientNonce) || nonce.length === this.#clientNonce.length) {
      throw this.#fail('the server nonce does not extend the client nonce');
    }
    if (!PRINTABLE.test(nonce)) throw this.#fail('the server nonce contains characters outside printable ASCII');
    const salt = decodeBase64(saltText);
    if (salt === undefined || salt.length === 0) throw this.#fail('the salt is not valid, non-empty base64');
    const iterations = this.#iterations(iterationText);

    const { algorithm, size } = this.#hash;
    // RFC 5802 section 3.
    const saltedPassword = pbkdf2Sync(utf8(this.#password.reveal()), salt, iterations, size, algorithm);
    const clientKey = createHmac(algorithm, saltedPassword).update('Client Key').digest();
    const storedKey = createHash(algorithm).update(clientKey).digest();
    const serverKey = createHmac(algorithm, saltedPassword).update('Server Key').digest();
    const clientFinalWithoutProof = `c=${Buffer.from(this.#gs2Header, 'utf8').toString('base64')},r=${nonce}`;
    const authMessage = `${this.#clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
    const clientSignature = createHmac(algorithm, storedKey).update(authMessage).digest();
    const clientProof = Buffer.alloc(size);
    for (let index = 0; index < size; index += 1) clientProof[index] = clientKey[index]! ^ clientSignature[index]!;
    this.#expectedServerSignature = createHmac(algorithm, serverKey).update(authMessage).digest();
    for (const key of [saltedPassword, clientKey, storedKey, serverKey, clientSignature]) key.fill(0);

    this.#state = 'server-final';
    return utf8(`${clientFinalWithoutProof},p=${clientProof.toString('base64')}`);
  }

  #iterations(text: string): number {
    // RFC 5802 section 7: iteration-count = posit-number (no leading zero; tolerated here).
    if (!ITERATION_COUNT.test(text)) throw this.#fail(`the iteration count "${printable(text, 20)}" is not a number`);
    const iterations = Number(text);
    if (iterations === 0) throw this.#fail('the iteration count is 0');
    if (iterations > this.#maxIterations) {
      // Named limit as the cause, so callers can tell a hostile count from a wrong password.
      throw this.#fail(
        `the iteration count ${text.length > 20 ? `${text.slice(0, 20)}...` : text} exceeds the limit of ${this.#maxIterations}`,
        new LimitExceededError('scramMaxIterations', this.#maxIterations, iterations),
      );
    }
    if (iterations < this.#minIterations) {
      throw this.#fail(
        `the iteration count ${iterations} is below the floor of ${this.#minIterations} (RFC 7677 section 4): a proof so cheap to ` +
          'compute is cheap to crack offline, and the count may have been tampered with; lower scramMinIterations only for a server known to use fewer',
      );
    }
    return iterations;
  }

  #verifyServerFinal(message: Uint8Array): void {
    const serverFinal = this.#decode(message, 'server-final-message');
    const attributes = this.#parse(serverFinal, 'server-final-message');
    const verifier = find(attributes, 'v');
    if (verifier === undefined) throw this.#fail('the server-final-message has no server signature (v=)');
    const signature = decodeBase64(verifier);
    const expected = this.#expectedServerSignature;
    if (signature === undefined || expected === undefined || signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw this.#fail('the server signature does not verify: the server does not know the password, or the exchange was tampered with');
    }
    expected.fill(0);
    this.#state = 'verified';
  }

  #decode(bytes: Uint8Array, what: string): string {
    try {
      return decodeServerText(this.mechanism, bytes, `the ${what}`);
    } catch (error) {
      this.#state = 'failed';
      throw error;
    }
  }

  /** Splits a server message into attributes; handles `e=` (server error) and `m=` (mandatory extension). */
  #parse(message: string, what: string): Attribute[] {
    const attributes: Attribute[] = [];
    for (const part of message.split(',')) {
      // RFC 5802 section 7: attr-val = ALPHA "=" value
      if (!/^[A-Za-z]=/.test(part)) throw this.#fail(`malformed ${what}: "${printable(message, 80)}"`);
      attributes.push({ name: part[0]!, value: part.slice(2) });
    }
    const error = find(attributes, 'e');
    if (error !== undefined) {
      // RFC 5802 section 7: server-error = "e=" server-error-value
      this.#serverError = { status: printable(error, 64), detail: printable(message) };
      throw this.#fail(`the server refused the exchange: e=${printable(error, 64)}`);
    }
    if (find(attributes, 'm') !== undefined) {
      // RFC 5802 section 5.1: a client that does not understand m= must fail.
      throw this.#fail(`the ${what} has a mandatory extension (m=) this client does not support`);
    }
    return attributes;
  }

  #fail(serverText: string, cause?: unknown): AuthenticationError {
    this.#state = 'failed';
    this.#expectedServerSignature?.fill(0);
    return saslFailure(this.mechanism, serverText, cause);
  }
}

/**
 * The message for an iteration floor above the cap, which no server could pass.
 *
 * @internal
 */
export function floorAboveCap(minIterations: number, maxIterations: number): string {
  return `The SCRAM iteration floor (scramMinIterations, ${minIterations}) is above the cap (scramMaxIterations, ${maxIterations}): no server could pass; lower scramMinIterations too`;
}

function find(attributes: readonly Attribute[], name: string): string | undefined {
  return attributes.find((attribute) => attribute.name === name)?.value;
}

function prepare(mechanism: ScramMechanismName, what: 'username' | 'password', value: string, storedString: boolean): string {
  const result = saslPrep(value, storedString);
  if (result.ok) {
    if (result.value === '') throw new InvalidArgumentError(`SASL ${mechanism}: the ${what} is empty after SASLprep (RFC 4013)`);
    return result.value;
  }
  throw new InvalidArgumentError(`SASL ${mechanism}: the ${what} ${describeFailure(result.failure, what === 'password')} (SASLprep, RFC 4013)`);
}

function describeFailure(failure: SaslPrepFailure, secret: boolean): string {
  // For a password, the character is never named: that would reveal part of it.
  const which = secret || failure.codePoint === undefined ? 'a character' : codePointName(failure.codePoint);
  switch (failure.rule) {
    case 'prohibited':
      return `contains ${which} that is prohibited`;
    case 'unassigned':
      return `contains ${secret ? 'an unassigned code point' : `the unassigned code point ${which}`}`;
    case 'bidi':
      return 'mixes right-to-left and left-to-right text against the bidirectional rule';
  }
}
