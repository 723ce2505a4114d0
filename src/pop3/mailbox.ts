/**
 * The POP3 implementation of the common {@link Mailbox}, built on {@link Pop3Client}'s public API.
 *
 * POP3 is a post office: a session sees the maildrop as it was at login (RFC 1939 section 3),
 * RETR downloads, DELE marks, and only a clean QUIT removes what was marked (section 6). So:
 * - ids are UIDL unique-ids (a server without UIDL cannot give stable ids: the mailbox refuses to
 *   open, with an UnsupportedError saying so);
 * - `retrieve()` marks a message deleted only after the caller has read its last byte, and the
 *   mark is committed only by a clean `close()`: a session that dies in between deletes nothing;
 * - `watch()` logs in again every interval and compares UIDL lists.
 *
 * @packageDocumentation
 */
import { InvalidArgumentError, ProtocolError, ServerError, UnsupportedError } from '../common/errors.js';
import {
  connectSignal,
  headerPart,
  isTransient,
  messageContent,
  pop3MessageId,
  requireProtocol,
  checkNotAborted,
  checkMailboxOptions,
  checkOpen,
  checkWatchOptions,
  resolveBackoff,
  sleep,
  summarizeHeader,
  type DeleteResult,
  type HeaderSummary,
  type HeadersOptions,
  type Mailbox,
  type MailboxCloseResult,
  type MailboxTraits,
  type MessageContent,
  type MessageId,
  type MessageInfo,
  type MailboxWatch,
  type WatchEvent,
  type WatchOptions,
  WatchRun,
} from '../common/mailbox.js';
import { mailboxConnectors, type Connector } from '../common/connector.js';
import { MAX_TIMER_MS } from '../common/transport-options.js';
import { Pop3Client, type Pop3ClientOptions } from './client.js';
import type { Pop3Message } from './message.js';
import type { Pop3ListEntry } from './codec.js';

/** Options of {@link Pop3Mailbox.open}. */
export interface Pop3MailboxOptions {
  /**
   * The client's options; `auth` is required. Watch sessions are opened with the same options. A
   * `record` option records the mailbox's sessions to one transcript and the watch's logins to a
   * second, as `openMailbox` does (`inbox.txt` and `inbox.watch.txt`).
   */
  readonly client: Pop3ClientOptions;
  /**
   * Leave retrieved messages on the server (the "leave a copy on the server" setting of mail
   * programs): `retrieve()` then never marks anything deleted. Default false.
   */
  readonly leaveOnServer?: boolean | undefined;
  /**
   * What `headers()` does on a server without TOP: `'error'` (default: an UnsupportedError) or
   * `'retrieve'` (RETR the whole message and keep its header: correct, but downloads everything).
   */
  readonly headerFallback?: 'error' | 'retrieve' | undefined;
  /**
   * The connector of the connections `watch()` opens (default: `client.connector`). A recording
   * connector records one connection at a time, so a recorded watch needs a transcript of its own.
   */
  readonly watchConnector?: Connector | undefined;
}

/** The default interval between POP3 watch logins. */
const DEFAULT_POLL_INTERVAL = 60_000;

interface Entry {
  readonly uidl: string;
  readonly number: number;
  readonly size: number;
}

interface Maildrop {
  readonly entries: Map<string, Entry[]>;
  readonly withoutUidl: ReadonlyMap<number, number>;
}

interface Snapshot {
  readonly client: Pop3Client;
  /** Message number -> size of the messages the server gave no unique-id (see {@link Pop3Mailbox.withoutUidl}). */
  readonly withoutUidl: ReadonlyMap<number, number>;
  /**
   * UIDL -> the messages, in number order, as at login: one each, unless the server broke RFC 1939
   * section 7 and gave several messages one unique-id (they are all kept, none hides another).
   */
  readonly entries: ReadonlyMap<string, readonly Entry[]>;
  /** DELEs sent or about to be, awaited before QUIT. */
  readonly pending: Set<Promise<unknown>>;
}

/**
 * A POP3 maildrop as a {@link Mailbox}. Open one with `openMailbox('pop3s://user@host', ...)` or
 * {@link Pop3Mailbox.open}.
 *
 * @example
 * ```ts
 * await using mailbox = await Pop3Mailbox.open({ client: { host, auth: { username, password } } });
 * for (const { id } of await mailbox.list()) {
 *   const message = await mailbox.retrieve(id);
 *   await writeFile(`${id.uidl}.eml`, await message.bytes()); // marked deleted once fully read
 * }
 * // leaving the block closes the session cleanly: the deletions are committed
 * ```
 */
export class Pop3Mailbox implements Mailbox {
  readonly #options: Pop3MailboxOptions;
  #session: Snapshot | undefined;
  #opening: Promise<Snapshot> | undefined;
  #closed = false;
  /** The first close(), whose result every later call reports. */
  #closing: Promise<MailboxCloseResult> | undefined;
  #topMissing = false;
  readonly #watches = new Set<WatchRun>();

  private constructor(options: Pop3MailboxOptions) {
    this.#options = options;
  }

  /**
   * Connects, logs in and reads the maildrop's UIDL and LIST.
   *
   * @throws UnsupportedError when the server has no UIDL; the client's connect and login errors;
   *   InvalidArgumentError for an option of the wrong type.
   */
  static async open(options: Pop3MailboxOptions): Promise<Pop3Mailbox> {
    if (options.client.auth === undefined) throw new InvalidArgumentError('A POP3 mailbox needs credentials (client.auth)');
    checkMailboxOptions(options);
    const mailbox = new Pop3Mailbox(await recorded(options));
    await mailbox.#ensure();
    return mailbox;
  }

  /** How POP3 behaves (see {@link MailboxTraits}); `headerFetch` is `unavailable` once the server showed it has no TOP. */
  get traits(): MailboxTraits {
    return {
      protocol: 'pop3',
      removesOnRetrieve: this.#options.leaveOnServer !== true,
      sharedState: false,
      headerFetch: this.#topMissing ? 'unavailable' : 'approximated',
      push: 'polling',
      folders: false,
      flags: false,
      deletions: 'on-clean-close',
      snapshot: true,
    };
  }

  /** The underlying client of the current session (POP3-only commands stay there). */
  get client(): Pop3Client | undefined {
    return this.#session?.client;
  }

  /**
   * Messages of the current session the server listed in LIST but gave no unique-id, neither in
   * UIDL nor when asked alone (`UIDL n`): without one they have no stable id, so `list()` leaves
   * them out. They are still there: reach them by number on {@link Pop3Mailbox.client} (`retrieve`,
   * `delete`). Those marked deleted are left out; empty when no session is open. A `watch()`
   * reports no event for such a message either: it has no id to report.
   *
   * @example
   * ```ts
   * for (const { number } of mailbox.withoutUidl) await save(await mailbox.client!.retrieve(number));
   * ```
   */
  get withoutUidl(): readonly Pop3ListEntry[] {
    const session = this.#session;
    if (session === undefined) return [];
    const marked = session.client.markedDeleted;
    return [...session.withoutUidl].filter(([number]) => !marked.includes(number)).map(([number, size]) => ({ number, size }));
  }

  /**
   * The session's snapshot (UIDL and LIST at login), minus what it marked deleted. See {@link Mailbox.list}.
   * Where the server's LIST leaves out a message its UIDL names, the size is asked for alone
   * (`LIST n`); if the server will not give it either, the size is unknown and given as 0.
   */
  async list(): Promise<MessageInfo[]> {
    const session = await this.#ensure();
    return listed(session).map((entry) => ({ id: pop3MessageId(entry.uidl), size: entry.size, flags: undefined, date: undefined }));
  }

  /** Parsed headers via `TOP n 0` (or RETR with `headerFallback: 'retrieve'`). See {@link Mailbox.headers}. */
  async *headers(ids?: readonly MessageId[], options: HeadersOptions = {}): AsyncGenerator<HeaderSummary, void, undefined> {
    const { signal } = options;
    checkNotAborted(signal);
    // In list order, each once, as IMAP's UID FETCH answers (whatever the order of `ids`).
    const asked = ids === undefined ? undefined : new Set(ids.map((id) => requireProtocol(id, 'pop3').uidl));
    const listedIn = await this.#ensure();
    const wanted = listed(listedIn).filter((entry) => asked === undefined || asked.has(entry.uidl));
    for (const listedEntry of wanted) {
      checkNotAborted(signal);
      const session = await this.#ensure();
      const id = pop3MessageId(listedEntry.uidl);
      // By number while the session that listed it lasts: messages sharing a UIDL are each yielded.
      const entry = session === listedIn ? (session.client.markedDeleted.includes(listedEntry.number) ? undefined : listedEntry) : this.#entry(session, id);
      if (entry === undefined) continue;
      const signalOption = signal === undefined ? {} : { signal };
      let raw: Uint8Array | undefined;
      if (!this.#topMissing) {
        try {
          raw = await readWhole(await session.client.top(entry.number, 0, signalOption), signal);
        } catch (error) {
          // UnsupportedError: CAPA said no TOP. ServerError: no CAPA, and TOP itself was refused.
          if (!(error instanceof UnsupportedError) && !(error instanceof ServerError && !session.client.capabilitiesKnown)) throw error;
          this.#topMissing = true;
        }
      }
      if (raw === undefined) {
        if (this.#options.headerFallback !== 'retrieve') {
          throw new UnsupportedError(
            'The POP3 server does not offer TOP, so headers cannot be read alone; open the mailbox with ' +
              "headerFallback: 'retrieve' to download whole messages (RETR, which deletes nothing) and keep their headers",
          );
        }
        raw = headerPart(await readWhole(await session.client.retrieve(entry.number, signalOption), signal));
      }
      yield summarizeHeader(id, raw);
    }
    checkNotAborted(signal);
  }

  /** The whole message via RETR, marking nothing. See {@link Mailbox.fetch}. */
  async fetch(id: MessageId): Promise<MessageContent> {
    const session = await this.#ensure();
    const entry = this.#require(session, id);
    const message = await session.client.retrieve(entry.number);
    return messageContent(id, message.announcedSize ?? entry.size, message.body);
  }

  /** RETR; DELE once the caller has read the last byte, unless `leaveOnServer`. See {@link Mailbox.retrieve}. */
  async retrieve(id: MessageId): Promise<MessageContent> {
    const session = await this.#ensure();
    const entry = this.#require(session, id);
    const message = await session.client.retrieve(entry.number);
    if (this.#options.leaveOnServer !== true) {
      // 'end' is emitted only once the consumer has read the last byte: a body destroyed or cut
      // short by a lost connection never gets here, so nothing is marked (RFC 1939 section 6).
      message.body.once('end', () => {
        if (session.client.state !== 'transaction' || session.client.markedDeleted.includes(entry.number)) return;
        void track(session, session.client.delete(entry.number));
      });
    }
    return messageContent(id, message.announcedSize ?? entry.size, message.body);
  }

  /** DELE, committed by a clean {@link Pop3Mailbox.close}. See {@link Mailbox.delete}. */
  async delete(ids: readonly MessageId[]): Promise<DeleteResult> {
    const session = await this.#ensure();
    const deleted: MessageId[] = [];
    const missing: MessageId[] = [];
    // A set: an id given twice is one DELE (a second would be refused: the message is marked).
    const numbers = new Set<number>();
    // Every id is resolved before any DELE: an ambiguous one (a shared UIDL) marks nothing.
    for (const id of ids) {
      const entry = this.#entry(session, id);
      if (entry === undefined) {
        missing.push(id);
        continue;
      }
      deleted.push(id);
      if (!session.client.markedDeleted.includes(entry.number)) numbers.add(entry.number);
    }
    await Promise.all([...numbers].map((number) => track(session, session.client.delete(number))));
    return { deleted, missing };
  }

  /** A new login every interval, comparing UIDL lists. See {@link Mailbox.watch}. */
  watch(options: WatchOptions = {}): MailboxWatch {
    checkOpen(this.#closed);
    checkWatchOptions(options);
    const watch = new WatchRun((signal, ready) => this.#watch(options, signal, ready), options.signal);
    this.#watches.add(watch);
    return watch;
  }

  async *#watch(options: WatchOptions, signal: AbortSignal, ready: () => void): AsyncGenerator<WatchEvent, void, undefined> {
    // RFC 2449 section 6.5 LOGIN-DELAY: the server refuses logins that come sooner. Every session's
    // CAPA may say it, the watch's own polls' too (the mailbox's session may be gone).
    let loginDelay = loginDelayOf(this.#session?.client);
    const interval = (): number => Math.max(options.interval ?? DEFAULT_POLL_INTERVAL, loginDelay);
    const backoff = resolveBackoff(options);
    // The baseline: this session's snapshot when there is one, so mail that arrived since login
    // is reported rather than silently absorbed; else a first poll.
    let known: ReadonlyMap<string, readonly Entry[]> | undefined = this.#session?.entries;
    let failures = 0;
    let delay = known === undefined ? 0 : interval();
    if (known !== undefined) ready();
    for (;;) {
      if (delay > 0) await sleep(delay, signal);
      if (signal.aborted) return;
      let current: ReadonlyMap<string, readonly Entry[]>;
      try {
        ({ entries: current, loginDelay } = await this.#poll(signal, loginDelay));
      } catch (error) {
        if (isAborted(signal)) return;
        failures++;
        if (!isTransient(error) || failures >= backoff.attempts) throw error;
        delay = Math.max(Math.min(backoff.max, backoff.first * 2 ** (failures - 1)), loginDelay);
        continue;
      }
      failures = 0;
      delay = interval();
      if (known === undefined) {
        known = current;
        ready();
        continue;
      }
      const events = changes(known, current);
      known = current;
      for (const event of events) yield event;
    }
  }

  /**
   * Stops the watches, waits for pending DELEs, then QUIT (which commits them). See {@link Mailbox.close}.
   * A close called again, or while one is running, reports what the first one did.
   */
  close(): Promise<MailboxCloseResult> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<MailboxCloseResult> {
    this.#closed = true;
    await Promise.all([...this.#watches].map((watch) => watch.return()));
    this.#watches.clear();
    const session = this.#session ?? (await this.#opening?.catch(() => undefined));
    this.#session = undefined;
    if (session === undefined) return { deletionsCommitted: false, markedDeleted: 0 };
    await Promise.allSettled([...session.pending]);
    const result = await session.client.close();
    return { deletionsCommitted: result.deletionsCommitted, markedDeleted: result.markedDeleted };
  }

  /** Same as {@link Mailbox.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * One watch poll: a login of its own, UIDL and LIST, a QUIT that commits nothing. When `signal`
   * aborts after the login, the connection is closed at once (without QUIT, which would wait
   * behind an answer a stalled server never sends): the pending command rejects, and the poll
   * with it. Resolves with the maildrop and the LOGIN-DELAY the session's CAPA said (`loginDelay`,
   * the last known, when it said none).
   */
  async #poll(signal: AbortSignal, loginDelay: number): Promise<{ entries: ReadonlyMap<string, readonly Entry[]>; loginDelay: number }> {
    const connecting = connectSignal(signal, this.#options.client.signal);
    const connector = this.#options.watchConnector;
    let client: Pop3Client;
    try {
      client = await Pop3Client.connect({ ...this.#options.client, ...(connector === undefined ? {} : { connector }), ...connecting.options });
    } finally {
      connecting.release();
    }
    const abandon = (): void => {
      client.destroy();
    };
    if (signal.aborted) abandon();
    else signal.addEventListener('abort', abandon, { once: true });
    try {
      const { entries } = await readMaildrop(client);
      return { entries, loginDelay: client.capabilities.loginDelay === undefined ? loginDelay : loginDelayOf(client) };
    } finally {
      // Still listening during QUIT: a stalled server must not hold it either.
      await client.close().finally(() => {
        signal.removeEventListener('abort', abandon);
      });
    }
  }

  /**
   * The open session, or a new one when the last was lost (a new snapshot: what the lost session
   * marked was never committed, so it is still there).
   */
  async #ensure(): Promise<Snapshot> {
    checkOpen(this.#closed);
    const current = this.#session;
    if (current !== undefined && current.client.state === 'transaction') return current;
    this.#session = undefined;
    this.#opening ??= (async () => {
      const client = await Pop3Client.connect(this.#options.client);
      try {
        const session: Snapshot = { client, ...(await readMaildrop(client)), pending: new Set() };
        if (client.capabilitiesKnown && !client.capabilities.top) this.#topMissing = true;
        this.#session = session;
        return session;
      } catch (error) {
        client.destroy();
        throw error;
      }
    })().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /**
   * The message of an id, not marked deleted.
   *
   * @throws ProtocolError when the server gave the id's UIDL to several such messages: the id cannot
   *   tell them apart (the client reaches each by number).
   */
  #entry(session: Snapshot, id: MessageId): Entry | undefined {
    const uidl = requireProtocol(id, 'pop3').uidl;
    const marked = session.client.markedDeleted;
    const entries = (session.entries.get(uidl) ?? []).filter((entry) => !marked.includes(entry.number));
    if (entries.length > 1) {
      const numbers = entries.map((entry) => entry.number);
      throw new ProtocolError(
        `The POP3 server gave messages ${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)!} the same UIDL ${JSON.stringify(uidl)} ` +
          '(RFC 1939 section 7 wants unique-ids unique in a maildrop), so its id cannot tell them apart: reach them by number on mailbox.client',
      );
    }
    return entries[0];
  }

  #require(session: Snapshot, id: MessageId): Entry {
    const entry = this.#entry(session, id);
    if (entry === undefined) throw new InvalidArgumentError(`No message ${id.key} in this POP3 session (gone, marked deleted, or arrived after login)`);
    return entry;
  }
}

/** `options` with a `client.record` turned into the recording connectors of {@link mailboxConnectors}. */
async function recorded(options: Pop3MailboxOptions): Promise<Pop3MailboxOptions> {
  const { record, ...client } = options.client;
  if (record === undefined) return options;
  const { connector, watchConnector } = await mailboxConnectors({ connector: client.connector, watchConnector: options.watchConnector, record }, 'pop3');
  return { ...options, client: { ...client, connector }, watchConnector };
}

/**
 * UIDL and LIST of a fresh session, joined by message number. `withoutUidl` maps each message the
 * server gave no unique-id, even asked alone, to its size.
 */
async function readMaildrop(client: Pop3Client): Promise<Maildrop> {
  let uids;
  try {
    uids = await client.uidl();
  } catch (error) {
    // UnsupportedError: CAPA said no UIDL. ServerError: no CAPA, and UIDL itself was refused. A -ERR
    // from a server whose CAPA lists UIDL is its own failure ([SYS/TEMP], [IN-USE]), kept as it is.
    if (error instanceof UnsupportedError || (error instanceof ServerError && !client.capabilitiesKnown)) {
      throw new UnsupportedError(
        'The POP3 server has no UIDL, so its messages have no stable id across sessions: a Mailbox cannot be offered (use Pop3Client with message numbers)',
        { cause: error },
      );
    }
    throw error;
  }
  const sizes = new Map<number, number | undefined>((await client.list()).map((entry) => [entry.number, entry.size]));
  const unlisted = new Map<number, number>();
  // RFC 1939 section 5: both listings are of the same maildrop. A server that lets them disagree is
  // asked about each message one listing left out, alone, so that no message is lost to the caller.
  // Asked all at once: the client pipelines them where the server offers PIPELINING.
  const named = new Set(uids.map((entry) => entry.number));
  const sizeless = uids.filter(({ number }) => !sizes.has(number)).map(({ number }) => number);
  const nameless = [...sizes.keys()].filter((number) => !named.has(number));
  const [askedSizes, askedUids] = await Promise.all([
    Promise.all(sizeless.map((number) => askAlone(() => client.list(number), (entry) => entry.size))),
    Promise.all(nameless.map((number) => askAlone(() => client.uidl(number), (entry) => entry.uid))),
  ]);
  sizeless.forEach((number, index) => sizes.set(number, askedSizes[index]));
  nameless.forEach((number, index) => {
    const uid = askedUids[index];
    if (uid === undefined) unlisted.set(number, sizes.get(number) ?? 0);
    else uids.push({ number, uid });
  });
  uids.sort((a, b) => a.number - b.number);
  const entries = new Map<string, Entry[]>();
  for (const { number, uid } of uids) {
    const entry = { uidl: uid, number, size: sizes.get(number) ?? 0 };
    const shared = entries.get(uid);
    if (shared === undefined) entries.set(uid, [entry]);
    else shared.push(entry);
  }
  return { entries, withoutUidl: unlisted };
}

/** The answer to a one-message LIST or UIDL, or undefined when the server refuses it. */
async function askAlone<T, R>(ask: () => Promise<T>, pick: (answer: T) => R): Promise<R | undefined> {
  try {
    return pick(await ask());
  } catch (error) {
    if (error instanceof ServerError) return undefined;
    throw error;
  }
}

/**
 * The events that turn the `known` maildrop into the `current` one: a `new` or `removed` event for
 * each message that came or went. Where a server gave several messages one UIDL (against RFC 1939
 * section 7), the id cannot say which of them came or went, so their count decides: two `dup`
 * where there were three is one `removed` event for `dup`, keeping a caller's count of each id in
 * step with `list()`.
 */
function changes(known: ReadonlyMap<string, readonly Entry[]>, current: ReadonlyMap<string, readonly Entry[]>): WatchEvent[] {
  const events: WatchEvent[] = [];
  for (const [uidl, entries] of current) {
    const before = known.get(uidl)?.length ?? 0;
    // The messages numbered last are the ones that arrived last (RFC 1939 section 5 numbers in order).
    for (const entry of entries.slice(before)) events.push({ kind: 'new', id: pop3MessageId(uidl), size: entry.size, flags: undefined });
  }
  for (const [uidl, entries] of known) {
    const gone = entries.length - (current.get(uidl)?.length ?? 0);
    for (let count = 0; count < gone; count++) events.push({ kind: 'removed', id: pop3MessageId(uidl) });
  }
  return events;
}

/** Every message of the snapshot not marked deleted, in number order (those sharing a UIDL each). */
function listed(session: Snapshot): Entry[] {
  const marked = new Set(session.client.markedDeleted);
  return [...session.entries.values()]
    .flat()
    .filter((entry) => !marked.has(entry.number))
    .sort((a, b) => a.number - b.number);
}

/**
 * Reads a TOP or RETR body whole. The call's signal guards the command only up to its `+OK`: an
 * abort while the body arrives drops the rest of it (the connection reads on, the session stays
 * usable) and rejects with AbortError.
 */
async function readWhole(message: Pop3Message, signal: AbortSignal | undefined): Promise<Uint8Array> {
  if (signal === undefined) return message.bytes();
  const drop = (): void => {
    message.discard().catch(() => undefined);
  };
  signal.addEventListener('abort', drop, { once: true });
  try {
    const bytes = await message.bytes();
    checkNotAborted(signal);
    return bytes;
  } finally {
    signal.removeEventListener('abort', drop);
  }
}

/**
 * A session's LOGIN-DELAY (RFC 2449 section 6.5) in milliseconds, 0 when it said none; at most the
 * longest timer, since a longer one fires at once (a server's 3,000,000 s would mean no wait at all).
 */
function loginDelayOf(client: Pop3Client | undefined): number {
  return Math.min((client?.capabilities.loginDelay?.seconds ?? 0) * 1000, MAX_TIMER_MS);
}

/** Read through a function: TypeScript would narrow a property read across awaits. */
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** Remembers a DELE until it is answered, so close() sends QUIT after it. */
function track<T>(session: Snapshot, promise: Promise<T>): Promise<T> {
  session.pending.add(promise);
  const forget = (): void => {
    session.pending.delete(promise);
  };
  promise.then(forget, forget);
  return promise;
}
