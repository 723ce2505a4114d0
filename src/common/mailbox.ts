/**
 * The common `Mailbox`: what both POP3 and IMAP can honour, so that a caller switches protocol by
 * changing a URL (see `openMailbox`), and the behaviour each protocol brings with it, described as
 * data ({@link MailboxTraits}) rather than left for the caller to discover.
 *
 * IMAP-only power (folders, search, flags of your choice, CONDSTORE...) stays on `ImapClient`;
 * POP3-only detail (message numbers, RSET, APOP...) on `Pop3Client`.
 *
 * @packageDocumentation
 */
import { Buffer } from 'node:buffer';
import type { Readable } from 'node:stream';
import { abortErrorFrom, InvalidArgumentError, LimitExceededError, MailwireError } from './errors.js';
import { MAX_TIMER_MS, checkSignal, describeValue } from './transport-options.js';
export { UidValidityChangedError } from './errors.js';
import { decodeEncodedWords, getHeaderValue, parseAddressList, parseHeaderFields, type HeaderField, type MailAddress } from './mime/index.js';
import { parseHeaderDate } from './mime/date.js';

/** The protocol behind a {@link Mailbox}. */
export type MailboxProtocol = 'imap' | 'pop3';

/**
 * How the protocol behaves, for a caller (or a user interface) that must not assume.
 *
 * | trait | IMAP | POP3 |
 * | --- | --- | --- |
 * | `removesOnRetrieve` | false | true, unless `leaveOnServer` |
 * | `sharedState` | true | false |
 * | `headerFetch` | `'native'` | `'approximated'` (TOP) or `'unavailable'` |
 * | `push` | `'idle'` (or `'polling'` without IDLE) | `'polling'` |
 * | `folders` | true | false |
 * | `flags` | true | false |
 * | `deletions` | `'immediate'` | `'on-clean-close'` |
 * | `snapshot` | false | true |
 */
export interface MailboxTraits {
  /** The protocol. */
  readonly protocol: MailboxProtocol;
  /**
   * {@link Mailbox.retrieve} takes the message off the server ("picks the mail up"): POP3, unless
   * the mailbox was opened with `leaveOnServer`. IMAP marks it `\Seen` and leaves it.
   */
  readonly removesOnRetrieve: boolean;
  /**
   * Other clients of the account see this client's read state and deletions, and this client sees
   * theirs (IMAP). POP3 clients share nothing but what is left on the server.
   */
  readonly sharedState: boolean;
  /**
   * Sender and subject without the whole message: `'native'` (IMAP `BODY.PEEK[HEADER]`),
   * `'approximated'` (POP3 `TOP n 0`, an optional command), `'unavailable'` (a POP3 server without
   * TOP: {@link Mailbox.headers} fails, unless opened with `headerFallback: 'retrieve'`).
   */
  readonly headerFetch: 'native' | 'approximated' | 'unavailable';
  /**
   * How {@link Mailbox.watch} learns of new mail: `'idle'` (IMAP IDLE: the server tells at once) or
   * `'polling'` (POP3: a new login every interval; IMAP servers without IDLE: NOOP every interval).
   */
  readonly push: 'idle' | 'polling';
  /** The account has folders besides the inbox (IMAP); `openMailbox` picks one from the URL path. */
  readonly folders: boolean;
  /** Messages carry flags (`\Seen`, `\Flagged`, keywords) stored on the server (IMAP). */
  readonly flags: boolean;
  /**
   * When a deletion takes effect: `'immediate'` (IMAP: flagged and expunged at once, seen by every
   * client) or `'on-clean-close'` (POP3: marked in the session, committed by a clean
   * {@link Mailbox.close}; a session that ends any other way deletes nothing).
   */
  readonly deletions: 'immediate' | 'on-clean-close';
  /**
   * The message list is a snapshot fixed when the session logged in (POP3, RFC 1939 section 3):
   * mail arriving later is seen only by a new session ({@link Mailbox.watch} logs in again).
   */
  readonly snapshot: boolean;
}

/**
 * A message's stable identity on an IMAP server: the mailbox's UIDVALIDITY and the message's UID
 * (RFC 9051 section 2.3.1.1). Valid across sessions as long as UIDVALIDITY does not change.
 */
export interface ImapMessageId {
  /** Discriminant. */
  readonly protocol: 'imap';
  /** The mailbox's UIDVALIDITY when the id was issued. */
  readonly uidValidity: number;
  /** The message's UID. */
  readonly uid: number;
  /** A canonical text form, `imap:<uidvalidity>:<uid>`, usable as a map key. */
  readonly key: string;
}

/**
 * A message's stable identity on a POP3 server: its UIDL unique-id (RFC 1939 section 7), stable
 * across sessions. A server without UIDL gives messages no stable identity: the POP3 mailbox then
 * refuses to open, with an `UnsupportedError` saying so.
 */
export interface Pop3MessageId {
  /** Discriminant. */
  readonly protocol: 'pop3';
  /** The UIDL unique-id. */
  readonly uidl: string;
  /** A canonical text form, `pop3:<uidl>`, usable as a map key. */
  readonly key: string;
}

/** The stable id of a message, in the form of its protocol. */
export type MessageId = ImapMessageId | Pop3MessageId;

/**
 * Builds an IMAP message id.
 *
 * @param uidValidity - the mailbox's UIDVALIDITY.
 * @param uid - the message's UID.
 * @returns the id.
 */
export function imapMessageId(uidValidity: number, uid: number): ImapMessageId {
  return { protocol: 'imap', uidValidity, uid, key: `imap:${uidValidity}:${uid}` };
}

/**
 * Builds a POP3 message id.
 *
 * @param uidl - the UIDL unique-id.
 * @returns the id.
 */
export function pop3MessageId(uidl: string): Pop3MessageId {
  return { protocol: 'pop3', uidl, key: `pop3:${uidl}` };
}

/** The largest UID and UIDVALIDITY (RFC 9051 section 9, nz-number). */
const MAX_NZ_NUMBER = 0xffff_ffff;

/**
 * Reads back the text form of an id (`MessageId.key`), e.g. one stored in a database.
 *
 * @example
 * ```ts
 * const id = parseMessageId('imap:1700000000:42'); // { protocol: 'imap', uidValidity: 1700000000, uid: 42, ... }
 * ```
 * @param key - `imap:<uidvalidity>:<uid>` or `pop3:<uidl>`.
 * @returns the id.
 * @throws InvalidArgumentError when the text is neither form, or when the UIDVALIDITY or UID of an
 *   IMAP key is 0, above 2^32-1 or written with leading zeros (no message has such an id).
 */
export function parseMessageId(key: string): MessageId {
  // nz-number (RFC 9051 section 9): 1 to 2^32-1, no leading zero, so that the key reads back the same.
  const imap = /^imap:([1-9]\d{0,9}):([1-9]\d{0,9})$/.exec(key);
  if (imap !== null) {
    const uidValidity = Number(imap[1]);
    const uid = Number(imap[2]);
    if (uidValidity <= MAX_NZ_NUMBER && uid <= MAX_NZ_NUMBER) return imapMessageId(uidValidity, uid);
  }
  const pop3 = /^pop3:([\x21-\x7e]{1,512})$/.exec(key);
  if (pop3 !== null) return pop3MessageId(pop3[1]!);
  throw new InvalidArgumentError(`Not a message id: ${JSON.stringify(key.slice(0, 80))}`);
}

/** One message of {@link Mailbox.list}: what the protocol knows cheaply. */
export interface MessageInfo {
  /** The stable id. */
  readonly id: MessageId;
  /** The size in octets, as the server counts it (POP3: 0 when the server will not say; see `Pop3Mailbox.list`). */
  readonly size: number;
  /**
   * The flags (IMAP; `\Recent` left out: it belongs to one session and differs between devices),
   * or undefined (POP3 has none).
   */
  readonly flags: readonly string[] | undefined;
  /** The internal date, when the server received it (IMAP), or undefined. */
  readonly date: Date | undefined;
}

/** A parsed header summary from {@link Mailbox.headers}. */
export interface HeaderSummary {
  /** The message's id. */
  readonly id: MessageId;
  /** From, RFC 2047 names decoded. */
  readonly from: readonly MailAddress[];
  /** To, RFC 2047 names decoded. */
  readonly to: readonly MailAddress[];
  /** Cc, RFC 2047 names decoded. */
  readonly cc: readonly MailAddress[];
  /** The subject, RFC 2047 decoded (with the charsets Node's TextDecoder knows), or null. */
  readonly subject: string | null;
  /** The Date header parsed, or null when absent or unparseable. */
  readonly date: Date | null;
  /** The Message-ID, or null. */
  readonly messageId: string | null;
  /** Every field, unfolded, not decoded. */
  readonly fields: readonly HeaderField[];
  /** The exact header bytes, up to and including the blank line. */
  readonly raw: Uint8Array;
}

/**
 * Parses raw header bytes into a {@link HeaderSummary}.
 *
 * @param id - the message's id.
 * @param raw - the header bytes (anything after the blank line is ignored).
 * @returns the summary.
 */
export function summarizeHeader(id: MessageId, raw: Uint8Array): HeaderSummary {
  const header = headerPart(raw);
  const fields = parseHeaderFields(header);
  const value = (name: string): string | undefined => getHeaderValue(fields, name);
  const addresses = (name: string): MailAddress[] => {
    const text = value(name);
    return text === undefined ? [] : parseAddressList(text);
  };
  const subject = value('Subject');
  const dateText = value('Date');
  return {
    id,
    from: addresses('From'),
    to: addresses('To'),
    cc: addresses('Cc'),
    subject: subject === undefined ? null : decodeEncodedWords(subject),
    date: dateText === undefined ? null : parseHeaderDate(dateText),
    messageId: value('Message-ID') ?? null,
    fields,
    raw: header,
  };
}

/** The header of a message: its bytes up to and including the first empty line. */
export function headerPart(message: Uint8Array): Uint8Array {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const crlf = bytes.indexOf('\r\n\r\n');
  const lf = bytes.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return message;
  const end = crlf !== -1 && (lf === -1 || crlf < lf) ? crlf + 4 : lf + 2;
  return message.subarray(0, end);
}

/**
 * A message body being read from the server. Read it (iterate it, `bytes()`, or pipe `body`)
 * before waiting on another call of the same mailbox: answers arrive in order on one connection.
 */
export interface MessageContent extends AsyncIterable<Buffer> {
  /** The message's id. */
  readonly id: MessageId;
  /** The size the server announced, when it did. */
  readonly size: number | undefined;
  /** The exact bytes of the message, as a Node `Readable`. */
  readonly body: Readable;
  /**
   * Collects the whole message. Meant for small messages; stream large ones.
   *
   * @throws LimitExceededError beyond `maxBytes`.
   */
  bytes(options?: { readonly maxBytes?: number | undefined }): Promise<Uint8Array>;
}

/**
 * Wraps a body stream as a {@link MessageContent}.
 *
 * @internal
 */
export function messageContent(id: MessageId, size: number | undefined, body: Readable): MessageContent {
  return {
    id,
    size,
    body,
    [Symbol.asyncIterator]: () => body[Symbol.asyncIterator]() as AsyncIterator<Buffer>,
    bytes: async (options = {}) => {
      const maxBytes = options.maxBytes ?? Infinity;
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of body) {
        const piece = chunk as Buffer;
        total += piece.length;
        if (total > maxBytes) {
          body.destroy();
          throw new LimitExceededError('maxBytes', maxBytes, total);
        }
        chunks.push(piece);
      }
      return Buffer.concat(chunks, total);
    },
  };
}

/** What {@link Mailbox.delete} and {@link Mailbox.close} report. */
export interface DeleteResult {
  /** The ids whose deletion was done (IMAP) or marked (POP3: committed only by a clean close). */
  readonly deleted: readonly MessageId[];
  /** The ids that were not found (already gone). */
  readonly missing: readonly MessageId[];
}

/** What {@link Mailbox.close} reports. */
export interface MailboxCloseResult {
  /**
   * POP3: true when QUIT was answered `+OK` (the session ended cleanly: the messages marked deleted,
   * if any, are gone); false when the maildrop is as it was (the session ended before QUIT was
   * written, or QUIT went unanswered or was refused with nothing marked); undefined when it cannot
   * be known, with messages marked (QUIT was written but never answered, or answered `-ERR`: see
   * `Pop3CloseResult.deletionsCommitted`). IMAP: always true (deletions took effect when made).
   */
  readonly deletionsCommitted: boolean | undefined;
  /** POP3: how many messages were marked deleted when the session ended (0 for IMAP). */
  readonly markedDeleted: number;
}

/**
 * An event of {@link Mailbox.watch}: one for each message that comes or goes. A POP3 server that
 * gives several messages one UIDL (RFC 1939 section 7 forbids it) lists each of them in
 * {@link Mailbox.list}, and its watch reports each of them too: when one of two `dup` messages goes,
 * a `removed` event for `dup` comes although `dup` still names the other.
 */
export type WatchEvent =
  /** A message arrived. */
  | { readonly kind: 'new'; readonly id: MessageId; readonly size: number | undefined; readonly flags: readonly string[] | undefined }
  /** A message is gone (deleted by this or another client, or picked up by a POP3 client). */
  | { readonly kind: 'removed'; readonly id: MessageId }
  /** A message's flags changed (IMAP only). */
  | { readonly kind: 'flags'; readonly id: MessageId; readonly flags: readonly string[] };

/** Options of {@link Mailbox.watch}. */
export interface WatchOptions {
  /**
   * Ends the watch: the iteration then returns normally. A command the watch is waiting for is not
   * waited for: its connection is closed (an idling IMAP watch ends with DONE and LOGOUT).
   */
  readonly signal?: AbortSignal | undefined;
  /**
   * Milliseconds between polls: POP3 logins, or NOOPs on an IMAP server without IDLE.
   * Default 60,000 for POP3, 30,000 for IMAP. POP3 never polls sooner than the server's
   * LOGIN-DELAY (RFC 2449), which would refuse the login.
   */
  readonly interval?: number | undefined;
  /**
   * IMAP with IDLE: milliseconds after which IDLE is restarted (RFC 2177 asks clients to
   * re-issue it within 29 minutes). Default 25 minutes.
   */
  readonly idleRestart?: number | undefined;
  /**
   * After a dropped connection (or a failed POP3 login) the watch reconnects after `first`
   * milliseconds, doubling up to `max`; it gives up (throwing the last error) after `attempts`
   * consecutive failures. Defaults: 1,000 ms, 60,000 ms, Infinity.
   */
  readonly backoff?: { readonly first?: number | undefined; readonly max?: number | undefined; readonly attempts?: number | undefined } | undefined;
}

/**
 * A running {@link Mailbox.watch}: an async iterator of {@link WatchEvent}s that starts at once
 * (the first connection opens when `watch()` is called). Stop it with `signal`, `break`, or
 * `return()`.
 *
 * @example
 * ```ts
 * const watch = mailbox.watch({ signal });
 * await watch.ready;                  // from here on, every change is reported
 * for await (const event of watch) if (event.kind === 'new') console.log('new mail', event.id.key);
 * ```
 */
export interface MailboxWatch extends AsyncIterableIterator<WatchEvent> {
  /**
   * Resolves once the watch knows the mailbox's state (IMAP: selected and listed, about to IDLE;
   * POP3: at once, from the session's snapshot, or after a first login when the session was
   * lost): changes made from then on are reported. Rejects when the watch fails before that.
   */
  readonly ready: Promise<void>;
  /** Stops the watch and closes its connection; resolves once it is closed. */
  return(): Promise<IteratorResult<WatchEvent, undefined>>;
}

/** Options of {@link Mailbox.headers}. */
export interface HeadersOptions {
  /**
   * Cancels the iteration: it rejects with an `AbortError` (or the signal's reason, when that is a
   * mailwire error) at once, also while a command waits for the server or a header is half
   * received. What the server still sends of that answer is read and dropped: the mailbox stays
   * usable.
   */
  readonly signal?: AbortSignal | undefined;
}

/**
 * A mail drop both POP3 and IMAP can serve. Open one with `openMailbox(url, options)`.
 *
 * Calls may be made concurrently; on one connection they are answered in order, so read a
 * message body ({@link MessageContent}) before awaiting a later call.
 *
 * @example
 * ```ts
 * await using mailbox = await openMailbox('imaps://alice@mail.example.com/INBOX', { password });
 * for await (const summary of mailbox.headers()) console.log(summary.subject);
 * const first = (await mailbox.list())[0];
 * if (first) await pipeline(await mailbox.retrieve(first.id), createWriteStream('first.eml'));
 * ```
 */
export interface Mailbox extends AsyncDisposable {
  /** How this protocol (and this server) behaves. */
  readonly traits: MailboxTraits;
  /**
   * Every message with its stable id, size, and what the protocol knows cheaply (IMAP: flags,
   * internal date). POP3: the snapshot taken at login, minus what this session marked deleted.
   */
  list(): Promise<MessageInfo[]>;
  /**
   * Headers only, parsed. IMAP: `BODY.PEEK[HEADER]`, which leaves `\Seen` alone. POP3: `TOP n 0`;
   * without TOP it throws an `UnsupportedError` unless the mailbox was opened with
   * `headerFallback: 'retrieve'` (RETR, cut at the blank line: the whole message is downloaded).
   *
   * @param ids - the messages (default: all). Either way they come in list order, each once, on
   *   both protocols (IMAP servers answer a UID FETCH in mailbox order); ids no longer in the
   *   mailbox are left out.
   * @param options - a signal that cancels the iteration (it then rejects with an `AbortError`).
   */
  headers(ids?: readonly MessageId[], options?: HeadersOptions): AsyncIterable<HeaderSummary>;
  /** The whole message as a stream, with no side effect on either protocol (IMAP: `BODY.PEEK[]`). */
  fetch(id: MessageId): Promise<MessageContent>;
  /**
   * "Picks the mail up" in the protocol's own way. POP3: RETR; once the caller has read every byte
   * the message is marked deleted (DELE), committed at a clean close, unless `leaveOnServer`.
   * A body not read to its end marks nothing. IMAP: `BODY[]`, which sets `\Seen`; the message stays.
   */
  retrieve(id: MessageId): Promise<MessageContent>;
  /**
   * Deletes messages. IMAP: `UID STORE +FLAGS.SILENT (\Deleted)` then `UID EXPUNGE` of those UIDs
   * only (never a plain EXPUNGE, which would also remove messages other clients marked). POP3:
   * DELE, committed at a clean close.
   */
  delete(ids: readonly MessageId[]): Promise<DeleteResult>;
  /**
   * What changes, as it happens: `new`, `removed` and (IMAP) `flags` events, relative to the
   * mailbox's state as {@link Mailbox.list} shows it when the watch starts. IMAP: IDLE on a
   * connection of its own (NOOP polling without IDLE). POP3: a new login every `interval`,
   * comparing UIDL lists with the session's snapshot (`list()` is fixed at login): mail that came
   * after the login, even before `watch()` was called, is reported as `new`, since `list()` never
   * showed it. After a dropped
   * connection it reconnects with backoff and resumes from what it knew, so no event is lost or
   * repeated. Ends when `signal` aborts or the iteration is stopped.
   *
   * @throws UidValidityChangedError (IMAP) when the mailbox's UIDVALIDITY changed: every id is void.
   * @throws InvalidArgumentError (from the call itself) for a timing outside 1 to 2^31-1 ms, or
   *   `backoff.attempts` below 1; or when the mailbox was closed (as every method of a closed
   *   mailbox: `list()`, `headers()`, ... reject with it).
   */
  watch(options?: WatchOptions): MailboxWatch;
  /**
   * Ends the session, and the watches started from it. POP3: QUIT, which commits the deletions
   * (only a clean close does). Waits for pending deletions first. Never rejects on a lost connection: the result says what happened.
   * A close called again, or while one is running, reports the first close's result.
   */
  close(): Promise<MailboxCloseResult>;
  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Checks that an id belongs to the protocol of a mailbox.
 *
 * @internal
 */
export function requireProtocol<P extends MailboxProtocol>(id: MessageId, protocol: P): Extract<MessageId, { protocol: P }> {
  if ((id as { protocol?: unknown }).protocol !== protocol) {
    throw new InvalidArgumentError(`Not a ${protocol.toUpperCase()} message id: ${JSON.stringify((id as { key?: unknown }).key ?? id)}`);
  }
  return id as Extract<MessageId, { protocol: P }>;
}

/**
 * Refuses a call on a mailbox that was closed (or is closing): every method of both protocols
 * fails the same way, before anything is sent or a connection opened.
 *
 * @throws InvalidArgumentError when `closed`.
 * @internal
 */
export function checkOpen(closed: boolean): void {
  if (closed) throw new InvalidArgumentError('The mailbox is closed');
}

/**
 * Checks the mailbox options both `openMailbox` and the mailboxes' `open()` take, each against the
 * type it is declared with: a JavaScript caller's `leaveOnServer: 'true'` would otherwise read as
 * "not true", and every retrieved message would be deleted.
 *
 * @throws InvalidArgumentError naming the first option of the wrong type.
 * @internal
 */
export function checkMailboxOptions(options: {
  readonly leaveOnServer?: unknown;
  readonly headerFallback?: unknown;
  readonly watchConnector?: unknown;
}): void {
  const { leaveOnServer, headerFallback, watchConnector } = options;
  if (leaveOnServer !== undefined && typeof leaveOnServer !== 'boolean') {
    throw new InvalidArgumentError(`leaveOnServer must be a boolean, got ${describeValue(leaveOnServer)}`);
  }
  if (headerFallback !== undefined && headerFallback !== 'error' && headerFallback !== 'retrieve') {
    throw new InvalidArgumentError(`headerFallback must be 'error' or 'retrieve', got ${describeValue(headerFallback)}`);
  }
  if (watchConnector !== undefined && typeof watchConnector !== 'function') {
    throw new InvalidArgumentError(`watchConnector must be a function opening the connection, got ${describeValue(watchConnector)}`);
  }
}

/**
 * Rejects a step of {@link Mailbox.headers} once its signal has aborted.
 *
 * @throws AbortError (or the signal's reason, when it is a mailwire error) when `signal` aborted.
 * @internal
 */
export function checkNotAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw abortErrorFrom(signal, 'headers()');
}

/**
 * Waits `ms`, or less if `signal` aborts (resolves either way).
 *
 * @internal
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs a watch generator eagerly, with a `ready` promise and a `return()` that does not wait for
 * the next event (an async generator's own `return()` would wait for the pending `next()`).
 *
 * @internal
 */
export class WatchRun implements MailboxWatch {
  /** {@inheritDoc MailboxWatch.ready} */
  readonly ready: Promise<void>;
  readonly #generator: AsyncGenerator<WatchEvent, void, undefined>;
  readonly #stop = new AbortController();
  #first: Promise<IteratorResult<WatchEvent>> | undefined;

  /**
   * @param start - the watch loop: it must end soon after `signal` aborts, and call `ready()`.
   * @param signal - the caller's signal.
   */
  constructor(start: (signal: AbortSignal, ready: () => void) => AsyncGenerator<WatchEvent, void, undefined>, signal: AbortSignal | undefined) {
    let markReady!: () => void;
    let failReady!: (error: unknown) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    this.ready.catch(() => undefined);
    const combined = signal === undefined ? this.#stop.signal : AbortSignal.any([signal, this.#stop.signal]);
    this.#generator = start(combined, markReady);
    this.#first = this.#generator.next();
    this.#first.then(() => {
      markReady();
    }, failReady);
    this.#first.catch(() => undefined);
  }

  /** The next event; `done` once the watch was stopped. */
  next(): Promise<IteratorResult<WatchEvent>> {
    const first = this.#first;
    this.#first = undefined;
    return first ?? this.#generator.next();
  }

  /** Stops the watch and closes its connection. */
  async return(): Promise<IteratorResult<WatchEvent, undefined>> {
    this.#stop.abort();
    const first = this.#first;
    this.#first = undefined;
    await first?.catch(() => undefined);
    await this.#generator.return(undefined).catch(() => undefined);
    return { value: undefined, done: true };
  }

  /** Returns this iterator. */
  [Symbol.asyncIterator](): MailboxWatch {
    return this;
  }
}

/**
 * A signal that aborts only while a connect is in progress: `signal` forwarded until `release()`.
 * A watch's signal must end its loop, not tear down a connection under a command that is still
 * writing (IDLE's DONE); once connected, the watch closes its connection itself when the signal
 * aborts while it waits for an answer (a stalled server would hold it until the command timeout).
 *
 * @internal
 */
export function connectSignal(...signals: (AbortSignal | undefined)[]): { readonly options: { readonly signal?: AbortSignal }; release(): void } {
  const defined = signals.filter((each): each is AbortSignal => each !== undefined);
  if (defined.length === 0) return { options: {}, release: () => undefined };
  const signal = defined.length === 1 ? defined[0]! : AbortSignal.any(defined);
  const controller = new AbortController();
  const forward = (): void => {
    controller.abort(signal.reason);
  };
  if (signal.aborted) forward();
  else signal.addEventListener('abort', forward, { once: true });
  return {
    options: { signal: controller.signal },
    release: () => {
      signal.removeEventListener('abort', forward);
    },
  };
}

/**
 * The backoff delays of {@link WatchOptions.backoff}, resolved.
 *
 * @internal
 */
export interface Backoff {
  /** Milliseconds before the first retry. */
  readonly first: number;
  /** The longest wait, in milliseconds. */
  readonly max: number;
  /** Consecutive failures after which the watch gives up. */
  readonly attempts: number;
}

/**
 * Checks a watch's timings before it starts: a timer of 2^31 ms or more (or Infinity) fires at
 * once, and a watch would log in or poll without pause.
 *
 * @throws InvalidArgumentError for an `interval`, `idleRestart` or `backoff.first`/`max` outside
 *   1 to 2^31-1 ms, or a `backoff.attempts` that is not a positive whole number (or Infinity).
 * @internal
 */
export function checkWatchOptions(options: WatchOptions): void {
  const delays = [
    ['interval', options.interval],
    ['idleRestart', options.idleRestart],
    ['backoff.first', options.backoff?.first],
    ['backoff.max', options.backoff?.max],
  ] as const;
  for (const [name, value] of delays) {
    if (value !== undefined && !(typeof value === 'number' && value >= 1 && value <= MAX_TIMER_MS)) {
      throw new InvalidArgumentError(`Watch option ${name} must be from 1 to ${MAX_TIMER_MS} ms, got ${describeValue(value)}`);
    }
  }
  const attempts = options.backoff?.attempts;
  if (attempts !== undefined && !(attempts === Infinity || (Number.isInteger(attempts) && attempts >= 1))) {
    throw new InvalidArgumentError(`Watch option backoff.attempts must be a whole number from 1, or Infinity, got ${describeValue(attempts)}`);
  }
  checkSignal(options.signal);
}

/**
 * {@link WatchOptions.backoff} with its defaults applied.
 *
 * @internal
 */
export function resolveBackoff(options: WatchOptions): Backoff {
  return { first: options.backoff?.first ?? 1_000, max: options.backoff?.max ?? 60_000, attempts: options.backoff?.attempts ?? Infinity };
}

/**
 * True for errors a reconnect may cure (connection lost, timeout, server busy), false for those it
 * cannot (bad credentials, bad arguments, UIDVALIDITY change).
 *
 * @internal
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof MailwireError)) return false;
  if (error.code === 'CONNECTION_CLOSED' || error.code === 'CONNECTION_FAILED' || error.code === 'TIMEOUT') return true;
  // RFC 2449 / RFC 3206: the maildrop is locked by another session, logins come too fast, or the
  // server has a temporary problem. RFC 2449 section 8: a client ignores the levels of a code it
  // does not know, so SYS/TEMP/DISK is SYS/TEMP.
  const code = (error as { responseCode?: unknown }).responseCode;
  if (typeof code !== 'string') return false;
  return ['IN-USE', 'LOGIN-DELAY', 'SYS/TEMP', 'UNAVAILABLE', 'INUSE'].some((transient) => code === transient || code.startsWith(`${transient}/`));
}
