/**
 * AUTH (RFC 5034): a SASL exchange over POP3, and the choice of login method.
 *
 * @packageDocumentation
 */
import { AuthenticationError, MailwireError, UnsupportedError } from '../common/errors.js';
import { md5Available } from '../common/md5.js';
import { Secret } from '../common/secret.js';
import {
  chooseSaslMechanism,
  decodeSaslChallenge,
  loginMethodNamed,
  type SaslCredentials,
  type SaslMechanismName,
  type SaslSession,
} from '../common/sasl/index.js';
import { actsAsAnotherUser } from '../common/sasl/shared.js';
import { MAX_COMMAND_LINE, encodeCommand, toBase64, type Pop3Status } from './codec.js';
import type { Pop3Reply } from './commands.js';
import { Exchange, type ExchangeParts, type StatusOutcome } from './exchange.js';

/**
 * `AUTH mechanism [initial-response]`, then one response line per `+ challenge` until `+OK` or
 * `-ERR`.
 *
 * ```abnf
 * auth-command  = "AUTH" SP sasl-mech [SP (base64 / "=")] CRLF   ; RFC 5034 section 4
 * continue-req  = "+" SP [base64] CRLF
 * auth-response = *(base64 / "*") CRLF       ; "*" cancels the exchange
 * ```
 */
export class SaslExchange extends Exchange<Pop3Reply> {
  readonly #session: SaslSession;
  /** An initial response too long for the AUTH line: sent after the server's empty challenge. */
  #deferredInitialResponse: Uint8Array | undefined;
  #response: ExchangeParts | undefined;
  /** The client-side failure that made us cancel with `*`; it explains the server's -ERR. */
  #clientFailure: MailwireError | undefined;
  /** The client sent `*` (RFC 5034 section 4): only -ERR may end the exchange now. */
  #cancelled = false;
  #serverAccepted = false;

  /** @param session - the SASL mechanism, ready to start. */
  constructor(session: SaslSession) {
    const initial = session.initialResponse();
    const { line, deferred } = authLine(session.mechanism, initial);
    super(line, { barrier: true, authentication: true, loginStep: true });
    this.#session = session;
    this.#deferredInitialResponse = deferred;
  }

  /** True once the server answered `+OK`: a failure after that is the server's proof failing. */
  get serverAccepted(): boolean {
    return this.#serverAccepted;
  }

  /** @inheritDoc */
  protected onOk(status: Pop3Status): StatusOutcome {
    this.#serverAccepted = true;
    if (this.#cancelled) {
      // RFC 5034 section 4: a cancelled exchange ends in -ERR; a server that logs in anyway is
      // not one to stay on (the client closes the connection on this error).
      const info = { command: this.display, status: '+OK', responseCode: status.responseCode, serverText: `${status.text} (after the client cancelled)` };
      this.fail(new AuthenticationError(info, this.#clientFailure === undefined ? undefined : { cause: this.#clientFailure }));
      return 'done';
    }
    try {
      // RFC 5034 has no "additional data with success": a SCRAM server-final came as a challenge.
      this.#session.complete(null);
      this.succeed({ text: status.text, responseCode: status.responseCode });
    } catch (error) {
      this.fail(asAuthenticationError(this.#session.mechanism, error));
    }
    return 'done';
  }

  /** @inheritDoc */
  override cancelOnWire(): boolean {
    // Answered at the server's next challenge (onContinue): RFC 5034 section 4 has the client
    // send `*` only in answer to one. Without a challenge, the server's answer ends the exchange.
    return true;
  }

  /** @inheritDoc */
  protected override onContinue(status: Pop3Status): StatusOutcome {
    if (this.settled || this.#cancelled) {
      // Settled while in flight (its call aborted, see CommandQueue.guard): cancel rather than log
      // in. Or cancelled already, and the server goes on instead of answering -ERR (RFC 5034
      // section 4): cancel again, never answer it.
      this.#cancelled = true;
      this.#response = ['*\r\n'];
      return 'more';
    }
    let response: Uint8Array;
    if (this.#deferredInitialResponse !== undefined) {
      response = this.#deferredInitialResponse;
      this.#deferredInitialResponse = undefined;
    } else {
      try {
        response = this.#session.respond(decodeSaslChallenge(status.text));
      } catch (error) {
        // RFC 5034 section 4: "*" cancels; the server then answers -ERR.
        this.#clientFailure = asAuthenticationError(this.#session.mechanism, error);
        this.#cancelled = true;
        this.#response = ['*\r\n'];
        return 'more';
      }
    }
    this.#response = response.length === 0 ? ['\r\n'] : [new Secret(toBase64(response)), '\r\n'];
    return 'more';
  }

  /** @inheritDoc */
  protected override onErr(status: Pop3Status): void {
    if (this.#clientFailure !== undefined) {
      this.fail(this.#clientFailure);
      return;
    }
    // OAUTHBEARER and XOAUTH2 explain a refusal in a challenge before the -ERR (RFC 7628).
    const detail = this.#session.serverError;
    if (detail !== undefined) {
      this.fail(
        new AuthenticationError({
          command: this.display,
          status: '-ERR',
          responseCode: status.responseCode,
          serverText: `${status.text} (${detail.status}: ${detail.detail})`,
        }),
      );
    }
  }

  /** @inheritDoc */
  override takeResponse(): ExchangeParts | undefined {
    const response = this.#response;
    this.#response = undefined;
    return response;
  }
}

function authLine(
  mechanism: SaslMechanismName,
  initial: Uint8Array | null,
): { line: ReturnType<typeof encodeCommand>; deferred: Uint8Array | undefined } {
  if (initial === null) return { line: encodeCommand('AUTH', [mechanism]), deferred: undefined };
  // An empty initial response is sent as "=" (RFC 5034 section 4).
  const encoded = initial.length === 0 ? '=' : toBase64(initial);
  // "AUTH" SP mech SP response CRLF must fit in 255 octets, else the response waits for a "+ ".
  if (4 + 1 + mechanism.length + 1 + encoded.length + 2 > MAX_COMMAND_LINE) {
    return { line: encodeCommand('AUTH', [mechanism]), deferred: initial };
  }
  return {
    line: encodeCommand('AUTH', [mechanism, encoded === '=' ? encoded : new Secret(encoded)], { restOfLine: true }),
    deferred: undefined,
  };
}

function asAuthenticationError(mechanism: string, error: unknown): MailwireError {
  if (error instanceof MailwireError) return error;
  return new AuthenticationError(
    { command: `AUTH ${mechanism}`, status: 'SASL', serverText: 'the SASL exchange failed' },
    { cause: error },
  );
}

/**
 * How to log in: `'auto'` picks the strongest method both sides support. Names are matched in any
 * case, as SASL mechanism names are (`'user'` is USER/PASS; `'login'` is SASL LOGIN, POP3 having
 * no LOGIN command).
 */
export type Pop3AuthMethod = 'auto' | 'USER' | 'APOP' | SaslMechanismName;

/** The method a caller named, in any case (see {@link Pop3AuthMethod}); undefined for no method mailwire implements. */
export function pop3LoginMethod(method: unknown): Pop3AuthMethod | undefined {
  return loginMethodNamed(method, POP3_COMMANDS);
}

/** The login methods that are POP3 commands of their own (RFC 1939), not SASL mechanisms. */
const POP3_COMMANDS = ['USER', 'APOP'] as const;

/** What the server offers, as far as the login choice is concerned. */
export interface LoginOffer {
  /** SASL mechanisms from CAPA; empty when CAPA failed or listed none. */
  readonly sasl: readonly string[];
  /** The APOP timestamp of the greeting, if any. */
  readonly apopTimestamp: string | undefined;
  /** Whether the connection is encrypted. */
  readonly secure: boolean;
}

/** The mechanisms that never send the password itself. */
const CHALLENGE_RESPONSE = new Set<string>(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'CRAM-MD5']);

/**
 * Picks the login method for `'auto'`.
 *
 * Under TLS: the strongest SASL mechanism both sides allow, else USER/PASS (which works whatever
 * the server stores). In cleartext (only with `allowCleartext`): a challenge-response
 * mechanism first, then APOP, then any SASL mechanism, then USER/PASS, so the password crosses the
 * wire in clear only when nothing else is possible. With an authzid, only a SASL mechanism that
 * carries it.
 *
 * @throws UnsupportedError when the credentials have an authzid and no offered mechanism carries it.
 */
export function chooseLoginMethod(offer: LoginOffer, credentials: SaslCredentials): Exclude<Pop3AuthMethod, 'auto'> {
  const sasl = offer.sasl.length > 0 ? chooseSaslMechanism(offer.sasl, credentials) : undefined;
  if (actsAsAnotherUser(credentials)) {
    // USER/PASS and APOP have no authzid: they would log in as the user name itself.
    if (sasl === undefined) {
      throw new UnsupportedError(`No SASL mechanism the server offers (${offer.sasl.join(', ') || 'none'}) carries the authzid (USER and APOP cannot)`);
    }
    return sasl;
  }
  // A build in FIPS mode has no MD5 for the digest.
  const canApop = offer.apopTimestamp !== undefined && credentials.password !== undefined && md5Available();
  if (offer.secure) return sasl ?? 'USER';
  if (sasl !== undefined && CHALLENGE_RESPONSE.has(sasl)) return sasl;
  if (canApop) return 'APOP';
  return sasl ?? 'USER';
}
