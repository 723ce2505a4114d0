/**
 * The contract between the IMAP client core (`client.ts`, `pipeline.ts`) and the command families
 * (`commands/*.ts`): how a command is described, how it collects its untagged data, and the
 * shared public types (session state, mailbox state, call options, mailbox events).
 *
 * @packageDocumentation
 */

import type { EventSubscription, InternalSubscriptionOptions } from './events.js';
import type { LimitExceededError, MailwireError, ProtocolError } from '../common/errors.js';
import type { CallOptions, TlsMode } from '../common/options.js';
import type { Secret } from '../common/secret.js';
import type { SaslSessionOptions } from '../common/sasl/index.js';
import type { BodySink, BodyStart, UnreadableFetch } from './wire/assembler.js';
import type { CommandArg } from './wire/command-args.js';
import type { FetchAttributes } from './wire/fetch-types.js';
import type { ResponseCode } from './wire/response-code-types.js';
import type {
  ContinuationResponse,
  ImapResponse,
  NumberRange,
  TaggedStatusResponse,
  UntaggedStatusResponse,
} from './wire/response-types.js';
import type { SeqNum, Uid } from './wire/sequence-set.js';

/** The session's state (RFC 9051 section 3). */
export type ImapState = 'not-authenticated' | 'authenticated' | 'selected' | 'logout';

/** Options of a single IMAP call: an `AbortSignal` and a timeout. */
export type ImapCallOptions = CallOptions;

/** The selected mailbox, as SELECT/EXAMINE reported it and untagged data has updated it since. */
export interface MailboxState {
  /** The mailbox name as the caller gave it. */
  readonly name: string;
  /** True after EXAMINE, or when the server answered `[READ-ONLY]`. */
  readonly readOnly: boolean;
  /**
   * UIDVALIDITY (0 when the server did not send it, which RFC 9051 forbids). When the server
   * announces another inside the session (`* OK [UIDVALIDITY n]`), every UID and MODSEQ learnt
   * before is void: {@link MailboxState.uidNext} and {@link MailboxState.highestModseq} become
   * undefined until the server sends them again.
   */
  readonly uidValidity: number;
  /**
   * UIDNEXT: the predicted UID of the next message, or undefined when it is not known. Kept current
   * by what the client hears: a `[UIDNEXT n]` code sets it, an untagged FETCH with a UID at or above
   * it raises it to that UID + 1, and new mail (EXISTS growing) makes it undefined, since the new
   * messages' UIDs are at or above the old value, until a FETCH of the last message (its UID + 1)
   * or a `[UIDNEXT]` code tells it again. Undefined too when the server did not send it.
   */
  readonly uidNext: Uid | undefined;
  /** The number of messages (EXISTS), kept current by EXISTS/EXPUNGE/VANISHED. */
  readonly exists: number;
  /**
   * RECENT (IMAP4rev1 only), kept current by `* n RECENT` and by expunges, or undefined. The
   * client does not track which messages are `\Recent`: an expunge lowers the count when every
   * message was recent, leaves 0 at 0, and otherwise makes it undefined (no longer known) until the
   * server sends RECENT again, rather than keep a number that may be wrong.
   */
  readonly recent: number | undefined;
  /**
   * The first unseen message's sequence number (`[UNSEEN n]`, IMAP4rev1), or undefined when the
   * server did not send it or it is no longer known. Kept current by what the client hears: an
   * EXPUNGE below it moves it down, FLAGS without `\Seen` for a message below it make that message
   * the first; the expunge of that message, `\Seen` on it, a VANISHED (which names UIDs, not
   * sequence numbers) or a silent STORE that may change `\Seen` (the server echoes no flags) make
   * it undefined, since the new first unseen message cannot be told.
   */
  readonly unseen: SeqNum | undefined;
  /** The flags defined in the mailbox (FLAGS). */
  readonly flags: readonly string[];
  /**
   * The flags that can be changed permanently (`[PERMANENTFLAGS]`); `\*` means new keywords may be
   * created. When the server sent no PERMANENTFLAGS, the {@link MailboxState.flags} list (RFC 3501
   * and RFC 9051: assume every flag can be changed permanently), or none in a read-only mailbox.
   */
  readonly permanentFlags: readonly string[];
  /**
   * HIGHESTMODSEQ (RFC 7162), or undefined when the server sent `[NOMODSEQ]`, `[HIGHESTMODSEQ 0]`
   * (mod-sequences start at 1: 0 means the mailbox keeps none) or nothing. A `[HIGHESTMODSEQ n]`
   * code moves it at once; the MODSEQ of a FETCH moves it only at the next tagged response (the end
   * of IDLE included), since servers need not report changes in MODSEQ order: the value is always
   * safe to save for a later QRESYNC or CHANGEDSINCE.
   */
  readonly highestModseq: bigint | undefined;
  /**
   * True when the server answered SELECT or EXAMINE with `NO [UIDNOTSTICKY]` (RFC 4315 section 3):
   * the mailbox's UIDs do not persist, UIDVALIDITY changes at each selection, and no UID of it is
   * worth keeping past this one.
   */
  readonly uidNotSticky: boolean;
}

/**
 * Something the server told about the selected mailbox (or the session) that no command asked
 * for: new messages, expunges, flag changes made elsewhere, alerts. Read them with
 * `client.events()` or `client.idle()`.
 *
 * The events about a mailbox's messages (`exists`, `recent`, `expunge`, `vanished`, `fetch`,
 * `flags`) and the untagged OK/NO/BAD ones (`status`, whose codes speak of the selected mailbox)
 * carry `mailbox`: the name of the mailbox selected when the server sent them, as it was given to
 * `select()` or `examine()` (null when none was), so that events read late can be told from those
 * of a mailbox selected since. While a SELECT or EXAMINE is in flight, the events the
 * server sent before it began to answer are the left mailbox's: the switch is the untagged
 * `OK [CLOSED]` (RFC 7162 section 3.2.11, RFC 9051 section 7.1) once QRESYNC is enabled or in an
 * IMAP4rev2 session, else the first line of its answer. After CLOSE, UNSELECT or a failed SELECT,
 * none is selected.
 */
export type MailboxEvent =
  /** `* n EXISTS`: the mailbox now holds `count` messages. */
  | { readonly kind: 'exists'; readonly count: number; readonly mailbox: string | null }
  /** `* n RECENT` (IMAP4rev1). */
  | { readonly kind: 'recent'; readonly count: number; readonly mailbox: string | null }
  /** `* n EXPUNGE`: the message with this sequence number is gone; later numbers shift down by one. */
  | { readonly kind: 'expunge'; readonly seq: SeqNum; readonly mailbox: string | null }
  /** `* VANISHED` (QRESYNC): these UIDs are gone. `earlier` when it answers a request. */
  | { readonly kind: 'vanished'; readonly uids: readonly NumberRange[]; readonly earlier: boolean; readonly mailbox: string | null }
  /** An unsolicited `* n FETCH` (usually FLAGS changed by another session). */
  | {
      readonly kind: 'fetch';
      readonly seq: SeqNum;
      readonly uid: Uid | undefined;
      readonly flags: readonly string[] | undefined;
      readonly modseq: bigint | undefined;
      readonly attributes: FetchAttributes;
      readonly mailbox: string | null;
    }
  /** `* FLAGS (...)`: the flags defined in the mailbox changed. */
  | { readonly kind: 'flags'; readonly flags: readonly string[]; readonly mailbox: string | null }
  /** `* OK [ALERT] text`: RFC 9051 says the text must be shown to the user. */
  | { readonly kind: 'alert'; readonly text: string }
  /** Any other untagged OK/NO/BAD nobody asked for (warnings, `[CLOSED]`, `[HIGHESTMODSEQ n]`...). */
  | {
      readonly kind: 'status';
      readonly status: UntaggedStatusResponse['status'];
      readonly code: ResponseCode | null;
      readonly text: string;
      /**
       * The mailbox selected when the server sent it, as for the message events (null when none
       * was): the one its `[HIGHESTMODSEQ n]`, `[UIDNEXT n]` or `[UIDVALIDITY n]` speaks of.
       */
      readonly mailbox: string | null;
    }
  /**
   * `* BYE`: the server is closing the connection. `code` is its response code (`[UNAVAILABLE]`,
   * `[ALERT]`, `[REFERRAL ...]`), or null; the ConnectionClosedError of the calls it ends carries
   * the same as `responseCode` and `responseCodeData`.
   */
  | { readonly kind: 'bye'; readonly code: ResponseCode | null; readonly text: string }
  /** Another untagged response nobody asked for (kept so nothing is silently lost). */
  | { readonly kind: 'other'; readonly response: ImapResponse }
  /** A subscriber read too slowly: `dropped` events were discarded (the oldest first). */
  | { readonly kind: 'overflow'; readonly dropped: number };

/**
 * An async iterator of mailbox events ({@link ImapClient.events}, {@link ImapClient.idle});
 * `return()` (what `break` calls) stops it.
 */
export interface MailboxEventStream extends AsyncIterableIterator<MailboxEvent> {
  /** Stops the iteration (unsubscribes; for IDLE, sends DONE and waits for the server's answer). */
  return(): Promise<IteratorResult<MailboxEvent>>;
}

/** What a command may do from its callbacks. */
export interface CommandContext {
  /**
   * Writes one client line right away (an AUTHENTICATE answer, IDLE's `DONE`); a Secret stays
   * redacted in the wire log.
   */
  sendLine(text: string | Secret): void;
  /**
   * Asks the core to stop reading from the socket (a body stream's buffer is full). Honoured only
   * while no command issued after this one is waiting (see "Backpressure" in docs/internals.md);
   * returns a function that releases the request (idempotent).
   */
  pauseInput(): () => void;
  /** True when commands issued after this one are in flight or queued (so input will not pause). */
  readonly othersWaiting: boolean;
}

/**
 * One IMAP command, as a command family describes it to the core.
 *
 * The core assigns the tag, encodes `name` and `args` (choosing atom, quoted or literal and
 * waiting for `+` before a synchronizing literal), routes responses, and settles the call's
 * promise with `done`'s result, or with a typed error for NO/BAD/BYE/connection loss.
 */
export interface ImapCommand<T> {
  /** The command name, one or more atoms (`'UID FETCH'`). */
  readonly name: string;
  /**
   * The arguments after the name. Read once, when the command is written (not when it is queued):
   * a getter may choose them by the session's state then (SEARCH leaves out `CHARSET` once a
   * pipelined ENABLE UTF8=ACCEPT has succeeded).
   */
  readonly args?: readonly CommandArg[] | undefined;
  /**
   * Not pipelined: sent only when nothing else is in flight, and nothing else is sent until it
   * completes. Use for commands that change the session state or the selected mailbox (SELECT,
   * EXAMINE, CLOSE, UNSELECT, LOGIN, AUTHENTICATE, STARTTLS, ENABLE, LOGOUT, IDLE) and for those
   * whose untagged answers cannot be told apart from another command's (EXPUNGE, MOVE: RFC 9051
   * section 5.5).
   */
  readonly exclusive?: boolean | undefined;
  /**
   * Runs only while nothing else wants the connection (IDLE): queued, it gives its place to the
   * commands queued after it, does not interrupt an exclusive command in flight (another IDLE),
   * and does not count as a command waiting behind a body stream (which may then pause reading).
   */
  readonly background?: boolean | undefined;
  /**
   * An untagged `* seq FETCH` response could not be read (it broke the grammar, or held a literal
   * over `maxBufferedLiteral`): return true when it may have been this command's answer; the command
   * then reports the loss (FETCH fails after yielding what it read). Else it becomes an event.
   */
  unreadableFetch?(error: ProtocolError | LimitExceededError, fetch: UnreadableFetch): boolean;
  /**
   * Another untagged response could not be read: `name` is its name as the server wrote it,
   * upper-cased (`SEARCH`, `ESEARCH`, `LIST`; the word after the number for `* n EXISTS`). Return
   * true when it may have been this command's answer: the command should then fail with `error`
   * rather than succeed without that data (SEARCH does). Else it becomes an event.
   */
  unreadableUntagged?(error: ProtocolError | LimitExceededError, name: string): boolean;
  /** A NO/BAD becomes an AuthenticationError instead of a ServerError (LOGIN, AUTHENTICATE). */
  readonly authentication?: boolean | undefined;
  /**
   * The command logs in (LOGIN, AUTHENTICATE): once written (even only up to a literal's
   * announcement), an abort or timeout of its call closes the connection, since whether the
   * session is authenticated is unknown, unless {@link ImapCommand.cancel} takes it back on the
   * wire. Pending calls then reject with ConnectionClosedError. Before it is written, an abort
   * simply withdraws it.
   */
  readonly logsIn?: boolean | undefined;
  /**
   * The call of a {@link ImapCommand.logsIn} command was aborted or timed out once the command was
   * written: return true when the command withdraws on the wire instead (AUTHENTICATE answers the
   * server's next challenge with `*`, RFC 9051 section 6.2.2), so that the connection stays open.
   * The command then stays in flight until its tagged answer, which the connection's command
   * timeout bounds (the connection closes when it runs out); its `done` must not log in (a late OK
   * means the server logged in anyway: close the connection there). Without it, or when it returns
   * false, the connection is closed at once.
   */
  cancel?(context: CommandContext): boolean;
  /** The states in which the command may be sent; refused with InvalidArgumentError otherwise. */
  readonly states?: readonly ImapState[] | undefined;
  /**
   * Offered every untagged response while the command is in flight (oldest command first).
   * Return true to take it: it is then not emitted as a MailboxEvent. Selected-mailbox bookkeeping
   * (EXISTS, EXPUNGE, VANISHED, FLAGS counts) happens in the core either way.
   */
  untagged?(response: ImapResponse, context: CommandContext): boolean;
  /**
   * A `+` continuation that is not the go-ahead for one of this command's literals (AUTHENTICATE
   * challenges, IDLE's "idling").
   */
  continuation?(response: ContinuationResponse, context: CommandContext): void;
  /**
   * A FETCH body literal is about to flow: return a sink to stream it, `BUFFER_BODY` (exported by
   * the package) to have it buffered into this command's FETCH response, or null when the message
   * is not this command's (a later command may then claim it). Servers answer pipelined commands
   * in order, so the first command in flight that claims a body is the one it answers.
   */
  bodyStart?(start: BodyStart, context: CommandContext): BodySink | null;
  /**
   * False when {@link ImapCommand.bodyStart} never returns a stream (only `BUFFER_BODY` or
   * null): while no command in flight may stream, the client lets small literals be buffered
   * without working out which FETCH item they belong to. Default true.
   */
  readonly streamsBodies?: boolean;
  /**
   * The tagged OK arrived: return the call's result. Throwing (a MailwireError) rejects the call
   * instead (SCRAM's server signature check).
   */
  done(response: TaggedStatusResponse, context: CommandContext): T;
  /**
   * The command failed (tagged NO/BAD, BYE, connection loss, parse error of its tagged line, a
   * streamed literal that could not be completed). Release resources here (end body streams with
   * the error). Called at most once. Not called by an abort itself (the command is still running
   * on the server then), only when it later fails there or the connection ends.
   */
  failed?(error: MailwireError): void;
  /**
   * Another command is waiting to be sent while this exclusive command is in flight: finish early
   * if you can (IDLE sends `DONE`). Called at most once per waiting episode.
   */
  interrupt?(context: CommandContext): void;
  /** The text shown in errors and used as ServerError.command (default: `name`; never a secret). */
  readonly display?: string | undefined;
}

/**
 * What a command family gets from the client: state to read, and `run` to execute a command.
 * Implemented by {@link ImapClient}; command functions take it as their first parameter.
 */
export interface ImapSession {
  /** The session state. */
  readonly state: ImapState;
  /** The capabilities, upper-cased (`IMAP4REV1`, `AUTH=PLAIN`, `LITERAL+`). */
  readonly capabilities: ReadonlySet<string>;
  /** Extensions enabled with ENABLE, upper-cased. */
  readonly enabled: ReadonlySet<string>;
  /** The selected mailbox, or null. */
  readonly mailbox: MailboxState | null;
  /**
   * True while a SELECT or EXAMINE called on the session has not settled: {@link ImapSession.mailbox}
   * may then not be the mailbox a command queued now acts on. Undefined: false.
   */
  readonly selectPending?: boolean | undefined;
  /** True when the server offers `name` (case-insensitive). */
  hasCapability(name: string): boolean;
  /**
   * True when the server listed the mailbox `name` (LIST, LSUB) in this session in a form it must
   * be sent back in: with a control character such as TAB (Exchange lists such names), or in
   * non-canonical modified UTF-7. Such a name may be used though a name of the caller's own with a
   * TAB is refused. Optional: without it, every name with a control character is refused.
   */
  isListedName?(name: string): boolean;
  /**
   * The longest message set one command sends, in bytes (`limits.maxSetLength`); a longer set is
   * sent in parts. Undefined: the default, 8,000.
   */
  readonly maxSetLength?: number | undefined;
  /**
   * Runs one command: queues it, sends it when the pipeline allows, routes its untagged data to
   * `command.untagged`, and resolves with `command.done`'s result.
   *
   * @throws ServerError (NO/BAD), AuthenticationError (NO/BAD of an `authentication` command),
   *   ConnectionClosedError (BYE or connection lost), ProtocolError, AbortError, TimeoutError,
   *   InvalidArgumentError (not allowed in this state, or an argument cannot be encoded).
   */
  run<T>(command: ImapCommand<T>, options?: ImapCallOptions): Promise<T>;
}

/** The TLS modes of {@link ImapClientOptions.tls}: see {@link TlsMode}. */
export type ImapTlsMode = TlsMode;

/** The mutable form of {@link MailboxState} the core keeps. @internal */
export type MutableMailboxState = { -readonly [K in keyof MailboxState]: MailboxState[K] };

/**
 * The extra powers of the core's own families (connection, select, fetch, idle): state changes the
 * public session does not expose.
 *
 * @internal
 */
export interface CoreSession extends ImapSession {
  /** TLS is active. */
  readonly secure: boolean;
  /** The caller allows credentials over an unencrypted connection. */
  readonly allowCleartext: boolean;
  /** The configured TLS mode. */
  readonly tlsMode: ImapTlsMode;
  /** The host, for SASL mechanisms that send it (OAUTHBEARER). */
  readonly host: string;
  /** The port. */
  readonly port: number;
  /** SASL options from the client's options (the SCRAM iteration limit). */
  readonly saslOptions: SaslSessionOptions;
  /** False until a CAPABILITY response (or code) was seen on this (TLS) layer. */
  readonly capabilitiesKnown: boolean;
  /** Replaces the capabilities (null: forget them, as after STARTTLS). */
  setCapabilities(capabilities: readonly string[] | null): void;
  /** Moves the session to another state. */
  setState(state: ImapState): void;
  /** Records extensions enabled by ENABLE (UTF8=ACCEPT and IMAP4REV2 switch the parser to UTF-8). */
  addEnabled(names: readonly string[]): void;
  /**
   * Call from STARTTLS's `done`: stops parsing right after the tagged OK (bytes after it are refused
   * as injection), forgets everything learnt in clear (capabilities, enabled extensions, the UTF-8
   * mode, mailbox names remembered as listed), stops the command timer and starts the handshake;
   * the promise settles when TLS is up.
   */
  startTls(): Promise<void>;
  /** The new selected mailbox (null: none), e.g. from SELECT's `done`. */
  setMailbox(mailbox: MutableMailboxState | null): void;
  /** A new subscription to the unsolicited event stream. */
  subscribe(options?: InternalSubscriptionOptions): EventSubscription;
  /** Closes the connection at once (pending commands reject with `error`). */
  destroy(error: MailwireError): void;
  /**
   * LOGOUT is answered (its BYE or its tagged OK): the session is over and nothing more is sent on
   * it. The calls queued behind LOGOUT, and any made from now on, reject at once with
   * ConnectionClosedError, and the event subscriptions end normally, without waiting for the
   * connection to close.
   */
  endSession(): void;
  /** Closes the connection gracefully after LOGOUT (subscriptions end without error). */
  closeConnection(): Promise<void>;
  /** The configured body stream high-water mark, in bytes. */
  readonly bodyHighWaterMark: number;
  /** The hard cap on what one fetch buffers while it may not pause the socket, in bytes. */
  readonly maxFetchBuffer: number;
  /** The longest message set one command sends, in bytes. */
  readonly maxSetLength: number;
}
