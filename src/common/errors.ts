/**
 * The error hierarchy of mailwire.
 *
 * Every error the library throws or rejects with is a {@link MailwireError}, and each
 * carries a stable, machine-readable {@link MailwireError.code | code}, so callers can
 * branch on `err.code` (or `instanceof`) instead of parsing messages.
 *
 * @packageDocumentation
 */

/** The stable codes carried by {@link MailwireError.code}. */
export type MailwireErrorCode =
  | 'CONNECTION_FAILED'
  | 'CONNECTION_CLOSED'
  | 'TIMEOUT'
  | 'TLS'
  | 'AUTHENTICATION_FAILED'
  | 'SERVER_REJECTED'
  | 'PROTOCOL'
  | 'LIMIT_EXCEEDED'
  | 'ABORTED'
  | 'INVALID_ARGUMENT'
  | 'UNSUPPORTED'
  | 'UIDVALIDITY_CHANGED';

/** Options accepted by every mailwire error constructor. */
export interface MailwireErrorOptions {
  /** The lower-level error that caused this one. */
  readonly cause?: unknown;
}

/**
 * Base class of every error mailwire throws.
 *
 * @example
 * ```ts
 * try {
 *   await client.connect();
 * } catch (err) {
 *   if (err instanceof MailwireError && err.code === 'TIMEOUT') retryLater();
 * }
 * ```
 */
export class MailwireError extends Error {
  /** A stable, machine-readable code naming the kind of failure. */
  readonly code: MailwireErrorCode;

  /**
   * @param code - the stable code of this error.
   * @param message - a human-readable description.
   * @param options - optional cause.
   */
  constructor(code: MailwireErrorCode, message: string, options?: MailwireErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/** The TCP or TLS connection could not be established (refused, unreachable, DNS failure). */
export class ConnectionFailedError extends MailwireError {
  /**
   * @param message - what failed.
   * @param options - optional cause (the Node socket error).
   */
  constructor(message: string, options?: MailwireErrorOptions) {
    super('CONNECTION_FAILED', message, options);
  }
}

/**
 * What a server said as it ended the session itself (IMAP's `* BYE [UNAVAILABLE] Shutting down`),
 * carried by {@link ConnectionClosedError}.
 */
export type ServerClosingInfo = Omit<ServerResponseInfo, 'command'>;

/** Options of the {@link ConnectionClosedError} constructor. */
export interface ConnectionClosedErrorOptions extends MailwireErrorOptions {
  /** The server's closing response, when the server ended the session and said why. */
  readonly server?: ServerClosingInfo | undefined;
}

/**
 * The connection closed, or was closed, while something was still expected of it.
 *
 * Every operation pending at that moment rejects with this error. When the server ended the
 * session with a response (IMAP's `* BYE`), its status, response code and text are carried as on
 * {@link ServerError}; a call made afterwards is refused with an error whose `cause` is that one.
 *
 * @example
 * ```ts
 * try {
 *   await client.noop();
 * } catch (err) {
 *   if (err instanceof ConnectionClosedError && err.responseCode === 'UNAVAILABLE') retryLater();
 * }
 * ```
 */
export class ConnectionClosedError extends MailwireError {
  // Declared, not defined: an error of a connection that just closed shows no empty fields.
  /** `BYE` when the server ended the session with a response; undefined when the connection just closed or was closed. */
  declare readonly status?: string | undefined;
  /** {@inheritDoc ServerResponseInfo.responseCode} */
  declare readonly responseCode?: ResponseCodeName | undefined;
  /** {@inheritDoc ServerResponseInfo.responseCodeData} */
  declare readonly responseCodeData?: string | undefined;
  /** The server's human-readable text of its closing response, if it sent one. */
  declare readonly serverText?: string | undefined;

  /**
   * @param message - what was pending when the connection closed (the server's closing response,
   *   when given, is appended: `The server closed the session: BYE [UNAVAILABLE] Shutting down`).
   * @param options - optional cause, and the server's closing response.
   */
  constructor(message: string, options?: ConnectionClosedErrorOptions) {
    super('CONNECTION_CLOSED', options?.server === undefined ? message : describe(message, options.server), options);
    const server = options?.server;
    if (server === undefined) return;
    this.status = server.status;
    this.responseCode = server.responseCode;
    this.responseCodeData = server.responseCodeData;
    this.serverText = server.serverText;
  }
}

/** Which wait ran out of time, carried by {@link TimeoutError.phase}. */
export type TimeoutPhase = 'connect' | 'tls' | 'greeting' | 'command' | 'idle';

/** A connect, handshake, greeting or response did not arrive in the configured time. */
export class TimeoutError extends MailwireError {
  /** Which wait ran out. */
  readonly phase: TimeoutPhase;
  /** The limit that was exceeded, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param phase - which wait ran out.
   * @param timeoutMs - the configured limit in milliseconds.
   * @param options - optional cause.
   */
  constructor(phase: TimeoutPhase, timeoutMs: number, options?: MailwireErrorOptions) {
    super('TIMEOUT', `Timed out after ${timeoutMs} ms waiting for ${phase}`, options);
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * A TLS handshake failed (for example an unverifiable certificate), TLS was required but not
 * available, or a STARTTLS/STLS upgrade was refused because the server sent data it must not send.
 */
export class TlsError extends MailwireError {
  /**
   * @param message - what went wrong.
   * @param options - optional cause (the Node TLS error).
   */
  constructor(message: string, options?: MailwireErrorOptions) {
    super('TLS', message, options);
  }
}

/**
 * The POP3 response codes registered with IANA (RFC 2449 section 8 and the RFCs that add to it).
 * Codes are hierarchical: a client ignores levels it does not know, so `SYS/TEMP/DISK` is to be
 * read as `SYS/TEMP` (`isTransient` does).
 */
export type KnownPop3ResponseCode =
  /** RFC 2449: the maildrop is locked by another session (another client, or a stale one). Retry later; the credentials were right. */
  | 'IN-USE'
  /** RFC 2449: logins come more often than the server allows (the CAPA `LOGIN-DELAY`). Retry after that delay; the credentials were right. */
  | 'LOGIN-DELAY'
  /** RFC 3206: a temporary problem on the server (disk full, index being rebuilt). Retry later, as is. */
  | 'SYS/TEMP'
  /** RFC 3206: a lasting problem on the server or the account (disabled, moved). Do not retry as is; a person must act. */
  | 'SYS/PERM'
  /** RFC 3206: the credentials are wrong or not allowed (RFC 5034 servers say so after `AUTH`). Do not retry without new credentials. */
  | 'AUTH'
  /** RFC 6856: the command needs UTF-8 mode (the maildrop holds UTF-8 mail). Send `UTF8` before logging in, or give up on that maildrop. */
  | 'UTF8';

/**
 * A response code's name, upper-cased: one of the {@link KnownPop3ResponseCode} names (offered
 * by autocompletion) or any other a server sends (IMAP's, a vendor's), as an open string.
 */
// `string & {}` keeps the known names in editors' completion lists: a plain `| string` absorbs them.
export type ResponseCodeName = KnownPop3ResponseCode | (string & {});

/** Fields shared by errors that carry a server's answer. */
export interface ServerResponseInfo {
  /** The command that was answered, with secrets already redacted (e.g. `RETR 7`, `LOGIN`). */
  readonly command: string;
  /** The status the server answered with: `NO`, `BAD`, `BYE` (IMAP) or `-ERR` (POP3). */
  readonly status: string;
  /**
   * The bracketed response code, upper-cased, if any (`AUTHENTICATIONFAILED`, `IN-USE`, `SYS/TEMP`),
   * with every hierarchical level (`SYS/TEMP`, not `SYS`). See {@link KnownPop3ResponseCode} for
   * what the POP3 codes mean to a caller.
   */
  readonly responseCode?: ResponseCodeName | undefined;
  /**
   * What followed the response code's name inside the brackets, as sent, if anything: the
   * charsets of IMAP's `[BADCHARSET (UTF-8 US-ASCII)]`, the URL of `[REFERRAL imap://...]`.
   */
  readonly responseCodeData?: string | undefined;
  /** The server's human-readable text. */
  readonly serverText: string;
}

/** The server refused the credentials or the SASL exchange failed. */
export class AuthenticationError extends MailwireError implements ServerResponseInfo {
  /** {@inheritDoc ServerResponseInfo.command} */
  readonly command: string;
  /** {@inheritDoc ServerResponseInfo.status} */
  readonly status: string;
  /** {@inheritDoc ServerResponseInfo.responseCode} */
  readonly responseCode?: ResponseCodeName | undefined;
  /** {@inheritDoc ServerResponseInfo.responseCodeData} */
  readonly responseCodeData?: string | undefined;
  /** {@inheritDoc ServerResponseInfo.serverText} */
  readonly serverText: string;

  /**
   * @param info - the server's answer.
   * @param options - optional cause.
   */
  constructor(info: ServerResponseInfo, options?: MailwireErrorOptions) {
    super('AUTHENTICATION_FAILED', describe('Authentication failed', info), options);
    this.command = info.command;
    this.status = info.status;
    this.responseCode = info.responseCode;
    this.responseCodeData = info.responseCodeData;
    this.serverText = info.serverText;
  }
}

/** The server answered a command with `NO`, `BAD` (IMAP) or `-ERR` (POP3). */
export class ServerError extends MailwireError implements ServerResponseInfo {
  /** {@inheritDoc ServerResponseInfo.command} */
  readonly command: string;
  /** {@inheritDoc ServerResponseInfo.status} */
  readonly status: string;
  /** {@inheritDoc ServerResponseInfo.responseCode} */
  readonly responseCode?: ResponseCodeName | undefined;
  /** {@inheritDoc ServerResponseInfo.responseCodeData} */
  readonly responseCodeData?: string | undefined;
  /** {@inheritDoc ServerResponseInfo.serverText} */
  readonly serverText: string;

  /**
   * @param info - the server's answer.
   * @param options - optional cause.
   */
  constructor(info: ServerResponseInfo, options?: MailwireErrorOptions) {
    super('SERVER_REJECTED', describe(`Server rejected ${info.command}`, info), options);
    this.command = info.command;
    this.status = info.status;
    this.responseCode = info.responseCode;
    this.responseCodeData = info.responseCodeData;
    this.serverText = info.serverText;
  }
}

/** The server sent bytes that do not follow the protocol's grammar. */
export class ProtocolError extends MailwireError {
  /** Offset of the offending byte, counted from the start of the connection's input. */
  readonly offset: number | undefined;
  /** A short, printable excerpt of the bytes around the problem. */
  readonly snippet: string | undefined;

  /**
   * @param message - what was expected.
   * @param details - where in the input, and an excerpt of it.
   * @param options - optional cause.
   */
  constructor(message: string, details?: { offset?: number; snippet?: string }, options?: MailwireErrorOptions) {
    super(
      'PROTOCOL',
      details?.snippet === undefined
        ? message
        : `${message} at byte ${details.offset ?? '?'}: ${JSON.stringify(details.snippet)}`,
      options,
    );
    this.offset = details?.offset;
    this.snippet = details?.snippet;
  }
}

/** A configured limit (line length, literal size, nesting depth, ...) was exceeded. */
export class LimitExceededError extends MailwireError {
  /** The name of the option that sets the limit, e.g. `maxLineLength`. */
  readonly limit: string;
  /** The configured maximum. */
  readonly maximum: number;
  /** The size that was seen or announced. */
  readonly actual: number;

  /**
   * @param limit - the option name.
   * @param maximum - the configured maximum.
   * @param actual - what was seen.
   * @param options - optional cause.
   */
  constructor(limit: string, maximum: number, actual: number, options?: MailwireErrorOptions) {
    super('LIMIT_EXCEEDED', `${limit} exceeded: ${actual} > ${maximum}`, options);
    this.limit = limit;
    this.maximum = maximum;
    this.actual = actual;
  }
}

/** The operation was cancelled through an `AbortSignal`. */
export class AbortError extends MailwireError {
  /**
   * @param message - what was aborted.
   * @param options - optional cause (the signal's reason).
   */
  constructor(message = 'The operation was aborted', options?: MailwireErrorOptions) {
    super('ABORTED', message, options);
  }
}

/**
 * An argument was refused before anything was sent: CR, LF or NUL where the grammar forbids it,
 * an out-of-range number, an over-long argument. Also an IMAP APPEND body stream that broke its
 * stated size or failed while being sent (its error as `cause`; the connection is then closed).
 */
export class InvalidArgumentError extends MailwireError {
  /**
   * @param message - which argument and why.
   * @param options - optional cause.
   */
  constructor(message: string, options?: MailwireErrorOptions) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** The server lacks a capability the operation needs (e.g. TOP, UIDL, a SASL mechanism). */
export class UnsupportedError extends MailwireError {
  /**
   * @param message - what is missing.
   * @param options - optional cause.
   */
  constructor(message: string, options?: MailwireErrorOptions) {
    super('UNSUPPORTED', message, options);
  }
}

/**
 * An IMAP mailbox's UIDVALIDITY is not the one an id (or a watch) was issued under: the server
 * renumbered its messages, so every id of that mailbox is void. Nothing was touched; list again.
 */
export class UidValidityChangedError extends MailwireError {
  /** The mailbox. */
  readonly mailbox: string;
  /** The UIDVALIDITY the ids were issued under. */
  readonly expected: number;
  /** The mailbox's UIDVALIDITY now. */
  readonly actual: number;

  /**
   * @param mailbox - the mailbox name.
   * @param expected - the UIDVALIDITY of the ids.
   * @param actual - the current UIDVALIDITY.
   */
  constructor(mailbox: string, expected: number, actual: number) {
    super(
      'UIDVALIDITY_CHANGED',
      `UIDVALIDITY of ${JSON.stringify(mailbox)} changed from ${expected} to ${actual}: ids issued before are void (nothing was touched; list again)`,
    );
    this.mailbox = mailbox;
    this.expected = expected;
    this.actual = actual;
  }
}

function describe(prefix: string, info: ServerClosingInfo): string {
  const data = info.responseCodeData === undefined ? '' : ` ${info.responseCodeData}`;
  const code = info.responseCode === undefined ? '' : ` [${info.responseCode}${data}]`;
  return `${prefix}: ${info.status}${code} ${info.serverText}`.trimEnd();
}

/**
 * Wraps an `AbortSignal`'s reason as an {@link AbortError} (unless it already is a mailwire error).
 *
 * @internal
 */
export function abortErrorFrom(signal: AbortSignal, what: string): MailwireError {
  const reason: unknown = signal.reason;
  if (reason instanceof MailwireError) return reason;
  return new AbortError(`${what} was aborted`, { cause: reason });
}
