/**
 * One POP3 command in flight: its line, how its answer is framed, and the promise of its result.
 *
 * The client keeps exchanges in a queue and routes each server frame to the head; an exchange
 * never sees a socket, only status lines and multi-line data.
 *
 * @packageDocumentation
 */
import { AuthenticationError, ProtocolError, ServerError, type MailwireError } from '../common/errors.js';
import type { Secret } from '../common/secret.js';
import type { Pop3CommandLine, Pop3Status } from './codec.js';

/**
 * Marks a rejection as handled, where whoever needs the error sees it elsewhere (one function for
 * every use, not a closure each).
 */
export function ignoreRejection(): void {
  // Whoever awaits the result still sees the error.
}

/** What follows the status line an exchange has just read. */
export type StatusOutcome =
  /** The exchange is complete. */
  | 'done'
  /** Multi-line data follows, up to the terminator line (RFC 1939 section 3). */
  | 'data'
  /** More status lines follow (a SASL exchange continues). */
  | 'more';

/** How an exchange behaves in the queue. */
export interface ExchangeOptions {
  /** See {@link Exchange.barrier}. */
  readonly barrier?: boolean;
  /** `-ERR` is an AuthenticationError. */
  readonly authentication?: boolean;
  /** See {@link Exchange.loginStep}. */
  readonly loginStep?: boolean;
  /** See {@link Exchange.startsTls}. */
  readonly startsTls?: boolean;
  /** See {@link Exchange.messageNumber}. */
  readonly messageNumber?: number;
  /** See {@link Exchange.deletes}. */
  readonly deletes?: boolean;
}

/** The parts an exchange writes: its command line, or a SASL response line. */
export type ExchangeParts = readonly (string | Secret)[];

/**
 * The base of every POP3 command: owns the result promise and the mapping of `-ERR` to typed
 * errors. Subclasses read the `+OK` answer.
 */
export abstract class Exchange<T> {
  /** The command as written, secrets redacted: for errors and logs. */
  readonly display: string;
  /** The line the client writes. */
  readonly parts: ExchangeParts;
  /**
   * Sent only when nothing else is in flight, and nothing is sent after it until it completes:
   * commands that change the session's state or the connection (STLS, AUTH, USER, PASS, APOP,
   * QUIT), which RFC 2449 section 6.6 does not let a client pipeline past.
   */
  readonly barrier: boolean;
  /** STLS: the TLS handshake starts right after a `+OK` to this command. */
  readonly startsTls: boolean;
  /**
   * USER, PASS, APOP, AUTH: a step of the login, whose answer decides the session's state. A `+OK`
   * to PASS, APOP or AUTH logs in (and locks the maildrop); after a `+OK` to USER the server takes
   * only PASS or QUIT, not USER or APOP again (RFC 1939 section 7). Once written, the command cannot
   * be taken back: an abort or timeout of its call then closes the connection, since the session's
   * state is unknown (see `CommandQueue.guard`).
   */
  readonly loginStep: boolean;
  /** The message the command names (RETR, TOP, DELE), if any. */
  readonly messageNumber: number | undefined;
  /** DELE: the command marks {@link Exchange.messageNumber} deleted. */
  readonly deletes: boolean;
  /** Resolves or rejects once, when the exchange completes. */
  readonly result: Promise<T>;
  /** True once the result settled. */
  settled = false;
  /** True once the command was handed to the connection: the server may have it, answered or not. */
  written = false;
  /**
   * Queued ahead of need: a `retrieveMany` window's RETR that nobody awaits yet. Every other
   * command has somebody waiting for its answer, and while one is queued, bodies ahead of it do
   * not hold the connection back (see `CommandQueue.awaiting`).
   */
  prefetch = false;
  /**
   * Queued in its place but not to be written yet: the queue writes nothing from it on until
   * `CommandQueue.release`. PASS waits so behind USER for its answer, since after a `+OK` to USER
   * the server takes only PASS or QUIT (RFC 1939 section 7): no command issued meanwhile may go
   * between them.
   */
  held = false;
  /**
   * The call was aborted while this login step was in flight, and the exchange takes itself back
   * on the wire instead of the connection closing (see {@link Exchange.cancelOnWire}): a `+OK`
   * read now means the server logged in anyway, and the client then closes the connection.
   */
  cancelledOnWire = false;
  /** Called once when the result settles (the queue's count of awaited commands). */
  settledHook: (() => void) | undefined = undefined;
  /** Whether `-ERR` means wrong credentials (AuthenticationError) rather than a refused command. */
  protected readonly authentication: boolean;

  #resolve!: (value: T) => void;
  #reject!: (error: MailwireError) => void;

  /**
   * @param line - the encoded command line.
   * @param options - barrier and authentication semantics.
   */
  constructor(line: Pop3CommandLine, options: ExchangeOptions = {}) {
    this.display = line.display;
    this.parts = line.parts;
    this.barrier = options.barrier ?? false;
    this.startsTls = options.startsTls ?? false;
    this.loginStep = options.loginStep ?? false;
    this.messageNumber = options.messageNumber;
    this.deletes = options.deletes ?? false;
    this.authentication = options.authentication ?? false;
    this.result = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // The client may reject an exchange nobody awaits (a pipelined batch dropped mid-way).
    this.result.catch(ignoreRejection);
  }

  /**
   * Reads the status line that answers this command (or a continuation, for AUTH). The default
   * maps `-ERR` to a typed error and `+OK` to {@link Exchange.onOk}.
   */
  onStatus(status: Pop3Status): StatusOutcome {
    if (status.kind === 'err') {
      this.onErr(status);
      this.fail(this.errorFor(status));
      return 'done';
    }
    if (status.kind === 'continue') return this.onContinue(status);
    return this.onOk(status);
  }

  /**
   * May be written before `prefetched`, a RETR queued ahead of need by a `retrieveMany` window
   * (not awaited yet, so its place in line is the client's choice): yes, unless this command
   * changes the session for everything after it (QUIT and the other barriers) or deletes that
   * very message, which the loop asked for before it asked for the deletion.
   */
  mayPass(prefetched: Exchange<unknown>): boolean {
    return !this.barrier && !(this.deletes && this.messageNumber === prefetched.messageNumber);
  }

  /** Reads `+OK`; returns `'data'` when multi-line data follows. */
  protected abstract onOk(status: Pop3Status): StatusOutcome;

  /** Hook for the state an `-ERR` must undo (a DELE that failed). */
  protected onErr(_status: Pop3Status): void {
    // Most commands have nothing to undo.
  }

  /**
   * The call was aborted while this {@link Exchange.loginStep} was in flight: true when the exchange
   * can take itself back on the wire (AUTH answers the server's next challenge with `*`, RFC 5034
   * section 4), so that the connection may stay open until the server's answer; false (the
   * default: USER, PASS, APOP) when the connection must close, since the session's state is unknown.
   */
  cancelOnWire(): boolean {
    return false;
  }

  /** Taken back before it was written (an abort or a timeout): undoes what issuing it did. */
  onWithdrawn(): void {
    // Most commands have nothing to undo.
  }

  /** A continuation line; only AUTH expects one, so the default is a protocol violation. */
  protected onContinue(_status: Pop3Status): StatusOutcome {
    throw new ProtocolError(`Unexpected continuation line in answer to ${this.display}`);
  }

  /** A chunk of multi-line data, dot-unstuffed; a view valid only during the call. */
  onData(_chunk: Uint8Array): void {
    // Overridden by multi-line commands.
  }

  /** The terminator line ended the multi-line data. */
  onDataEnd(): void {
    // Overridden by multi-line commands.
  }

  /** The line to write next, when the exchange has one (a SASL response); taken once. */
  takeResponse(): ExchangeParts | undefined {
    return undefined;
  }

  /** The typed error for an `-ERR` answer. */
  errorFor(status: Pop3Status): MailwireError {
    const info = { command: this.display, status: '-ERR', responseCode: status.responseCode, serverText: status.text };
    return this.authentication ? new AuthenticationError(info) : new ServerError(info);
  }

  /** Settles with a value. */
  protected succeed(value: T): void {
    if (this.settled) return;
    this.#settle();
    this.#resolve(value);
  }

  /** Settles with an error (a refusal, an abort, a lost connection). */
  fail(error: MailwireError): void {
    if (this.settled) return;
    this.#settle();
    this.#reject(error);
  }

  #settle(): void {
    this.settled = true;
    const hook = this.settledHook;
    this.settledHook = undefined;
    hook?.();
  }
}
