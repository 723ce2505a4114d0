/**
 * The tag table of an IMAP session: commands waiting to be written, commands in flight, literal
 * continuations and streamed literals, flow control of the socket on behalf of body streams, and
 * the routing of responses to the command they answer. The connection's lifecycle (greeting,
 * STARTTLS, close) stays with the client (client.ts); see "IMAP client" in docs/internals.md.
 *
 * @internal
 * @packageDocumentation
 */

import {
  ConnectionClosedError,
  InvalidArgumentError,
  MailwireError,
  ProtocolError,
  TimeoutError,
  abortErrorFrom,
  type LimitExceededError,
} from '../common/errors.js';
import type { Connection } from '../common/connector.js';
import { callOptionsError } from '../common/options.js';
import type { Secret } from '../common/secret.js';
import { imap4rev2InUse } from './commands/mailboxes.js';
import { copyLiteralStream, releaseSource } from './literal-stream.js';
import { commandError } from './routing.js';
import type { CommandContext, ImapCallOptions, ImapCommand, ImapState } from './session.js';
import type { BodySink, BodyStart, ResponseAssembler, UnreadableFetch } from './wire/assembler.js';
import type { CommandArg } from './wire/command-args.js';
import { encodeCommand, encodeContinuation, type CommandFragment } from './wire/encoder.js';
import type { ContinuationResponse, ImapResponse, TaggedStatusResponse } from './wire/response-types.js';

/** One command from its call to its settlement. */
interface Pending {
  readonly command: ImapCommand<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: MailwireError) => void;
  tag: string;
  fragments: CommandFragment[];
  next: number;
  settled: boolean;
  interrupted: boolean;
  /** `command.failed` was called: it is called at most once (a broken literal, then the connection's end). */
  failedReported: boolean;
  /** The server may stay silent: IDLE after its `+`, until the client sends DONE. */
  silent: boolean;
  context: CommandContext | undefined;
  /** Settles when the command's streamed literal, once begun, has ended (sent whole or failed). */
  literalCopied: Promise<void> | undefined;
}

/** A streamed literal being copied to the socket: nothing else is written until it ends. */
interface LiteralStreamCopy {
  readonly pending: Pending;
  /** Ends the copy early (abort, timeout, connection lost); the connection is then closed. */
  readonly stop: (error: MailwireError) => void;
  /**
   * Bounds a wait for the caller's source after the command was answered (see
   * {@link CommandPipeline.armTimeout}); undefined when no such wait is being timed.
   */
  sourceTimer: ReturnType<typeof setTimeout> | undefined;
}

/** What the pipeline reads from, and asks of, the client that owns it. */
export interface PipelineHost {
  /** The connection, once open. */
  readonly transport: Connection | undefined;
  /** True once the greeting is in and while no TLS handshake is under way: commands may be written. */
  readonly ready: boolean;
  readonly state: ImapState;
  readonly capabilities: ReadonlySet<string>;
  /** What ENABLE turned on, upper-cased (`IMAP4REV2`, `UTF8=ACCEPT`). */
  readonly enabled: ReadonlySet<string>;
  readonly assembler: ResponseAssembler;
  /** How long an in-flight command may wait for the server, ms. */
  readonly commandTimeout: number;
  /** Mailbox names listed in a form their encoding does not give back (see EncoderOptions.listedNames). */
  readonly listedNames: ReadonlyMap<string, string>;
  /**
   * A streamed literal could not be completed on `transport`, or a login was cancelled after it was
   * sent: the connection must close (neither can be taken back), unless the session is already over.
   */
  breakConnection(transport: Connection, message: string, cause: MailwireError): void;
}


/** The tag table and the writing side of a session (see the module comment). */
export class CommandPipeline {
  readonly #host: PipelineHost;
  #queue: Pending[] = [];
  #inFlight: Pending[] = [];
  /** The command whose synchronizing literal waits for the server's `+`. */
  #writer: Pending | undefined;
  #streaming: LiteralStreamCopy | undefined;
  #tagCounter = 0;
  readonly #pauseRequests = new Map<object, Pending>();
  #paused = false;

  constructor(host: PipelineHost) {
    this.#host = host;
  }

  /** True while a command that authenticates is in flight and none of its literals is pending (for the wire log). */
  get authenticating(): boolean {
    return this.#writer === undefined && this.#inFlight.some((pending) => pending.command.authentication === true);
  }

  /**
   * True while a SELECT or EXAMINE is in flight: the mailbox selected before is already deselected
   * (RFC 9051 section 6.3.2), and the untagged data describes the one being opened.
   */
  get selecting(): boolean {
    // Counted, not searched for: this is asked at every untagged response.
    return this.#selectsInFlight > 0;
  }

  /** SELECT and EXAMINE commands in the tag table (see {@link CommandPipeline.selecting}). */
  #selectsInFlight = 0;

  /** The mailbox the SELECT or EXAMINE written last opens (its name as the caller gave it). */
  #opening: string | null = null;

  /** The mailbox the SELECT or EXAMINE in flight opens, or null when none is in flight. */
  get openingMailbox(): string | null {
    return this.#selectsInFlight > 0 ? this.#opening : null;
  }

  /**
   * Queues a command (the client has checked that the session is open) and writes what can be
   * written; the promise settles with the command's result or a MailwireError.
   */
  submit<T>(command: ImapCommand<T>, options: ImapCallOptions): Promise<T> {
    const invalid = callOptionsError(options);
    if (invalid !== undefined) return refuse(command, invalid);
    const { signal, timeout } = options;
    if (signal?.aborted === true) return refuse(command, abortErrorFrom(signal, command.display ?? command.name));
    let pending!: Pending;
    const result = new Promise<T>((resolve, reject) => {
      pending = {
        command: command,
        resolve: resolve as (value: unknown) => void,
        reject,
        tag: '',
        fragments: [],
        next: 0,
        settled: false,
        interrupted: false,
        failedReported: false,
        silent: false,
        context: undefined,
        literalCopied: undefined,
      };
    });
    this.#queue.push(pending);
    this.pump();
    if (signal === undefined && timeout === undefined) return result;
    const cancel = (error: MailwireError): void => {
      const index = this.#queue.indexOf(pending);
      if (index !== -1) this.#queue.splice(index, 1);
      const written = index === -1 && !pending.settled && this.#inFlight.includes(pending);
      this.#settle(pending, error);
      if (this.#streaming?.pending === pending) {
        // Half a literal cannot be taken back: stopping its stream closes the connection.
        this.#streaming.stop(error);
      } else if (written && command.logsIn === true && command.cancel?.(this.#contextOf(pending)) === true) {
        // Withdrawn on the wire (AUTHENTICATE's `*`): its tagged answer is awaited, for no longer
        // than the command timeout, counted from now.
        this.armTimeout();
      } else if (written && command.logsIn === true) {
        // The server may have logged in already: the session's state is unknown, so it ends.
        const transport = this.#host.transport;
        const what = command.display ?? command.name;
        if (transport !== undefined) this.#host.breakConnection(transport, `Connection closed: ${what} was cancelled after it was sent, so whether it logged in is unknown`, error);
      }
      this.#updateFlow();
    };
    const onAbort = (): void => {
      if (signal !== undefined) cancel(abortErrorFrom(signal, command.display ?? command.name));
    };
    const timer = timeout === undefined ? undefined : setTimeout(() => {
      cancel(new TimeoutError('command', timeout));
    }, timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    // A streamed literal may still be copied after the answer (RFC 7888: the bytes of a
    // non-synchronizing literal are owed even then): the signal and the timer still stop it.
    const release = (): void => {
      void (pending.literalCopied ?? Promise.resolve()).then(cleanup, cleanup);
    };
    result.then(release, release);
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Writing
  // ---------------------------------------------------------------------------------------------

  /** Writes queued commands, as far as exclusive commands, literals and the connection allow. */
  pump(): void {
    const host = this.#host;
    const transport = host.transport;
    // After LOGOUT's OK the session is over: what is queued fails when the connection closes.
    if (transport === undefined || transport.closed || !host.ready || host.state === 'logout') return;
    this.#abandonOwedLiteralForLogout();
    while (this.#queue.length > 0 && this.#writer === undefined && this.#streaming === undefined) {
      const exclusive = this.#inFlight.find((pending) => pending.command.exclusive === true);
      // A background command (IDLE) gives its place to any command queued after it.
      const index = this.#firstForeground();
      if (exclusive !== undefined) {
        if (index !== -1 && !exclusive.interrupted && exclusive.command.interrupt !== undefined) {
          exclusive.interrupted = true;
          exclusive.command.interrupt(this.#contextOf(exclusive));
        }
        break;
      }
      const next = this.#queue[index === -1 ? 0 : index]!;
      if (next.command.exclusive === true && this.#inFlight.length > 0) break;
      if (index <= 0) this.#queue.shift();
      else this.#queue.splice(index, 1);
      if (next.settled) continue;
      const states = next.command.states;
      if (states !== undefined && !states.includes(host.state)) {
        this.#settle(next, new InvalidArgumentError(`${next.command.display ?? next.command.name} is not allowed in the ${host.state} state`));
        continue;
      }
      // Read once (see ImapCommand.args): the encoder and the name of the mailbox a SELECT opens.
      let args: readonly CommandArg[];
      try {
        args = next.command.args ?? [];
        next.tag = `A${String(++this.#tagCounter)}`;
        next.fragments = encodeCommand(next.tag, next.command.name, args, {
          literalPlus: host.capabilities.has('LITERAL+'),
          // RFC 9051 includes LITERAL- in IMAP4rev2: a server speaking it need not list it apart.
          literalMinus: host.capabilities.has('LITERAL-') || imap4rev2InUse(host),
          utf8Accept: host.assembler.utf8Accept,
          listedNames: host.listedNames,
        });
      } catch (error) {
        this.#settle(next, error instanceof MailwireError ? error : new InvalidArgumentError(String(error)));
        continue;
      }
      this.#inFlight.push(next);
      if (streamsBodies(next)) host.assembler.bodyStreams = true;
      if (selects(next)) {
        this.#selectsInFlight++;
        const [name] = args;
        this.#opening = name?.kind === 'mailbox' ? name.name : null;
      }
      if (!this.#writeFragments(next)) return;
    }
    this.#updateFlow();
    this.armTimeout();
  }

  /**
   * LOGOUT waits behind a streamed literal whose command was already answered (a NO under
   * LITERAL+): its bytes are owed only to keep the session going, and the session is ending. Rather
   * than wait for a source that may stall until the command timeout, the copy is stopped, which
   * closes the connection; LOGOUT then ends with it (logout() does not reject on a lost connection).
   */
  #abandonOwedLiteralForLogout(): void {
    const streaming = this.#streaming;
    if (streaming === undefined || this.#inFlight.includes(streaming.pending)) return;
    if (!this.#logoutQueued()) return;
    const what = streaming.pending.command.display ?? streaming.pending.command.name;
    streaming.stop(new ConnectionClosedError(`LOGOUT was called while the rest of the literal of ${what}, already answered, was still being sent`));
  }

  /** True while a LOGOUT waits in the queue. */
  #logoutQueued(): boolean {
    return this.#queue.some((pending) => pending.command.name === 'LOGOUT' && !pending.settled);
  }

  /** The index of the first queued command that is not a background one; -1 when there is none. */
  #firstForeground(): number {
    const queue = this.#queue;
    for (let index = 0; index < queue.length; index++) if (queue[index]!.command.background !== true) return index;
    return -1;
  }

  /**
   * Writes fragments up to the next synchronizing literal, or up to a streamed literal (whose copy
   * resumes the writing when it ends); false when the connection is gone.
   */
  #writeFragments(pending: Pending): boolean {
    const transport = this.#host.transport;
    if (transport === undefined) return false;
    try {
      while (pending.next < pending.fragments.length) {
        const fragment = pending.fragments[pending.next]!;
        if (fragment.kind !== 'line' && fragment.mode === 'sync' && this.#writer !== pending) {
          this.#writer = pending; // the `+` go-ahead releases it
          return true;
        }
        this.#writer = undefined;
        pending.next++;
        if (fragment.kind === 'literal-stream') {
          this.#copyLiteralStream(pending, fragment, transport);
          return true;
        }
        transport.write(fragment.kind === 'line' ? fragment.parts : [fragment.secret ?? fragment.bytes]);
      }
      this.#writer = undefined;
      return true;
    } catch (error) {
      transport.destroy(error instanceof MailwireError ? error : undefined);
      return false;
    }
  }

  /**
   * Starts copying a streamed literal (see literal-stream.ts). When it fails, the call rejects and
   * the connection is closed: every other pending command rejects with a ConnectionClosedError
   * whose `cause` says why.
   */
  #copyLiteralStream(pending: Pending, fragment: Extract<CommandFragment, { kind: 'literal-stream' }>, transport: Connection): void {
    const what = pending.command.display ?? pending.command.name;
    const copy = copyLiteralStream({
      what,
      size: fragment.size,
      source: fragment.source,
      cancelled: () => pending.settled,
      waitingOnSource: (waiting) => {
        // Waiting for the caller's source is not the server's silence: no command timeout meanwhile.
        pending.silent = waiting;
        this.armTimeout();
      },
      write: (chunk) => {
        transport.write([chunk]);
      },
      drained: () => transport.drained(),
    });
    const streaming: LiteralStreamCopy = { pending, stop: copy.stop, sourceTimer: undefined };
    this.#streaming = streaming;
    pending.literalCopied = copy.done.then(
      () => {
        clearTimeout(streaming.sourceTimer);
        this.#streaming = undefined;
        pending.silent = false;
        if (this.#writeFragments(pending)) this.pump();
      },
      (error: unknown) => {
        const failure = error as MailwireError; // copyLiteralStream rejects with MailwireErrors only
        clearTimeout(streaming.sourceTimer);
        if (this.#streaming === streaming) this.#streaming = undefined;
        if (!pending.settled) {
          this.#reportFailed(pending, failure);
          this.#settle(pending, failure);
        }
        this.#host.breakConnection(transport, `Connection closed: ${what} could not complete its ${fragment.size}-byte literal`, failure);
      },
    );
  }

  #contextOf(pending: Pending): CommandContext {
    // Called for every response routed to a command: the context (and its closures) is made once.
    if (pending.context !== undefined) return pending.context;
    const othersWaiting = (target: Pending): boolean =>
      this.#firstForeground() !== -1 || this.#inFlight[this.#inFlight.length - 1] !== target;
    pending.context = {
      sendLine: (text: string | Secret) => {
        const transport = this.#host.transport;
        if (transport === undefined || transport.closed) return; // the connection's end settles the command
        try {
          transport.write(lineParts(text));
          pending.silent = false; // an answer is due again
          this.armTimeout();
        } catch (error) {
          // Closing: the pending command is failed by the connection's end; a bad line is the command's bug.
          if (!(error instanceof ConnectionClosedError)) throw error;
        }
      },
      pauseInput: () => {
        const token = {};
        this.#pauseRequests.set(token, pending);
        this.#updateFlow();
        return () => {
          if (this.#pauseRequests.delete(token)) this.#updateFlow();
        };
      },
      get othersWaiting(): boolean {
        return othersWaiting(pending);
      },
    };
    return pending.context;
  }

  /** Pauses reading while a stream asks for it and nothing issued after the asker waits. */
  #updateFlow(): void {
    let pause = false;
    for (const pending of this.#pauseRequests.values()) {
      if (pending.settled || !this.#inFlight.includes(pending)) continue;
      if (this.#firstForeground() === -1 && this.#inFlight[this.#inFlight.length - 1] === pending) pause = true;
    }
    if (pause === this.#paused) return;
    this.#paused = pause;
    const transport = this.#host.transport;
    if (pause) transport?.pause();
    else transport?.resume();
  }

  /**
   * Runs the command timeout while an in-flight command waits for the server, and only then. A
   * streamed literal still being copied after its command was answered (a NO under LITERAL+) holds
   * the connection for nobody's call: waiting for the server to take its bytes counts as a command
   * waiting, and a wait for the caller's source is bounded by the command timeout too (when it runs
   * out the copy fails with a TimeoutError, which closes the connection). So is a wait for the
   * source of a command not yet answered once LOGOUT waits behind it: before that, the call's own
   * signal and timeout bound it, but logout() must not wait forever.
   */
  armTimeout(): void {
    const host = this.#host;
    const transport = host.transport;
    if (transport === undefined || transport.closed || !host.ready) return;
    const streaming = this.#streaming;
    const answered = streaming !== undefined && !this.#inFlight.includes(streaming.pending) ? streaming : undefined;
    const bounded = answered ?? (streaming !== undefined && this.#logoutQueued() ? streaming : undefined);
    if (bounded?.pending.silent === true) {
      bounded.sourceTimer ??= setTimeout(() => {
        bounded.stop(new TimeoutError('command', host.commandTimeout));
      }, host.commandTimeout);
    } else if (streaming?.sourceTimer !== undefined) {
      clearTimeout(streaming.sourceTimer);
      streaming.sourceTimer = undefined;
    }
    const waiting = this.#inFlight.some((pending) => !pending.silent) || answered?.pending.silent === false;
    if (waiting) transport.armTimeout('command', host.commandTimeout);
    else transport.disarmTimeout();
  }

  /** Tells the command it failed, once. */
  #reportFailed(pending: Pending, error: MailwireError): void {
    if (pending.failedReported) return;
    pending.failedReported = true;
    pending.command.failed?.(error);
  }

  #settle(pending: Pending, outcome: MailwireError | { value: unknown }): void {
    if (pending.settled) return;
    pending.settled = true;
    releaseUnsent(pending);
    if (outcome instanceof MailwireError) pending.reject(outcome);
    else pending.resolve(outcome.value);
  }

  // ---------------------------------------------------------------------------------------------
  // Routing what the server sends
  // ---------------------------------------------------------------------------------------------

  /**
   * A `+`: the go-ahead for the literal being written, else for the newest command that takes
   * continuations (AUTHENTICATE, IDLE). Returns false when no command wants it.
   */
  continuation(response: ContinuationResponse): boolean {
    const writer = this.#writer;
    if (writer !== undefined) {
      if (this.#writeFragments(writer)) this.pump();
      return true;
    }
    const target = this.#inFlight.findLast((pending) => pending.command.continuation !== undefined);
    if (target === undefined) return false;
    // RFC 2177: once idling, the server may say nothing for as long as it likes.
    if (target.command.name === 'IDLE') target.silent = true;
    target.command.continuation?.(response, this.#contextOf(target));
    this.armTimeout();
    return true;
  }

  /** Offers an untagged response to the commands in flight, oldest first; true when one took it. */
  untagged(response: ImapResponse): boolean {
    // Indexed: called for every response, often before the engine optimises it (an iterator and
    // its result objects would be made each time).
    const inFlight = this.#inFlight;
    for (let i = 0; i < inFlight.length; i++) {
      const pending = inFlight[i]!;
      if (pending.command.untagged?.(response, this.#contextOf(pending)) === true) return true;
    }
    return false;
  }

  /** A FETCH body literal begins: the first command in flight that claims it gets its bytes. */
  bodyStart(start: BodyStart): BodySink | null {
    const inFlight = this.#inFlight;
    for (let i = 0; i < inFlight.length; i++) {
      const pending = inFlight[i]!;
      const sink = pending.command.bodyStart?.(start, this.#contextOf(pending)) ?? null;
      if (sink !== null) return sink;
    }
    return null;
  }

  /**
   * A tagged completion settles its command; false when no command has that tag. `observe` sees
   * the response first (the client reads its CAPABILITY code before the command's result is made).
   */
  tagged(response: TaggedStatusResponse, observe: () => void): boolean {
    const pending = this.#inFlight.find((candidate) => candidate.tag === response.tag);
    if (pending === undefined) return false;
    this.#retire(pending);
    observe();
    const command = pending.command;
    if (response.status === 'OK') {
      let outcome: MailwireError | { value: unknown };
      try {
        outcome = { value: command.done(response, this.#contextOf(pending)) };
      } catch (error) {
        outcome = error instanceof MailwireError ? error : new ProtocolError(`${command.name} failed`, {}, { cause: error });
        this.#reportFailed(pending, outcome);
      }
      this.#settle(pending, outcome);
    } else {
      const error = commandError(command, response);
      this.#reportFailed(pending, error);
      this.#settle(pending, error);
    }
    this.pump();
    return true;
  }

  /** A response that could not be read fails the command of its tag; false when there is none. */
  responseError(error: ProtocolError | LimitExceededError, tag: string | null): boolean {
    const pending = tag === null ? undefined : this.#inFlight.find((candidate) => candidate.tag === tag);
    if (pending === undefined) return false;
    this.#retire(pending);
    this.#reportFailed(pending, error);
    this.#settle(pending, error);
    this.pump();
    return true;
  }

  /** An untagged `* seq FETCH` could not be read: the first command in flight that may have lost it takes the error. */
  unreadableFetch(error: ProtocolError | LimitExceededError, fetch: UnreadableFetch): boolean {
    for (const pending of this.#inFlight) if (pending.command.unreadableFetch?.(error, fetch) === true) return true;
    return false;
  }

  /** Another untagged response could not be read: the first command in flight that may have asked for it takes the error. */
  unreadableUntagged(error: ProtocolError | LimitExceededError, name: string): boolean {
    for (const pending of this.#inFlight) if (pending.command.unreadableUntagged?.(error, name) === true) return true;
    return false;
  }

  /** The command's tagged response arrived: it leaves the tag table and its pause requests lapse. */
  #retire(pending: Pending): void {
    this.#inFlight.splice(this.#inFlight.indexOf(pending), 1);
    if (streamsBodies(pending)) this.#host.assembler.bodyStreams = this.#inFlight.some(streamsBodies);
    if (selects(pending)) this.#selectsInFlight--;
    if (this.#writer === pending) this.#writer = undefined;
    for (const [token, owner] of this.#pauseRequests) if (owner === pending) this.#pauseRequests.delete(token);
  }

  /** The session is over: every command in flight or queued fails with `error`, at once. */
  failAll(error: MailwireError): void {
    const pending = [...this.#inFlight, ...this.#queue];
    this.#inFlight = [];
    this.#selectsInFlight = 0;
    this.#queue = [];
    this.#writer = undefined;
    const streaming = this.#streaming;
    this.#streaming = undefined;
    streaming?.stop(error);
    this.#pauseRequests.clear();
    this.#fail(pending, error);
  }

  /**
   * Nothing more will be written (LOGOUT is answered): the commands still queued fail with `error`,
   * at once, while those in flight (LOGOUT itself) wait for their answers.
   */
  failQueued(error: MailwireError): void {
    const queued = this.#queue;
    this.#queue = [];
    this.#fail(queued, error);
  }

  #fail(pending: readonly Pending[], error: MailwireError): void {
    for (const each of pending) {
      this.#reportFailed(each, error);
      this.#settle(each, error);
    }
  }
}

/**
 * Rejects a command that will not be sent, releasing the sources of its streamed literals
 * (see {@link releaseSource}): a stream handed to a call is read to its end or stopped.
 */
export function refuse(command: ImapCommand<unknown>, error: MailwireError): Promise<never> {
  releaseLiteralSources(command.args ?? []);
  return Promise.reject(error);
}

/**
 * The command is settled: the streamed literals it has not begun to send never will be (a literal
 * refused with NO, a call aborted while waiting for `+` or queued, the connection lost). A copy
 * already begun releases its own source when it fails.
 */
function releaseUnsent(pending: Pending): void {
  const { fragments } = pending;
  if (fragments.length === 0) {
    // Never encoded (withdrawn from the queue, refused by state): its arguments are all unsent.
    releaseLiteralSources(pending.command.args ?? []);
    return;
  }
  for (let index = pending.next; index < fragments.length; index++) {
    const fragment = fragments[index]!;
    if (fragment.kind === 'literal-stream') releaseSource(fragment.source);
  }
}

function releaseLiteralSources(args: readonly CommandArg[]): void {
  for (const arg of args) if (arg.kind === 'literal-stream') releaseSource(arg.source);
}

/** Is this a SELECT or EXAMINE (see {@link CommandPipeline.selecting})? */
function selects(pending: Pending): boolean {
  return pending.command.name === 'SELECT' || pending.command.name === 'EXAMINE';
}

/** Whether the command may stream FETCH bodies (see ResponseAssembler.bodyStreams). */
function streamsBodies(pending: Pending): boolean {
  return pending.command.bodyStart !== undefined && pending.command.streamsBodies !== false;
}

function lineParts(text: string | Secret): readonly (string | Secret)[] {
  const fragment = encodeContinuation(text)[0];
  return fragment?.kind === 'line' ? (fragment.parts as readonly (string | Secret)[]) : [];
}
